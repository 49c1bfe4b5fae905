import FirebellStore
import Hummingbird
import Metrics
import Prometheus

/// `GET /metrics`: the Prometheus text format of everything counted (`firebell_*`).
struct MetricsController: Sendable {
    let firebell: Firebell
    let registry: PrometheusCollectorRegistry

    func register(on router: Router<BasicRequestContext>) {
        router.get("/metrics") { _, _ in
            // The outbox gauge is read from the store at scrape time, so it is right after a restart too.
            if let counts = try? await firebell.store.deliveryCounts() {
                Gauge(label: "firebell_outbox_pending", factory: firebell.metrics).record(counts[.pending] ?? 0)
                Gauge(label: "firebell_outbox_dead", factory: firebell.metrics).record(counts[.dead] ?? 0)
            }
            let text = registry.emitToBuffer()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        MethodGuard.allow(["GET"], on: "/metrics", router: router)
    }
}
