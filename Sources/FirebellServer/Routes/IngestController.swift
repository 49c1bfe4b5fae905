import FirebellCore
import Foundation
import HTTPTypes
import Hummingbird

/// `POST /v1/events`: generic JSON events (one, an array, or NDJSON) with a bearer project key.
///
/// The path of an event: authenticate (before the body is read) → size limit →
/// signature and replay check (when the project has a `signing_secret`) → decode →
/// the accept stage (`IngestStage`: items per request, rate limit, fingerprint, the
/// writer) → 200 with the ids. Every event ends with exactly one
/// recorded outcome in `firebell_events_total`.
struct IngestController: Sendable {
    let firebell: Firebell

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/events") { request, context in
            try await ingestGeneric(request)
        }
        MethodGuard.allow(["POST"], on: "/v1/events", router: router)
    }

    private func ingestGeneric(_ request: Request) async throws -> Response {
        // The config in force for this whole request: read once, passed along.
        let rules = firebell.rules.withLock { $0 }
        let project = try firebell.authenticateBearer(request, rules: rules)
        let bytes = try await RequestBody.read(request, limit: rules.config.server.maxBody)
        let now = firebell.clock()
        let events: [Event] = try await firebell.signed(request, body: bytes, project: project, now: now) {
            let events: [Event]
            do throws(IngestError) {
                events = try GenericEventDecoder().decode(bytes, receivedAt: now, makeID: IngestStage.makeEventID)
            } catch {
                firebell.ingest.count(project: project, outcome: "invalid", 1)
                throw ClientError(.badRequest, error.message)
            }
            try await firebell.ingest.accept(events, project: project, rules: rules, now: now)
            return events
        }
        // A JSON array is a batch even with one event in it; the client reads "ids".
        let isArray = bytes.first(where: { ![0x20, 0x0a, 0x0d, 0x09].contains($0) }) == UInt8(ascii: "[")
        return JSONResponse.ids(events.map(\.eventID), asList: events.count != 1 || isArray)
    }
}

/// Answers 405 (with `Allow`) for the other methods on a known path, instead of 404.
enum MethodGuard {
    static func allow(_ methods: [String], on path: RouterPath, router: Router<BasicRequestContext>) {
        let allowed = methods.joined(separator: ", ")
        let all: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]
        for method in all where !methods.contains(method.rawValue) {
            router.on(path, method: method) { request, _ -> Response in
                JSONResponse.error(
                    .methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path); use \(allowed)",
                    headers: [.allow: allowed])
            }
        }
    }
}
