import FirebellCore
import FirebellCurl
import FirebellDelivery
import FirebellStore
import Foundation
import Logging
import Metrics
import Synchronization

/// The running parts of one daemon, assembled in the order of the pipeline:
/// ingest (routes: auth, limits, decode) → accept (`IngestStage`: rate limit, group
/// with the `Fingerprinter`) → writer (score, decide, route, outbox — in one
/// transaction) → outbox worker → libcurl.
public final class Firebell: Sendable {
    /// The config in force and what is derived from it; swapped whole on reload.
    struct Rules: Sendable {
        var config: FirebellConfig
        var keys: ProjectKeys
        var fingerprinter: Fingerprinter
    }

    let rules: Mutex<Rules>
    public let store: any Store
    public let writer: IngestWriter
    /// Where every ingest route hands its decoded events.
    let ingest: IngestStage
    public let worker: OutboxWorker
    public let curl: CurlMultiLoop
    let metrics: any MetricsFactory
    let clock: @Sendable () -> Date
    public let logger: Logger
    /// What `/readyz` answers from: the writer's commits and failures, and `StoreProbe`'s pings.
    let storeStatus: StoreStatus
    /// Signed requests' ids within their window, so a replay is refused (see `signed`).
    let recentWebhookIDs = RecentWebhookIDs()

    /// Wires the parts; nothing runs until the services are started (see `buildApplication`).
    public init(
        config: FirebellConfig, store: any Store, logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory,
        retryPolicy: RetryPolicy = RetryPolicy(), clock: @escaping @Sendable () -> Date = { Date() },
        console: @escaping @Sendable (String) -> Void = ConsoleOutput.write
    ) {
        self.rules = Mutex(Rules(config: config))
        self.store = store
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
        let curl = CurlMultiLoop(logger: logger)
        self.curl = curl
        let worker = OutboxWorker(
            store: store, config: config, curl: curl, policy: retryPolicy, logger: logger, metrics: metrics, clock: clock,
            console: console)
        self.worker = worker
        // A commit's alerts go to the worker already claimed: no claim query between the
        // commit and the receiver.
        let storeStatus = StoreStatus()
        self.storeStatus = storeStatus
        let writer = IngestWriter(
            store: store, processor: BatchProcessor(config: config), logger: logger, outboxClaim: { worker.claim }
        ) { result in
            if storeStatus.succeeded(at: clock()) {
                logger.notice("store recovered; ingest accepts events again")
            }
            if !result.claimed.isEmpty {
                worker.take(result.claimed)
            } else if result.outcomes.contains(where: { if case .stored(_, .some) = $0 { true } else { false } }) {
                worker.wake()
            }
        }
        self.writer = writer
        self.ingest = IngestStage(
            writer: writer, limiter: RateLimiter(), counters: EventCounters(factory: metrics), status: storeStatus,
            clock: clock, logger: logger)
    }

    /// Opens the store the config names. `node` names this process in a shared store's
    /// outbox claims (PostgreSQL): a daemon's start releases the claims its previous
    /// run under the same name left (`Store.releaseClaims(now:)`), never another node's.
    public static func openStore(_ config: StorageConfig, node: String, logger: Logger) async throws -> any Store {
        switch config.url {
        case .sqlite(let path):
            return try await SQLiteStore.open(path: path, logger: logger)
        case .postgres(let url):
            return try await PostgresStore.open(url: url, poolSize: config.poolSize, node: node, logger: logger)
        }
    }

    /// A daemon's node name: this host and the port it listens on, the same across its
    /// restarts and different for every node on one machine (each listens on its own port).
    public static func nodeName(listenPort: Int) -> String {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0 ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        // Port 0 (the OS picks one, in tests) is no name of its own.
        return listenPort == 0 ? "\(host):0/\(getpid())" : "\(host):\(listenPort)"
    }

    public var config: FirebellConfig { rules.withLock { $0.config } }

    /// Puts a new config in force for everything that follows (SIGHUP).
    public func reload(_ config: FirebellConfig) {
        rules.withLock { $0 = Rules(config: config) }
        writer.update(processor: BatchProcessor(config: config))
        worker.update(config: config)
    }
}

extension Firebell.Rules {
    init(config: FirebellConfig) {
        self.init(config: config, keys: ProjectKeys(projects: config.projects), fingerprinter: Fingerprinter(rules: config.grouping))
    }
}
