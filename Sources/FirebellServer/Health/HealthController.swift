import Hummingbird

/// `GET /healthz` (the process answers) and `GET /readyz` (config loaded, store
/// working). Readiness is what the daemon already knows (`StoreStatus`: the last
/// commit, failed batch or probe), not a query per request that would wait behind
/// ingest on the store's one connection.
struct HealthController: Sendable {
    let firebell: Firebell

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in JSONResponse.ok(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            if let problem = firebell.storeStatus.problem {
                return JSONResponse.error(.serviceUnavailable, problem, headers: [.retryAfter: "5"])
            }
            return JSONResponse.ok(["status": "ready"])
        }
        MethodGuard.allow(["GET"], on: "/healthz", router: router)
        MethodGuard.allow(["GET"], on: "/readyz", router: router)
    }
}
