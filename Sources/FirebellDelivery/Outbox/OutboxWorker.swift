import FirebellCore
import FirebellCurl
import FirebellStore
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Delivers the outbox: claims due rows, sends each through its channel, and
/// records delivered, retry-at or dead on the row.
///
/// Deliveries run side by side (up to `maxInFlight`, at most `maxInFlightPerChannel`
/// for one channel), and a new row is claimed as soon as one finishes, so a receiver
/// that hangs until its timeout holds a few slots, not the whole outbox. Outcomes are
/// written in batches. A row whose delivery was interrupted (crash, kill -9) stays
/// pending and is claimed again: at-least-once.
public final class OutboxWorker: Service, Sendable {
    /// What the worker needs from the config; replaced on reload.
    public struct Settings: Sendable {
        public var channels: [String: ChannelConfig]
        public var baseURL: String
        public var channelRate: Rate?
        /// Compiled channel templates (check-config refuses ones that do not compile).
        public var templates: [String: ChannelTemplate]

        public init(config: FirebellConfig) {
            templates = Dictionary(uniqueKeysWithValues: config.channels.compactMap { channel in
                channel.template.flatMap { try? ChannelTemplate($0) }.map { (channel.name, $0) }
            })
            channels = Dictionary(config.channels.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            baseURL = config.server.baseURL
            channelRate = config.alerting.channelRate
        }
    }

    private let store: any Store
    private let curl: CurlMultiLoop
    private let policy: RetryPolicy
    private let settings: Mutex<Settings>
    private let clock: @Sendable () -> Date
    private let console: @Sendable (String) -> Void
    private let logger: Logger
    private let metrics: any MetricsFactory
    private let maxInFlight: Int
    private let pollInterval: Duration
    private let inFlight = Mutex(0)
    private let maxInFlightPerChannel: Int
    /// Deliveries in flight per channel; channels at the cap are not claimed for.
    private let busy = Mutex<[String: Int]>([:])
    /// Outcomes waiting to be written, and the signal that there are some.
    private let finished = Mutex<[(entry: OutboxEntry, result: DeliveryResult)]>([])
    private let flushes: AsyncStream<Void>
    private let flushContinuation: AsyncStream<Void>.Continuation
    /// `channel_rate` buckets, one per channel, kept across claims.
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let wakeups: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    /// Rows a commit claimed for this worker (`take`), not started yet.
    private let handed = Mutex<[OutboxEntry]>([])
    /// Set by the poll ticker: the next claim also looks for rows of unknown channels.
    private let ticked = Mutex(true)

    public init(
        store: any Store, config: FirebellConfig, curl: CurlMultiLoop, policy: RetryPolicy = RetryPolicy(),
        maxInFlight: Int = 256, maxInFlightPerChannel: Int = 32, pollInterval: Duration = .milliseconds(500), logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory,
        clock: @escaping @Sendable () -> Date = { Date() },
        console: @escaping @Sendable (String) -> Void = ConsoleOutput.write
    ) {
        self.store = store
        self.curl = curl
        self.policy = policy
        self.settings = Mutex(Settings(config: config))
        self.maxInFlight = maxInFlight
        self.maxInFlightPerChannel = maxInFlightPerChannel
        (flushes, flushContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.pollInterval = pollInterval
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
        self.console = console
        (wakeups, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Looks for due rows now (called after a commit that owes alerts).
    public func wake() {
        wakeContinuation.yield()
    }

    /// How long a claim holds a row: longer than any channel's timeout.
    public var lease: TimeInterval {
        settings.withLock { $0.channels.values.map(\.timeout).max() ?? 10 } + 30
    }

    /// What a commit claims for this worker: its due rows, for the lease; `take` starts
    /// those there is room for and gives the others back.
    public var claim: OutboxClaim {
        OutboxClaim(lease: lease)
    }

    /// Free slots per configured channel, so no channel's backlog takes the others'
    /// slots. Under `channel_rate` every channel may take all free slots: what is over
    /// its rate becomes one roll-up, one slot. `others`: also rows of channels gone from
    /// the config (they dead-letter at once; looked for on the poll ticks only, as that
    /// query reads every due row).
    private func room(capacity: Int, others: Bool) -> ChannelRoom {
        let (channels, rate) = settings.withLock { (Array($0.channels.keys), $0.channelRate) }
        let busy = self.busy.withLock { $0 }
        var perChannel: [String: Int] = [:]
        for channel in channels {
            let free = rate == nil ? maxInFlightPerChannel - busy[channel, default: 0] : capacity
            perChannel[channel] = max(0, min(capacity, free))
        }
        return ChannelRoom(perChannel: perChannel, others: others ? max(0, min(capacity, maxInFlightPerChannel)) : 0)
    }

    /// Starts rows a commit already claimed for this worker (`Store.ingest(_:processor:claim:)`)
    /// without a claim query; those over a channel's or the worker's cap go back to the store.
    public func take(_ claimed: [OutboxEntry]) {
        guard !claimed.isEmpty else { return }
        handed.withLock { $0 += claimed }
        wake()
    }

    /// Uses the channels of a reloaded config for later attempts.
    public func update(config: FirebellConfig) {
        settings.withLock { $0 = Settings(config: config) }
        // A changed channel_rate starts with full buckets at the new rate.
        buckets.withLock { $0 = [:] }
    }

    public func run() async throws {
        let ticker = Task { [pollInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: pollInterval)
                self.ticked.withLock { $0 = true }
                self.wake()
            }
        }
        defer { ticker.cancel() }
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

    private func claimAndStart(in group: inout DiscardingTaskGroup) async {
        let handed = self.handed.withLock { rows in
            defer { rows = [] }
            return rows
        }
        if !handed.isEmpty { await startOrRelease(handed, in: &group) }
        let capacity = maxInFlight - inFlight.withLock { $0 }
        guard capacity > 0 else { return }
        let claimed: [OutboxEntry]
        let ticked = self.ticked.withLock { ticked in
            defer { ticked = false }
            return ticked
        }
        do {
            claimed = try await store.claimDeliveries(now: clock(), limit: capacity, lease: lease, room: room(capacity: capacity, others: ticked))
        } catch {
            logger.error("could not claim deliveries", metadata: ["error": "\(error)"])
            return
        }
        start(claimed, in: &group)
    }

    /// Starts the handed rows as a claim now would have taken them (within the free
    /// slots, per channel and in all); gives the others back, due now.
    private func startOrRelease(_ rows: [OutboxEntry], in group: inout DiscardingTaskGroup) async {
        let capacity = maxInFlight - inFlight.withLock { $0 }
        let room = room(capacity: capacity, others: true)
        var taken: [String: Int] = [:]
        var othersTaken = 0
        var fitting: [OutboxEntry] = []
        var over: [Int64] = []
        for row in rows {
            if fitting.count < capacity, room.admits(row.channel, taken: taken[row.channel, default: 0], othersTaken: othersTaken) {
                if room.perChannel[row.channel] == nil { othersTaken += 1 }
                taken[row.channel, default: 0] += 1
                fitting.append(row)
            } else {
                over.append(row.id)
            }
        }
        start(fitting, in: &group)
        guard !over.isEmpty else { return }
        do {
            try await store.releaseDeliveries(ids: over, at: clock())
        } catch {
            // They stay claimed until their lease ends (or the next start): late, not lost.
            logger.error("could not give back deliveries", metadata: ["delivery.ids": "\(over)", "error": "\(error)"])
        }
    }

    /// Plans claimed rows per channel (`channel_rate` roll-ups) and starts each unit.
    private func start(_ claimed: [OutboxEntry], in group: inout DiscardingTaskGroup) {
        let now = clock()
        let rate = settings.withLock { $0.channelRate }
        for (channel, rows) in Dictionary(grouping: claimed, by: \.channel).sorted(by: { $0.key < $1.key }) {
            let units = buckets.withLock { buckets in
                var bucket = rate.map { buckets[channel] ?? TokenBucket(rate: $0, now: now) }
                defer { buckets[channel] = bucket }
                return DeliveryPlan.plan(rows, bucket: &bucket, rate: rate, now: now)
            }
            for unit in units {
                inFlight.withLock { $0 += 1 }
                busy.withLock { $0[channel, default: 0] += 1 }
                group.addTask {
                    await self.deliver(unit)
                    self.busy.withLock { $0[channel, default: 1] -= 1 }
                    self.inFlight.withLock { $0 -= 1 }
                    self.wake()
                }
            }
        }
    }

    /// One attempt on claimed rows, recorded in the store for each of them.
    private func deliver(_ unit: DeliveryUnit) async {
        let started = ContinuousClock.now
        let result = await attempt(unit)
        let elapsed = ContinuousClock.now - started
        let entries = unit.entries
        guard let first = entries.first else { return }
        let outcome: String
        switch result {
        case .delivered: outcome = "delivered"
        case .retry: outcome = "retry"
        case .deferred: outcome = "deferred"
        case .dead: outcome = "dead"
        }
        if case .deferred = result {} else {
            Timer(label: "firebell_delivery_seconds", dimensions: [("channel", first.channel)], factory: metrics)
                .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            for entry in entries {
                Counter(label: "firebell_deliveries_total", dimensions: [("channel", entry.channel), ("outcome", outcome)], factory: metrics).increment()
                if entry.attempts == 1 {
                    Counter(label: "firebell_alerts_total", dimensions: [("channel", entry.channel), ("kind", entry.alert.kind.rawValue)], factory: metrics).increment()
                }
            }
        }
        var metadata: Logger.Metadata = [
            "delivery.ids": "\(entries.map(\.id))", "delivery.channel": "\(first.channel)", "delivery.attempt": "\(first.attempts)",
            "delivery.outcome": "\(outcome)",
        ]
        switch result {
        case .delivered:
            logger.debug("alert delivered", metadata: metadata)
        case .deferred(let until):
            metadata["delivery.until"] = "\(Timestamps.format(until))"
            logger.info("channel over channel_rate; alerts wait for a roll-up", metadata: metadata)
        case .retry(let at, _, let error):
            metadata["delivery.retry_at"] = "\(Timestamps.format(at))"
            metadata["error"] = "\(error)"
            logger.warning("alert delivery failed; will retry", metadata: metadata)
        case .dead(_, let error):
            metadata["error"] = "\(error)"
            logger.error("alert dead-lettered", metadata: metadata)
        }
        finished.withLock { $0 += entries.map { ($0, result) } }
        flushContinuation.yield()
    }

    /// Writes every outcome gathered since the last flush in one transaction.
    private func flush() async {
        let batch = finished.withLock { pending in
            defer { pending = [] }
            return pending
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.finishDeliveries(batch, at: clock())
        } catch {
            // The rows stay claimed; a restart (or their lease) makes them due again:
            // a duplicate alert, never a lost one.
            logger.error("could not record delivery outcomes", metadata: ["delivery.ids": "\(batch.map(\.entry.id))", "error": "\(error)"])
        }
    }

    /// Encodes and sends one outbox row through its channel; no store writes.
    public func attempt(_ entry: OutboxEntry) async -> DeliveryResult {
        await attempt(.single(entry))
    }

    /// Encodes and sends rows as planned. The only store access is the issue's thread
    /// reference on the channel: read before, kept after its first accepted alert.
    func attempt(_ unit: DeliveryUnit) async -> DeliveryResult {
        let entries = unit.entries
        guard let first = entries.first else { return .delivered(status: 0) }
        if case .deferred(_, let until) = unit { return .deferred(until: until) }
        let now = clock()
        let (config, baseURL, template) = settings.withLock { ($0.channels[first.channel], $0.baseURL, $0.templates[first.channel]) }
        guard let config else {
            return .dead(status: nil, error: "channel '\(first.channel)' is no longer in the config")
        }
        guard let encoder = ChannelRegistry.encoder(for: config) else {
            return .dead(status: nil, error: "channel type '\(config.type.rawValue)' has no encoder in this build")
        }
        let key = entries.count == 1 ? first.idempotencyKey : "firebell-rollup-\(first.id)-\(entries.count)-\(first.channel)"
        var context = DeliveryContext(baseURL: baseURL, idempotencyKey: key, now: now)
        var thread: String?
        if encoder.threads, case .single = unit {
            thread = try? await store.threadReference(issueID: first.issueID, channel: first.channel)
            context.threadReference = thread
        }
        /// One alert as the channel sends it, its `template` applied.
        func encoded(_ alert: Alert, _ context: DeliveryContext) throws -> ChannelMessage {
            let message = try encoder.encode(alert, context: context)
            guard let template else { return message }
            return encoder.applying(template: template.render(alert, baseURL: baseURL), to: message)
        }
        var message: ChannelMessage
        do {
            switch unit {
            case .single(let entry):
                message = try encoded(entry.alert, context)
            case .rollUp(let rows, let reason):
                let rollUp = RollUp(alerts: rows.map(\.alert), reason: reason)
                message = try encoder.encode(rollUp, context: context)
                if let template { message = encoder.applying(template: template.render(rollUp, baseURL: baseURL), to: message) }
            case .deferred:
                return .delivered(status: 0)
            }
        } catch {
            return .dead(status: nil, error: "could not encode the alert for '\(first.channel)': \(error)")
        }
        let attempts = entries.map(\.attempts).max() ?? 1
        switch message {
        case .console(let text):
            console(text)
            return .delivered(status: 0)
        case .mail(let mail):
            do {
                let receipt = try await curl.send(mail)
                return policy.result(
                    of: .success(.accepted), status: receipt.responseCode, attempts: attempts,
                    now: clock(), jitter: Double.random(in: 0...1))
            } catch {
                return policy.result(of: .failure(error), status: nil, attempts: attempts, now: clock(), jitter: Double.random(in: 0...1))
            }
        case .http(let request):
            do {
                var response = try await curl.perform(request)
                var verdict = encoder.verdict(on: response)
                if verdict != .accepted, let gone = thread, case .single(let entry) = unit, encoder.threadGone(response) {
                    // Someone deleted the message this follow-up edits or answers: send the
                    // alert as a first message, which the next follow-ups then go to.
                    logger.info("thread message is gone; sending the alert as a new message", metadata: [
                        "delivery.channel": "\(first.channel)", "issue.id": "\(first.issueID)", "thread.reference": "\(gone)",
                    ])
                    // Not forgotten (store trouble): the next follow-up finds it gone again.
                    try? await store.forgetThreadReference(issueID: first.issueID, channel: first.channel)
                    thread = nil
                    context.threadReference = nil
                    if case .http(let again)? = try? encoded(entry.alert, context) {
                        response = try await curl.perform(again)
                        verdict = encoder.verdict(on: response)
                    }
                }
                if verdict == .accepted, thread == nil, case .single = unit, let reference = encoder.threadReference(from: response) {
                    // Kept before the row is marked delivered: a crash in between re-sends, never loses the thread.
                    try? await store.setThreadReference(issueID: first.issueID, channel: first.channel, reference: reference)
                }
                return policy.result(
                    of: .success(verdict), status: response.status, attempts: attempts,
                    now: clock(), jitter: Double.random(in: 0...1))
            } catch {
                return policy.result(of: .failure(error), status: nil, attempts: attempts, now: clock(), jitter: Double.random(in: 0...1))
            }
        }
    }
}
