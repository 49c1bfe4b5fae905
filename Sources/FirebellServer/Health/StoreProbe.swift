import Foundation
import Metrics
import ServiceLifecycle

/// Every second, off the request path: pings the store (for `/readyz`) and reads the
/// outbox backlog into `firebell_outbox_pending` and `firebell_outbox_dead`. Scrapes
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
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await firebell.store.ping()
                let backlog = try await firebell.store.outboxBacklog()
                pending.record(backlog.pending)
                dead.record(backlog.dead)
                firebell.storeStatus.succeeded(at: firebell.clock())
            } catch {
                firebell.storeStatus.failed("store unreachable: \(error)", at: firebell.clock())
            }
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
