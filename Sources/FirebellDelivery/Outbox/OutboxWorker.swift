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
/// Deliveries run side by side (up to `maxInFlight`), and a new row is claimed as
/// soon as one finishes, so a receiver that hangs until its timeout holds one slot,
/// not the whole outbox. A row whose delivery was interrupted (crash, kill -9)
/// stays pending and is claimed again when its lease ends: at-least-once.
public final class OutboxWorker: Service, Sendable {
    /// What the worker needs from the config; replaced on reload.
    public struct Settings: Sendable {
        public var channels: [String: ChannelConfig]
        public var baseURL: String

        public init(config: FirebellConfig) {
            channels = Dictionary(config.channels.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            baseURL = config.server.baseURL
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
    private let wakeups: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation

    public init(
        store: any Store, config: FirebellConfig, curl: CurlMultiLoop, policy: RetryPolicy = RetryPolicy(),
        maxInFlight: Int = 64, pollInterval: Duration = .milliseconds(500), logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory,
        clock: @escaping @Sendable () -> Date = { Date() },
        console: @escaping @Sendable (String) -> Void = ConsoleOutput.write
    ) {
        self.store = store
        self.curl = curl
        self.policy = policy
        self.settings = Mutex(Settings(config: config))
        self.maxInFlight = maxInFlight
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

    /// Uses the channels of a reloaded config for later attempts.
    public func update(config: FirebellConfig) {
        settings.withLock { $0 = Settings(config: config) }
    }

    public func run() async throws {
        let ticker = Task { [pollInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: pollInterval)
                self.wake()
            }
        }
        defer { ticker.cancel() }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await _ in wakeups {
                    await claimAndStart(in: &group)
                }
                // Shutdown: stop claiming; the group waits for deliveries in flight.
            }
        } onGracefulShutdown: {
            self.wakeContinuation.finish()
        }
    }

    private func claimAndStart(in group: inout DiscardingTaskGroup) async {
        let capacity = maxInFlight - inFlight.withLock { $0 }
        guard capacity > 0 else { return }
        let claimed: [OutboxEntry]
        do {
            let lease = settings.withLock { $0.channels.values.map(\.timeout).max() ?? 10 } + 30
            claimed = try await store.claimDeliveries(now: clock(), limit: capacity, lease: lease)
        } catch {
            logger.error("could not claim deliveries", metadata: ["error": "\(error)"])
            return
        }
        for entry in claimed {
            inFlight.withLock { $0 += 1 }
            group.addTask {
                await self.deliver(entry)
                self.inFlight.withLock { $0 -= 1 }
                self.wake()
            }
        }
    }

    /// One attempt on a claimed row, recorded in the store.
    private func deliver(_ entry: OutboxEntry) async {
        let started = ContinuousClock.now
        let result = await attempt(entry)
        let elapsed = ContinuousClock.now - started
        Timer(label: "firebell_delivery_seconds", dimensions: [("channel", entry.channel)], factory: metrics)
            .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        let outcome: String
        switch result {
        case .delivered: outcome = "delivered"
        case .retry: outcome = "retry"
        case .dead: outcome = "dead"
        }
        Counter(label: "firebell_deliveries_total", dimensions: [("channel", entry.channel), ("outcome", outcome)], factory: metrics).increment()
        if entry.attempts == 1 {
            Counter(label: "firebell_alerts_total", dimensions: [("channel", entry.channel), ("kind", entry.alert.kind.rawValue)], factory: metrics).increment()
        }
        var metadata: Logger.Metadata = [
            "delivery.id": "\(entry.id)", "delivery.channel": "\(entry.channel)", "delivery.attempt": "\(entry.attempts)",
            "issue.id": "\(entry.issueID)", "delivery.outcome": "\(outcome)",
        ]
        switch result {
        case .delivered:
            logger.debug("alert delivered", metadata: metadata)
        case .retry(let at, _, let error):
            metadata["delivery.retry_at"] = "\(Timestamps.format(at))"
            metadata["error"] = "\(error)"
            logger.warning("alert delivery failed; will retry", metadata: metadata)
        case .dead(_, let error):
            metadata["error"] = "\(error)"
            logger.error("alert dead-lettered", metadata: metadata)
        }
        do {
            try await store.finishDelivery(id: entry.id, result: result, at: clock())
        } catch {
            // The lease will expire and the row be tried again: a duplicate, never a loss.
            logger.error("could not record delivery outcome", metadata: ["delivery.id": "\(entry.id)", "error": "\(error)"])
        }
    }

    /// Encodes and sends one outbox row through its channel; no store writes.
    public func attempt(_ entry: OutboxEntry) async -> DeliveryResult {
        let now = clock()
        let (config, baseURL) = settings.withLock { ($0.channels[entry.channel], $0.baseURL) }
        guard let config else {
            return .dead(status: nil, error: "channel '\(entry.channel)' is no longer in the config")
        }
        guard let encoder = ChannelRegistry.encoder(for: config) else {
            return .dead(status: nil, error: "channel type '\(config.type.rawValue)' has no encoder in this build")
        }
        let context = DeliveryContext(baseURL: baseURL, idempotencyKey: entry.idempotencyKey, now: now)
        let message: ChannelMessage
        do {
            message = try encoder.encode(entry.alert, context: context)
        } catch {
            return .dead(status: nil, error: "could not encode the alert for '\(entry.channel)': \(error)")
        }
        switch message {
        case .console(let text):
            console(text)
            return .delivered(status: 0)
        case .http(let request):
            do {
                let response = try await curl.perform(request)
                return policy.result(
                    of: .success(encoder.verdict(on: response)), status: response.status, attempts: entry.attempts,
                    now: clock(), jitter: Double.random(in: 0...1))
            } catch {
                return policy.result(of: .failure(error), status: nil, attempts: entry.attempts, now: clock(), jitter: Double.random(in: 0...1))
            }
        }
    }
}
