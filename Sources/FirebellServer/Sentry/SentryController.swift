import FirebellCore
import FirebellStore
import Foundation
import HTTPTypes
import Hummingbird
import Metrics

/// The Sentry ingest API, so any Sentry SDK reports to Firebell by changing its DSN:
/// `POST /api/{project_id}/envelope/` and the legacy `POST /api/{project_id}/store/`.
///
/// The path of an envelope: key from a header or the query, checked against the
/// path's project → streamed decompression capped at `max_body` → envelope parse
/// (and the key from its `dsn` if none came before) → signature and replay check
/// (a project with `signing_secret`) → items per request → `event` items decoded (other item types dropped, and SDKs told to
/// stop sending them) → the accept stage (`IngestStage`), as for `/v1/events`.
struct SentryController: Sendable {
    let firebell: Firebell

    static let errorHeader = HTTPField.Name("X-Sentry-Error")!
    static let rateLimitsHeader = HTTPField.Name("X-Sentry-Rate-Limits")!
    /// What Firebell never stores: SDKs that honour this stop sending it for an hour.
    static let notStored = "3600:transaction;span;session;replay;profile;profile_chunk;log_item:organization:not_stored"

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/:project/envelope/") { request, context in
            try await sentry(request, context) { body, target in
                try await envelope(body, request: request, target: target)
            }
        }
        router.post("/api/:project/store/") { request, context in
            try await sentry(request, context) { body, target in
                try await store(body, request: request, target: target)
            }
        }
        MethodGuard.allow(["POST"], on: "/api/:project/envelope/", router: router)
        MethodGuard.allow(["POST"], on: "/api/:project/store/", router: router)
    }

    /// Key, body and the answers SDKs rely on, shared by both endpoints. The config
    /// snapshot read here is the one the whole request uses (key, limits, accept).
    ///
    /// A key in a header or the query is checked before the body is read or
    /// decompressed; only an envelope whose key is in its own header (`dsn`) is read
    /// first. "No such project" and "wrong key" get the same answer, so project ids
    /// cannot be enumerated.
    private func sentry(
        _ request: Request, _ context: BasicRequestContext,
        _ handle: ([UInt8], SentryTarget) async throws -> Response
    ) async throws -> Response {
        do {
            guard let text = context.parameters.get("project"), let id = Int(text) else {
                throw ClientError(.notFound, "project id in the path must be an integer, as in a DSN like http://<key>@host:8470/1")
            }
            let rules = firebell.rules.withLock { $0 }
            let project = try SentryAuth.key(in: request).map { try authorize(key: $0, projectID: id, rules: rules) }
            let body = try await RequestBody.read(request, limit: rules.config.server.maxBody)
            return try await handle(body, SentryTarget(projectID: id, project: project, rules: rules))
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

    /// The project `key` opens, if it is project `projectID`; otherwise the one 403 for
    /// an unknown project and a wrong key alike.
    private func authorize(key: String, projectID: Int, rules: Firebell.Rules) throws -> ProjectConfig {
        guard let project = rules.keys.project(forKey: key), project.id == projectID else {
            firebell.ingest.count(project: nil, outcome: "forbidden", 1)
            throw ClientError(.forbidden, "DSN key is not valid for project \(projectID)")
        }
        return project
    }

    /// The project of a request whose key was not in a header or the query: from the envelope's `dsn`, or 401.
    private func authorize(_ target: SentryTarget, dsn: String?) throws -> ProjectConfig {
        if let project = target.project { return project }
        guard let key = dsn.flatMap(SentryAuth.key(inDSN:)) else {
            firebell.ingest.count(project: nil, outcome: "unauthorized", 1)
            throw ClientError(
                .unauthorized,
                "missing DSN key: send X-Sentry-Auth: Sentry sentry_key=<key>, ?sentry_key=<key>, or a dsn in the envelope header")
        }
        return try authorize(key: key, projectID: target.projectID, rules: target.rules)
    }

    private func envelope(_ body: [UInt8], request: Request, target: SentryTarget) async throws -> Response {
        let envelope: SentryEnvelope
        do {
            envelope = try SentryEnvelope.parse(body)
        } catch {
            // Authenticate before saying what was wrong with the body.
            _ = try authorize(target, dsn: nil)
            throw ClientError(.badRequest, error.message)
        }
        let project = try authorize(target, dsn: envelope.header.dsn)
        let now = firebell.clock()
        return try await firebell.signed(request, body: body, project: project, now: now) {
            guard envelope.items.count <= IngestStage.maxItemsPerRequest else {
                firebell.ingest.count(project: project, outcome: "too_large", envelope.items.count)
                throw IngestStage.tooManyItems(envelope.items.count, what: "envelope items")
            }
            let contents: SentryEnvelopeContents
            do throws(IngestError) {
                contents = try SentryEventDecoder().decode(envelope: envelope, receivedAt: now, makeID: IngestStage.makeEventID)
            } catch {
                throw ClientError(.badRequest, error.message)
            }
            // Every item gets an outcome: items Firebell never stores are counted as dropped,
            // under a type from a fixed set (a label made from client text would let any
            // client grow /metrics without bound).
            for (type, count) in Dictionary(grouping: contents.droppedItemTypes, by: SentryItemType.label).mapValues(\.count) {
                Counter(
                    label: "firebell_items_dropped_total", dimensions: [("project", String(project.id)), ("type", type)],
                    factory: firebell.metrics
                ).increment(by: count)
            }
            if !contents.events.isEmpty {
                try await firebell.ingest.accept(contents.events, project: project, rules: target.rules, now: now)
            }
            let id = contents.events.first?.eventID ?? envelope.header.eventID
            return JSONResponse.ids(id.map { [$0] } ?? [], asList: false, headers: [Self.rateLimitsHeader: Self.notStored])
        }
    }

    private func store(_ body: [UInt8], request: Request, target: SentryTarget) async throws -> Response {
        let project = try authorize(target, dsn: nil)
        let now = firebell.clock()
        return try await firebell.signed(request, body: body, project: project, now: now) {
            let event: Event
            do throws(IngestError) {
                event = try SentryEventDecoder().decode(storeBody: body, receivedAt: now, makeID: IngestStage.makeEventID)
            } catch {
                throw ClientError(.badRequest, error.message)
            }
            try await firebell.ingest.accept([event], project: project, rules: target.rules, now: now)
            return JSONResponse.ids([event.eventID], asList: false)
        }
    }
}

/// Whom a Sentry request is for: the project id of its path, the project its header or
/// query key opened (nil: the key, if any, is in the envelope), and the config snapshot.
struct SentryTarget {
    var projectID: Int
    var project: ProjectConfig?
    var rules: Firebell.Rules
}
