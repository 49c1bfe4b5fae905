import FirebellStore
import Foundation
import Metrics
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every second, off the request path: pings the store (for `/readyz`; after a failure,
/// checks that it would take a write, as a read may pass while writes fail), reads the
/// outbox backlog into `firebell_outbox_pending` and `firebell_outbox_dead`, and looks
/// at the free space of the disk a SQLite store is on (`storage.min_free`). Scrapes
/// and readiness checks then cost no store query, and never wait behind ingest. The
/// backlog counts read only pending and dead rows (`Store.outboxBacklog`), so the
/// probe costs two small index counts however large the outbox is. Not more often:
/// every 50 ms cost generic ingest (`make bench` (2)) about 15 %, each probe taking
/// the writer's connection between batches.
struct StoreProbe: Service {
    /// How stale the outbox gauges and readiness may be (a scrape after a delivery sees it within this).
    static let interval: Duration = .seconds(1)

    let firebell: Firebell
    var interval: Duration = StoreProbe.interval

    func run() async throws {
        let pending = Gauge(label: "firebell_outbox_pending", factory: firebell.metrics)
        let dead = Gauge(label: "firebell_outbox_dead", factory: firebell.metrics)
        let free = Gauge(label: "firebell_storage_free_bytes", factory: firebell.metrics)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            checkSpace(free)
            let started = firebell.clock()
            do {
                if firebell.storeStatus.isFailing {
                    try await firebell.store.checkWritable()
                } else {
                    try await firebell.store.ping()
                }
                let backlog = try await firebell.store.outboxBacklog()
                pending.record(backlog.pending)
                dead.record(backlog.dead)
                // Dated when the ping began, like a failed one: a read queued behind a write
                // that failed meanwhile (a lock) says nothing about after that failure.
                if firebell.storeStatus.succeeded(at: started) {
                    firebell.logger.notice("store recovered; ingest accepts events again")
                }
            } catch {
                // The same words as a failed write's (`IngestStage`), so whichever sees an
                // outage first logs it, once; dated when the ping began (see `StoreStatus`).
                let unavailable = error as? StoreUnavailable
                if firebell.storeStatus.failed(unavailable.map { "\($0)" } ?? "store unreachable: \(error)", at: started) {
                    firebell.logger.error(
                        "store unavailable; ingest answers 503 until it recovers",
                        metadata: ["error": "\(error)", "store.cause": "\(unavailable?.cause ?? "")"])
                }
            }
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Refuses ingest (503, `/readyz` 503) while the store's disk has less than
    /// `storage.min_free` free, so a full disk never fails SQLite mid-write; one log
    /// line when that starts and one when it ends.
    private func checkSpace(_ gauge: Gauge) {
        guard let file = firebell.store.databaseFile, let bytes = Self.freeBytes(near: file) else { return }
        gauge.record(bytes)
        let floor = firebell.config.storage.minFree
        let problem = bytes < Int64(floor)
            ? "the disk holding \(file) has \(Self.mebibytes(bytes)) free, below storage.min_free (\(Self.mebibytes(Int64(floor))))"
            : nil
        guard firebell.storeStatus.lowSpace(problem) else { return }
        if let problem {
            firebell.logger.error("\(problem); ingest answers 503 until space is freed")
        } else {
            firebell.logger.notice("disk space above storage.min_free again; ingest accepts events again")
        }
    }

    /// Bytes an unprivileged process may still write on the filesystem holding `file`.
    static func freeBytes(near file: String) -> Int64? {
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        var stats = statvfs()
        guard statvfs(directory, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    static func mebibytes(_ bytes: Int64) -> String {
        "\(bytes >> 20) MiB"
    }
}
