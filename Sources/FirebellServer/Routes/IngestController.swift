import FirebellCore
import FirebellDelivery
import FirebellStore
import Foundation
import HTTPTypes
import Hummingbird
import Metrics

/// `POST /v1/events`: generic JSON events (one, an array, or NDJSON) with a bearer project key.
///
/// The path of an event: authenticate → size limit → decode → rate limit →
/// fingerprint → the writer (score, decide, outbox; committed) → 200 with the ids.
/// Every event ends with exactly one recorded outcome in `firebell_events_total`.
struct IngestController: Sendable {
    let firebell: Firebell

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/events") { request, context in
            try await ingestGeneric(request)
        }
        MethodGuard.allow(["POST"], on: "/v1/events", router: router)
    }

    private func ingestGeneric(_ request: Request) async throws -> Response {
        let rules = firebell.rules.withLock { $0 }
        let project = try authenticate(request, rules: rules)
        let bytes = try await RequestBody.read(request, limit: rules.config.server.maxBody)
        if let secret = project.signingSecret, !secret.isEmpty {
            try verifySignature(request, body: bytes, secret: secret)
        }
        let now = firebell.clock()
        let events: [Event]
        do {
            events = try GenericEventDecoder().decode(bytes, receivedAt: now, makeID: Self.makeEventID)
        } catch {
            count(project: project, outcome: "invalid", 1)
            throw ClientError(.badRequest, error.message)
        }
        _ = try await accept(events, project: project, rules: rules, now: now)
        // A JSON array is a batch even with one event in it; the client reads "ids".
        let isArray = bytes.first(where: { ![0x20, 0x0a, 0x0d, 0x09].contains($0) }) == UInt8(ascii: "[")
        return JSONResponse.ids(events.map(\.eventID), asList: events.count != 1 || isArray)
    }

    /// Rate-limits, fingerprints and writes `events`; returns once they are committed.
    func accept(_ events: [Event], project: ProjectConfig, rules: Firebell.Rules, now: Date) async throws -> [IngestOutcome] {
        if let wait = firebell.limiter.admit(project: project, events: events.count, now: now) {
            count(project: project, outcome: "rate_limited", events.count)
            let seconds = Int(wait.rounded(.up))
            throw ClientError(
                .tooManyRequests, "project \(project.id) is over its rate_limit; retry in \(seconds)s",
                headers: [.retryAfter: String(seconds)])
        }
        let items = events.map { event in
            IngestItem(
                projectID: project.id, event: event, fingerprint: rules.fingerprinter.fingerprint(event).hash, receivedAt: now)
        }
        let outcomes: [IngestOutcome]
        do {
            outcomes = try await firebell.writer.submit(items)
        } catch IngestWriterError.queueFull {
            count(project: project, outcome: "queue_full", events.count)
            throw ClientError(.tooManyRequests, "ingest queue is full; retry shortly", headers: [.retryAfter: "1"])
        } catch IngestWriterError.stopped {
            count(project: project, outcome: "unavailable", events.count)
            throw ClientError(.serviceUnavailable, "shutting down; retry shortly", headers: [.retryAfter: "5"])
        } catch {
            count(project: project, outcome: "store_error", events.count)
            firebell.logger.error("store failed; events not stored", metadata: ["error": "\(error)"])
            throw ClientError(.serviceUnavailable, "the store could not write; nothing was stored, retry shortly", headers: [.retryAfter: "5"])
        }
        let stored = outcomes.filter { if case .stored = $0 { true } else { false } }.count
        count(project: project, outcome: "stored", stored)
        count(project: project, outcome: "duplicate", outcomes.count - stored)
        return outcomes
    }

    private func authenticate(_ request: Request, rules: Firebell.Rules) throws -> ProjectConfig {
        guard let token = request.bearerToken, !token.isEmpty else {
            count(project: nil, outcome: "unauthorized", 1)
            throw ClientError(.unauthorized, "missing project key: send 'Authorization: Bearer <key>' with a key from projects[].keys",
                              headers: [.wwwAuthenticate: "Bearer"])
        }
        guard let project = rules.keys.project(forKey: token) else {
            count(project: nil, outcome: "forbidden", 1)
            throw ClientError(.forbidden, "unknown project key")
        }
        return project
    }

    private func verifySignature(_ request: Request, body: [UInt8], secret: String) throws {
        guard let id = request.headers[HTTPField.Name("webhook-id")!],
              let timestamp = request.headers[HTTPField.Name("webhook-timestamp")!],
              let signature = request.headers[HTTPField.Name("webhook-signature")!]
        else {
            throw ClientError(.unauthorized, "this project requires signed requests: send webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks)")
        }
        guard StandardWebhooks.verify(secret: secret, id: id, timestamp: timestamp, signatures: signature, body: body, now: firebell.clock()) else {
            throw ClientError(.unauthorized, "bad webhook signature, or webhook-timestamp more than 5 minutes off")
        }
    }

    private func count(project: ProjectConfig?, outcome: String, _ n: Int) {
        firebell.eventCounters.count(project: project?.id, outcome: outcome, n)
    }

    /// 32 lowercase hex characters, like Sentry's event ids.
    static func makeEventID() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
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
