import Hummingbird

/// `GET /healthz` (the process answers) and `GET /readyz` (config loaded, store reachable).
struct HealthController: Sendable {
    let firebell: Firebell

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in JSONResponse.ok(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            do {
                try await firebell.store.ping()
                return JSONResponse.ok(["status": "ready"])
            } catch {
                return JSONResponse.error(.serviceUnavailable, "store unreachable: \(error)")
            }
        }
        MethodGuard.allow(["GET"], on: "/healthz", router: router)
        MethodGuard.allow(["GET"], on: "/readyz", router: router)
    }
}
