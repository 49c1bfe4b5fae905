import FirebellCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// OpenTelemetry's OTLP/HTTP: `POST /v1/logs` and `POST /v1/traces`, protobuf or JSON,
/// on `server.listen` and, when set, on `server.otlp_listen` (OTLP's port 4318).
///
/// The path of a request: the project key (`Authorization: Bearer`, or `x-firebell-key`,
/// which an OTel Collector's `headers:` sets) checked before the body is read →
/// `Content-Type` (protobuf or JSON, else 415) → the body through the shared
/// decompression and `max_body` limit → signature check (a project with a
/// `signing_secret`) → decode (`OTLPRequest`) → items per request → the exceptions as
/// `Event`s (`OTLPRequest.export`), the rest dropped → the accept stage (`IngestStage`).
///
/// Every answer is OTLP's: `Export…ServiceResponse` (with `partialSuccess` when an
/// exception was refused), and a `google.rpc.Status` for every error, both in the
/// request's encoding (JSON when it named neither). Every record ends with one outcome in
/// `firebell_events_total`: `dropped` for those that carried no exception.
struct OTLPController: Sendable {
    let firebell: Firebell

    /// The header an OTel Collector's or SDK's `headers` can carry the project key in.
    static let keyHeader = HTTPField.Name("x-firebell-key")!

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/logs") { request, _ in
            await receive(request, signal: .logs)
        }
        router.post("/v1/traces") { request, _ in
            await receive(request, signal: .traces)
        }
        MethodGuard.allow(["POST"], on: "/v1/logs", router: router)
        MethodGuard.allow(["POST"], on: "/v1/traces", router: router)
    }

    private func receive(_ request: Request, signal: OTLPSignal) async -> Response {
        let encoding = OTLPEncoding(contentType: request.headers[.contentType])
        do {
            let rules = firebell.rules.withLock { $0 }
            let project = try firebell.authenticate(
                key: request.bearerToken ?? request.headers[Self.keyHeader], rules: rules,
                missing: "missing project key: send 'Authorization: Bearer <key>' or 'x-firebell-key: <key>' with a key from projects[].keys")
            guard let encoding else {
                throw ClientError(
                    .unsupportedMediaType,
                    "Content-Type '\(request.headers[.contentType] ?? "")' is not OTLP's: send application/x-protobuf or application/json")
            }
            let bytes = try await RequestBody.read(request, limit: rules.config.server.maxBody)
            let now = firebell.clock()
            return try await firebell.signed(request, body: bytes, project: project, now: now) {
                try await accept(bytes, signal: signal, encoding: encoding, project: project, rules: rules, now: now)
            }
        } catch let error as ClientError {
            return Self.status(error, encoding: encoding ?? .json)
        } catch {
            firebell.logger.error("OTLP request failed", metadata: ["error": "\(error)"])
            return Self.status(ClientError(.internalServerError, "internal error; nothing was stored"), encoding: encoding ?? .json)
        }
    }

    private func accept(
        _ bytes: [UInt8], signal: OTLPSignal, encoding: OTLPEncoding, project: ProjectConfig, rules: Firebell.Rules, now: Date
    ) async throws -> Response {
        let otlp: OTLPRequest
        do throws(IngestError) {
            otlp = try OTLPRequest(bytes, signal: signal, encoding: encoding)
        } catch {
            firebell.ingest.count(project: project, outcome: "invalid", 1)
            throw ClientError(.badRequest, error.message)
        }
        let items = otlp.itemCount
        guard items <= IngestStage.maxItemsPerRequest else {
            firebell.ingest.count(project: project, outcome: "too_large", items)
            throw IngestStage.tooManyItems(items, what: signal == .logs ? "log records" : "spans and span events")
        }
        let export = otlp.export(receivedAt: now, makeID: IngestStage.makeEventID)
        if !export.events.isEmpty {
            try await firebell.ingest.accept(export.events, project: project, rules: rules, now: now)
        }
        firebell.ingest.count(project: project, outcome: "dropped", export.dropped)
        firebell.ingest.count(project: project, outcome: "invalid", export.rejected)
        return Response(
            status: .ok, headers: [.contentType: encoding.contentType],
            body: .init(byteBuffer: ByteBuffer(bytes: OTLPResponse.success(signal, export: export, encoding: encoding))))
    }

    /// The error as OTLP answers it: the status and headers (`Retry-After`,
    /// `WWW-Authenticate`) as for the other routes, the body a `google.rpc.Status`.
    static func status(_ error: ClientError, encoding: OTLPEncoding) -> Response {
        var headers = error.headers
        headers[.contentType] = encoding.contentType
        let body = OTLPResponse.status(code: grpcCode(error.status), message: error.detail, encoding: encoding)
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The gRPC code (google.rpc.Code) that says what the HTTP status says.
    static func grpcCode(_ status: HTTPResponse.Status) -> Int32 {
        switch status.code {
        case 400, 415: 3  // INVALID_ARGUMENT
        case 401: 16  // UNAUTHENTICATED
        case 403: 7  // PERMISSION_DENIED
        case 409: 6  // ALREADY_EXISTS
        case 408: 4  // DEADLINE_EXCEEDED
        case 413, 429: 8  // RESOURCE_EXHAUSTED
        case 503: 14  // UNAVAILABLE
        case 500: 13  // INTERNAL
        default: 2  // UNKNOWN
        }
    }
}
