import FirebellCore
import FirebellStore
import Foundation
import HTTPTypes
import Hummingbird
import Metrics

/// The Sentry ingest API, so any Sentry SDK reports to Firebell by changing its DSN:
/// `POST /api/{project_id}/envelope/` and the legacy `POST /api/{project_id}/store/`.
///
/// The path of an envelope: project from the path → key (header, query, or the
/// envelope's `dsn`) → streamed decompression capped at `max_body` → envelope
/// parse → `event` items decoded (other item types dropped, and SDKs told to
/// stop sending them) → the accept stage (`IngestStage`), as for `/v1/events`.
struct SentryController: Sendable {
    let firebell: Firebell

    static let errorHeader = HTTPField.Name("X-Sentry-Error")!
    static let rateLimitsHeader = HTTPField.Name("X-Sentry-Rate-Limits")!
    /// What Firebell never stores: SDKs that honour this stop sending it for an hour.
    static let notStored = "3600:transaction;span;session;replay;profile;profile_chunk;log_item:organization:not_stored"

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/:project/envelope/") { request, context in
            try await sentry(request, context) { body, project, rules in
                try await envelope(body, request: request, project: project, rules: rules)
            }
        }
        router.post("/api/:project/store/") { request, context in
            try await sentry(request, context) { body, project, rules in
                try await store(body, request: request, project: project, rules: rules)
            }
        }
        MethodGuard.allow(["POST"], on: "/api/:project/envelope/", router: router)
        MethodGuard.allow(["POST"], on: "/api/:project/store/", router: router)
    }

    /// Project, body and the answers SDKs rely on, shared by both endpoints. The config
    /// snapshot read here is the one the whole request uses (key, limits, accept).
    private func sentry(
        _ request: Request, _ context: BasicRequestContext,
        _ handle: ([UInt8], ProjectConfig, Firebell.Rules) async throws -> Response
    ) async throws -> Response {
        do {
            guard let text = context.parameters.get("project"), let id = Int(text) else {
                throw ClientError(.notFound, "project id in the path must be an integer, as in a DSN like http://<key>@host:8470/1")
            }
            let rules = firebell.rules.withLock { $0 }
            guard let project = rules.config.project(id: id) else {
                throw ClientError(.forbidden, "unknown project \(id)")
            }
            let body = try await RequestBody.read(request, limit: rules.config.server.maxBody)
            return try await handle(body, project, rules)
        } catch let error as ClientError {
            // SDKs log X-Sentry-Error; rate limits also get X-Sentry-Rate-Limits.
            var headers = error.headers
            headers[Self.errorHeader] = error.detail
            if error.status == .tooManyRequests, let retry = headers[.retryAfter] {
                headers[Self.rateLimitsHeader] = "\(retry):error;default;security:project:rate_limited"
            }
            return JSONResponse.error(error.status, error.detail, headers: headers)
        }
    }

    private func authenticate(_ request: Request, project: ProjectConfig, dsn: String?, rules: Firebell.Rules) throws {
        guard let key = SentryAuth.key(in: request) ?? dsn.flatMap(SentryAuth.key(inDSN:)) else {
            throw ClientError(
                .unauthorized,
                "missing DSN key: send X-Sentry-Auth: Sentry sentry_key=<key>, ?sentry_key=<key>, or a dsn in the envelope header")
        }
        guard let owner = rules.keys.project(forKey: key), owner.id == project.id else {
            throw ClientError(.forbidden, "DSN key is not valid for project \(project.id)")
        }
    }

    private func envelope(_ body: [UInt8], request: Request, project: ProjectConfig, rules: Firebell.Rules) async throws -> Response {
        let envelope: SentryEnvelope
        do {
            envelope = try SentryEnvelope.parse(body)
        } catch {
            // Authenticate before saying what was wrong with the body.
            try authenticate(request, project: project, dsn: nil, rules: rules)
            throw ClientError(.badRequest, error.message)
        }
        try authenticate(request, project: project, dsn: envelope.header.dsn, rules: rules)
        let now = firebell.clock()
        let contents: SentryEnvelopeContents
        do {
            contents = try SentryEventDecoder().decode(envelope: envelope, receivedAt: now, makeID: IngestStage.makeEventID)
        } catch {
            throw ClientError(.badRequest, error.message)
        }
        // Every item gets an outcome: items Firebell never stores are counted as dropped.
        for (type, count) in Dictionary(grouping: contents.droppedItemTypes, by: { $0 }).mapValues(\.count) {
            Counter(
                label: "firebell_items_dropped_total", dimensions: [("project", String(project.id)), ("type", type)],
                factory: firebell.metrics
            ).increment(by: count)
        }
        if !contents.events.isEmpty {
            try await firebell.ingest.accept(contents.events, project: project, rules: rules, now: now)
        }
        let id = contents.events.first?.eventID ?? envelope.header.eventID
        return JSONResponse.ids(id.map { [$0] } ?? [], asList: false, headers: [Self.rateLimitsHeader: Self.notStored])
    }

    private func store(_ body: [UInt8], request: Request, project: ProjectConfig, rules: Firebell.Rules) async throws -> Response {
        try authenticate(request, project: project, dsn: nil, rules: rules)
        let now = firebell.clock()
        let event: Event
        do {
            event = try SentryEventDecoder().decode(storeBody: body, receivedAt: now, makeID: IngestStage.makeEventID)
        } catch {
            throw ClientError(.badRequest, error.message)
        }
        try await firebell.ingest.accept([event], project: project, rules: rules, now: now)
        return JSONResponse.ids([event.eventID], asList: false)
    }
}
