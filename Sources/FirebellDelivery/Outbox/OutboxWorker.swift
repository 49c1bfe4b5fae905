import FirebellCore
import FirebellCurl
import FirebellStore
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Delivers the outbox: starts the rows commits hand over and claims due rows of its
/// own, sends each through its channel, and records delivered, retry-at or dead on
/// the row.
///
/// Two parts under one Service: the `OutboxScheduler` (a value under one `Mutex`)
/// decides which rows start now — slots in all and per channel, `channel_rate`
/// roll-ups, digests, one row per issue and channel at a time — and the `OutboxAttempt` sends one planned unit and gives its
/// verdict. Deliveries run side by side, and a new row is claimed as soon as one
/// finishes. Outcomes are written in batches. A row whose delivery was interrupted
/// (crash, kill -9) stays pending and is claimed again: at-least-once.
///
/// Each channel has a circuit breaker and can be parked (`ChannelGate`): their state
/// is in memory only, shown in `firebell_channel_breaker_state` and
/// `firebell_channel_parked`, and in the `last_error` of the rows they hold back.
public final class OutboxWorker: Service, Sendable {
    private let store: any Store
    private let attempter: OutboxAttempt
    /// Everything that changes while the worker runs: slots, handed rows, buckets,
    /// outcomes waiting, the poll tick, the channels in force.
    private let schedule: Mutex<OutboxScheduler>
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let metrics: any MetricsFactory
    private let breaker: BreakerSettings
    private let pollInterval: Duration
    /// The signal that outcomes wait to be written.
    private let flushes: AsyncStream<Void>
    private let flushContinuation: AsyncStream<Void>.Continuation
    private let wakeups: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    /// One log line per outage of the store, not one per failed claim.
    private let claimTrouble: StoreTroubleLog
    /// The rows of started units, whose claims are renewed until their outcome is written.
    private let renewal = ClaimRenewal()
    private let renewTrouble: StoreTroubleLog

    public init(
        store: any Store, config: FirebellConfig, curl: CurlMultiLoop, policy: RetryPolicy = RetryPolicy(),
        maxInFlight: Int = 256, maxInFlightPerChannel: Int = 32, pollInterval: Duration = .milliseconds(500), logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory,
        clock: @escaping @Sendable () -> Date = { Date() },
        console: @escaping @Sendable (String) -> Void = ConsoleOutput.write,
        breaker: BreakerSettings? = nil
    ) {
        let breaker = breaker ?? BreakerSettings.inForce(logger: logger)
        self.store = store
        self.attempter = OutboxAttempt(
            store: store, curl: curl, policy: policy, breaker: breaker, clock: clock, console: console, logger: logger,
            metrics: metrics)
        let scheduler = OutboxScheduler(
            settings: Settings(config: config), maxInFlight: maxInFlight, maxInFlightPerChannel: maxInFlightPerChannel,
            gatePolicy: breaker)
        self.schedule = Mutex(scheduler)
        self.clock = clock
        self.logger = logger
        self.claimTrouble = StoreTroubleLog(logger: logger)
        self.renewTrouble = StoreTroubleLog(logger: logger)
        self.metrics = metrics
        self.breaker = breaker
        self.pollInterval = pollInterval
        (flushes, flushContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (wakeups, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        for (channel, gate) in scheduler.gates { show(gate, of: channel) }
    }

    /// Looks for due rows now (called after a commit that owes alerts).
    public func wake() {
        wakeContinuation.yield()
    }

    /// How long a claim holds a row (`storage.lease`); renewed while its attempt runs.
    public var lease: TimeInterval {
        schedule.withLock { $0.lease }
    }

    /// What a commit claims for this worker: its due rows, for the lease; `take` starts
    /// those there is room for and gives the others back.
    public var claim: OutboxClaim {
        OutboxClaim(lease: lease)
    }

    /// Starts rows a commit already claimed for this worker (`Store.ingest(_:processor:claim:)`)
    /// without a claim query; those over a channel's or the worker's cap go back to the store.
    public func take(_ claimed: [OutboxEntry]) {
        guard !claimed.isEmpty else { return }
        schedule.withLock { $0.hand(claimed) }
        wake()
    }

    /// Uses the channels of a reloaded config for later attempts.
    /// Parked channels unpark, and a channel whose config changed starts closed.
    public func update(config: FirebellConfig) {
        let settings = Settings(config: config)
        let changes = schedule.withLock { scheduler in
            let before = Set(scheduler.gates.keys)
            scheduler.update(settings: settings)
            // Label values only from the config in force: a channel gone from it leaves /metrics.
            for channel in before.subtracting(scheduler.gates.keys) {
                Gauge(label: Self.parkedGauge, dimensions: [("channel", channel)], factory: metrics).destroy()
                Gauge(label: Self.breakerGauge, dimensions: [("channel", channel)], factory: metrics).destroy()
            }
            for (channel, gate) in scheduler.gates { show(gate, of: channel) }
            return scheduler.takeChanges()
        }
        announce(changes)
    }

    public func run() async throws {
        let ticker = Task { [pollInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: pollInterval)
                self.schedule.withLock { $0.tick() }
                self.wake()
            }
        }
        // Until the last outcome is written: deliveries still running at shutdown keep their claims.
        let renewer = Task { [store, renewal, renewTrouble, clock] in
            await renewal.run(store: store, lease: { self.lease }, clock: clock, trouble: renewTrouble)
        }
        defer {
            ticker.cancel()
            renewer.cancel()
        }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { outer in
                outer.addTask {
                    for await _ in self.flushes { await self.flush() }
                    await self.flush()
                }
                await withDiscardingTaskGroup { group in
                    for await _ in wakeups {
                        await claimAndStart(in: &group)
                    }
                    // Shutdown: stop claiming; the group waits for deliveries in flight.
                }
                flushContinuation.finish()
            }
        } onGracefulShutdown: {
            self.wakeContinuation.finish()
        }
    }

    /// Starts what was handed over and fits (giving the rest back), then claims for the
    /// slots still free.
    private func claimAndStart(in group: inout DiscardingTaskGroup) async {
        let now = clock()
        let (admission, settings, changes) = schedule.withLock { ($0.admitHanded(now: now), $0.settings, takeChanges(&$0)) }
        announce(changes)
        await launch(admission, settings: settings, now: now, in: &group)

        guard let claim = schedule.withLock({ $0.nextClaim(now: now) }) else { return }
        let claimed: [OutboxEntry]
        do {
            claimed = try await store.claimDeliveries(now: clock(), limit: claim.limit, lease: claim.lease, room: claim.room)
            claimTrouble.succeeded("claiming deliveries works")
        } catch {
            claimTrouble.failed("could not claim deliveries", error)
            return
        }
        guard !claimed.isEmpty else { return }
        let later = clock()
        let (started, current, more) = schedule.withLock { ($0.start(claimed, now: later), $0.settings, takeChanges(&$0)) }
        announce(more)
        await launch(started, settings: current, now: later, in: &group)
    }

    /// Plans each channel's admitted rows into units and starts them; gives back the rows
    /// that did not fit or wait their turn, and those the store could not plan.
    private func launch(_ admission: OutboxScheduler.Admission, settings: Settings, now: Date, in group: inout DiscardingTaskGroup) async {
        var back = admission.back
        for (channel, rows) in admission.start {
            do {
                let units = try await plan(rows, channel: channel, settings: settings, now: now)
                schedule.withLock { $0.planned(channel: channel, rows: rows.count, units: units.count) }
                start(units, settings: settings, in: &group)
            } catch {
                // Once per outage, like a failed claim: the alerts wait in the outbox.
                claimTrouble.failed(
                    "could not read the channel_rate bucket", error, metadata: ["delivery.channel": "\(channel)"])
                schedule.withLock { $0.abandon(channel: channel, rows: rows) }
                back += rows.map(\.id)
            }
        }
        if !back.isEmpty { await giveBack(back) }
    }

    /// One channel's rows as units (`DeliveryPlan`). Under `channel_rate` the plan runs on
    /// the channel's bucket in the store, which every node shares and a restart keeps.
    private func plan(_ rows: [OutboxEntry], channel: String, settings: Settings, now: Date) async throws -> [DeliveryUnit] {
        guard let rate = settings.channelRate, settings.channels[channel] != nil else {
            var none: TokenBucket?
            return DeliveryPlan.plan(rows, bucket: &none, rate: nil, now: now)
        }
        return try await store.withChannelBucket(channel, rate: rate, now: now) { bucket in
            var limited: TokenBucket? = bucket
            let units = DeliveryPlan.plan(rows, bucket: &limited, rate: rate, now: now)
            bucket = limited!
            return units
        }
    }

    /// Rows handed over that did not fit: due now again, their attempt not counted.
    private func giveBack(_ ids: [Int64]) async {
        do {
            try await store.releaseDeliveries(ids: ids, at: clock())
        } catch {
            // They stay claimed until their lease ends (or the next start): late, not lost.
            logger.error("could not give back deliveries", metadata: ["delivery.ids": "\(ids)", "error": "\(error)"])
        }
    }

    /// Runs each unit's attempt; when it ends, its slot is free, its channel's gate has
    /// heard how it went, and its outcome waits for the next flush.
    private func start(_ units: [DeliveryUnit], settings: Settings, in group: inout DiscardingTaskGroup) {
        for unit in units {
            renewal.hold(unit.entries.map(\.id))
            group.addTask {
                let started = ContinuousClock.now
                let report = await self.attempter.attempt(unit, settings: settings)
                let now = self.clock()
                let (result, changes) = self.schedule.withLock { ($0.finish(unit, report: report, now: now), self.takeChanges(&$0)) }
                self.attempter.record(unit.entries, result, elapsed: ContinuousClock.now - started)
                self.announce(changes)
                self.flushContinuation.yield()
                self.wake()
            }
        }
    }

    static let breakerGauge = "firebell_channel_breaker_state"
    static let parkedGauge = "firebell_channel_parked"

    /// The gate changes since the last call, with the gauges of the channels they concern
    /// set to the gates' state — under the schedule's lock, so two attempts finishing
    /// together cannot leave a gauge at the older state. The log lines come after.
    private func takeChanges(_ scheduler: inout OutboxScheduler) -> [(channel: String, change: ChannelGate.Change)] {
        let changes = scheduler.takeChanges()
        for channel in Set(changes.map(\.channel)) {
            if let gate = scheduler.gates[channel] { show(gate, of: channel) }
        }
        return changes
    }

    /// A channel's two gauges: `firebell_channel_breaker_state` (0 closed, 1 half-open,
    /// 2 open) and `firebell_channel_parked` (0 or 1).
    private func show(_ gate: ChannelGate, of channel: String) {
        Gauge(label: Self.breakerGauge, dimensions: [("channel", channel)], factory: metrics).record(gate.breaker.gauge)
        Gauge(label: Self.parkedGauge, dimensions: [("channel", channel)], factory: metrics).record(gate.isParked ? 1 : 0)
    }

    /// One log line per change of a channel's gate — not per row. Parking is an error:
    /// someone must act.
    private func announce(_ changes: [(channel: String, change: ChannelGate.Change)]) {
        for (channel, change) in changes {
            let metadata: Logger.Metadata = ["delivery.channel": "\(channel)"]
            switch change {
            case .parked(let reason):
                logger.error(
                    "channel parked: \(reason); its alerts wait in the outbox (pending), probed every \(ChannelGate.duration(breaker.parkedProbeInterval)); fix the channel and reload the config to send them now",
                    metadata: metadata)
            case .unparked(let why):
                logger.notice("channel unparked: \(why); its waiting alerts go out", metadata: metadata)
            case .opened(let until, let failures, let reason):
                logger.warning(
                    "circuit breaker open: \(failures) failed attempts in a row; its alerts wait in the outbox (pending) for a probe at \(Timestamps.format(until))",
                    metadata: metadata.merging(["error": "\(reason)"]) { $1 })
            case .reopened(let until, let reason):
                logger.info(
                    "circuit breaker probe failed; open until the next probe at \(Timestamps.format(until))",
                    metadata: metadata.merging(["error": "\(reason)"]) { $1 })
            case .halfOpened:
                logger.debug("circuit breaker half-open: probing", metadata: metadata)
            case .closed:
                logger.notice("circuit breaker closed: the receiver answered", metadata: metadata)
            }
        }
    }

    /// Writes every outcome gathered since the last flush in one transaction.
    private func flush() async {
        let batch = schedule.withLock { $0.takeFinished() }
        guard !batch.isEmpty else { return }
        defer { renewal.release(batch.map(\.entry.id)) }
        do {
            try await store.finishDeliveries(batch, at: clock())
            // A row that waited for one of these (the next message about its issue on its
            // channel) is in its turn now: claim it without waiting for the poll.
            wake()
        } catch {
            // The rows stay claimed; a restart (or their lease) makes them due again:
            // a duplicate alert, never a lost one.
            logger.error("could not record delivery outcomes", metadata: ["delivery.ids": "\(batch.map(\.entry.id))", "error": "\(error)"])
        }
    }

    /// Encodes and sends one outbox row through its channel, with the channels in force; no store writes.
    public func attempt(_ entry: OutboxEntry) async -> DeliveryResult {
        await attempter.attempt(.single(entry), settings: schedule.withLock { $0.settings }).result
    }
}
