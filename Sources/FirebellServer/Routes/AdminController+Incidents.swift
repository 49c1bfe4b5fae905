import FirebellCore
import FirebellStore
import Foundation
import Hummingbird

/// `GET /v1/incidents` (`?status=open|ended`, `limit`) and `GET /v1/incidents/{id}`:
/// the admin API's view of incidents, with its auth.
extension AdminController {
    func registerIncidents(on router: Router<BasicRequestContext>) {
        router.get("/v1/incidents") { request, context in try await listIncidents(request) }
        router.get("/v1/incidents/:id") { request, context in
            try await showIncident(request, id: try positiveID(context, what: "incident"))
        }
        MethodGuard.allow(["GET"], on: "/v1/incidents", router: router)
        MethodGuard.allow(["GET"], on: "/v1/incidents/:id", router: router)
    }

    private func listIncidents(_ request: Request) async throws -> Response {
        try authorize(request)
        let config = firebell.config
        let now = firebell.clock()
        let query = request.uri.queryParameters
        var filter = IncidentQuery(quietBefore: now.addingTimeInterval(-config.alerting.incidentWindow))
        if let status = query.get("status") {
            guard let parsed = IncidentStatus(rawValue: status) else {
                throw ClientError(.badRequest, "status '\(status)' is not one of open, ended")
            }
            filter.status = parsed
        }
        if let limit = query.get("limit") {
            guard let n = Int(limit), (1...1000).contains(n) else { throw ClientError(.badRequest, "limit must be 1 to 1000") }
            filter.limit = n
        }
        let incidents = try await firebell.store.incidents(filter).map {
            IncidentView($0, window: config.alerting.incidentWindow, now: now, baseURL: config.server.baseURL)
        }
        return JSONResponse.ok(["incidents": incidents])
    }

    private func showIncident(_ request: Request, id: Int64) async throws -> Response {
        try authorize(request)
        guard let detail = try await firebell.store.incident(id: id) else {
            throw ClientError(.notFound, "no incident \(id)")
        }
        return JSONResponse.ok(try await IncidentView.detail(detail, store: firebell.store, config: firebell.config, now: firebell.clock()))
    }

    private func positiveID(_ context: BasicRequestContext, what: String) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw ClientError(.badRequest, "\(what) id must be a positive integer")
        }
        return id
    }
}
