import Hummingbird
import Prometheus

/// `GET /metrics`: the Prometheus text format of everything counted (`firebell_*`).
/// Emitted from memory: the outbox gauges are refreshed by `StoreProbe` every second, so a scrape never queues behind ingest on the store.
struct MetricsController: Sendable {
    let firebell: Firebell
    let registry: PrometheusCollectorRegistry

    func register(on router: Router<BasicRequestContext>) {
        router.get("/metrics") { _, _ in
            let text = registry.emitToBuffer()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        MethodGuard.allow(["GET"], on: "/metrics", router: router)
    }
}
