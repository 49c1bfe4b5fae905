import FirebellCore
import FirebellSignatures
import FirebellStore
import Foundation
import Hummingbird

/// The admin API: list, show, resolve, mute and unmute issues; list and show incidents
/// (bearer `server.admin_token`).
struct AdminController: Sendable {
    let firebell: Firebell

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/issues") { request, context in try await list(request) }
        router.get("/v1/issues/:id") { request, context in
            try await show(request, id: try issueID(context))
        }
        router.post("/v1/issues/:id/resolve") { request, context in
            let config = firebell.config
            return try await change(request, id: try issueID(context)) { store, id, now in
                try await Triage.resolve(store, config: config, issueID: id, at: now, by: "api")
            }
        }
        router.post("/v1/issues/:id/mute") { request, context in
            var request = request
            try authorize(request)
            let mute = try await muteRequest(&request)
            return try await change(request, id: try issueID(context)) { store, id, now in
                try await store.mute(issueID: id, mute, at: now)
            }
        }
        router.post("/v1/issues/:id/unmute") { request, context in
            try await change(request, id: try issueID(context)) { store, id, now in try await store.unmute(issueID: id, at: now) }
        }
        MethodGuard.allow(["GET"], on: "/v1/issues", router: router)
        MethodGuard.allow(["GET"], on: "/v1/issues/:id", router: router)
        for action in ["resolve", "mute", "unmute"] {
            MethodGuard.allow(["POST"], on: RouterPath("/v1/issues/:id/\(action)"), router: router)
        }
        registerIncidents(on: router)
    }

    func authorize(_ request: Request) throws {
        guard let token = firebell.config.server.adminToken, !token.isEmpty else {
            throw ClientError(.unauthorized, "the admin API is off: set server.admin_token (e.g. FIREBELL_ADMIN_TOKEN) to use it")
        }
        guard let given = request.bearerToken else {
            throw ClientError(.unauthorized, "missing admin token: send 'Authorization: Bearer <server.admin_token>'",
                              headers: [.wwwAuthenticate: "Bearer"])
        }
        guard StandardWebhooks.constantTimeEquals(Array(given.utf8), Array(token.utf8)) else {
            throw ClientError(.forbidden, "wrong admin token")
        }
    }

    private func issueID(_ context: BasicRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw ClientError(.badRequest, "issue id must be a positive integer")
        }
        return id
    }

    private func list(_ request: Request) async throws -> Response {
        try authorize(request)
        let query = request.uri.queryParameters
        var filter = IssueQuery()
        if let status = query.get("status") {
            guard let parsed = IssueStatus(rawValue: status) else {
                throw ClientError(.badRequest, "status '\(status)' is not one of open, resolved, muted")
            }
            filter.status = parsed
        }
        if let project = query.get("project") {
            guard let id = Int(project) else { throw ClientError(.badRequest, "project must be a project id (integer)") }
            filter.projectID = id
        }
        if let limit = query.get("limit") {
            guard let n = Int(limit), (1...1000).contains(n) else { throw ClientError(.badRequest, "limit must be 1 to 1000") }
            filter.limit = n
        }
        let baseURL = firebell.config.server.baseURL
        let issues = try await firebell.store.issues(filter).map { IssueView($0, baseURL: baseURL) }
        return JSONResponse.ok(["issues": issues])
    }

    private func show(_ request: Request, id: Int64) async throws -> Response {
        try authorize(request)
        guard let issue = try await firebell.store.issue(id: id) else {
            throw ClientError(.notFound, "no issue \(id)")
        }
        return JSONResponse.ok(IssueView(issue, baseURL: firebell.config.server.baseURL))
    }

    private func change(
        _ request: Request, id: Int64, _ operation: @Sendable (any Store, Int64, Date) async throws -> Issue?
    ) async throws -> Response {
        try authorize(request)
        guard let issue = try await operation(firebell.store, id, firebell.clock()) else {
            throw ClientError(.notFound, "no issue \(id)")
        }
        // A resolve may owe messages: they go now, not at the worker's next poll.
        firebell.worker.wake()
        return JSONResponse.ok(IssueView(issue, baseURL: firebell.config.server.baseURL))
    }

    private struct MuteBody: Decodable {
        static let keys: Set<String> = ["for", "until", "events"]
        var `for`: String? = nil
        var until: String? = nil
        var events: Int? = nil
    }

    private func muteRequest(_ request: inout Request) async throws -> Mute {
        let body = try await request.collectBody(limit: 64 * 1024)
        var mute = MuteBody()
        if body.readableBytes > 0, !(body.getString(at: body.readerIndex, length: body.readableBytes) ?? "").allSatisfy(\.isWhitespace) {
            let usage = "mute body must be {}, {\"for\": \"2h\"}, {\"until\": \"<RFC 3339>\"} or {\"events\": N}"
            let data = Data(buffer: body)
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let decoded = try? JSONDecoder().decode(MuteBody.self, from: data)
            else { throw ClientError(.badRequest, usage) }
            // A key Firebell does not know would silently mute forever ({"forever": false}, {"hours": 2}).
            if let unknown = object.keys.sorted().first(where: { !MuteBody.keys.contains($0) }) {
                throw ClientError(.badRequest, "unknown key '\(unknown)' in the mute body; \(usage)")
            }
            mute = decoded
        }
        do {
            return try Mute.requested(for: mute.for, until: mute.until, events: mute.events, now: firebell.clock())
        } catch {
            throw ClientError(.badRequest, error.message)
        }
    }
}
