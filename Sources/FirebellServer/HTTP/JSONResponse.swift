import FirebellCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON answers. Every error a client gets is `{"detail": "..."}` saying what was
/// wrong and what would be accepted.
enum JSONResponse {
    static func ok<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `{"id": …}`, `{"ids": […]}` or `{}`: the answer to every stored event, written without an encoder.
    static func ids(_ ids: [String], asList: Bool, headers: HTTPFields = [:]) -> Response {
        var writer = JSONWriter(reservingCapacity: 16 + ids.count * 40)
        writer.beginObject()
        if asList {
            writer.key("ids")
            writer.strings(ids)
        } else if let id = ids.first {
            writer.key("id")
            writer.string(id)
        }
        writer.endObject()
        var fields = headers
        fields[.contentType] = "application/json"
        let bytes = (try? writer.finish()) ?? Array("{}".utf8)
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ status: HTTPResponse.Status, _ detail: String, headers: HTTPFields = [:]) -> Response {
        ok(["detail": detail], status: status, headers: headers)
    }
}

/// A failure that already knows its answer; thrown from handlers and turned into the response.
struct ClientError: Error {
    var status: HTTPResponse.Status
    var detail: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    var response: Response { JSONResponse.error(status, detail, headers: headers) }
}

/// Turns `ClientError`s, Hummingbird's own errors and anything unexpected into JSON answers.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ClientError {
            return error.response
        } catch let error as HTTPError {
            if error.status == .notFound {
                return JSONResponse.error(.notFound, "no such endpoint: \(request.method) \(request.uri.path)")
            }
            return JSONResponse.error(error.status, error.body ?? error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return JSONResponse.error(.internalServerError, "internal error; nothing was stored")
        }
    }
}

extension Request {
    /// Reads the whole body, answering 413 past `limit` bytes.
    mutating func collectBody(limit: Int) async throws -> ByteBuffer {
        do {
            return try await collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw ClientError(.contentTooLarge, "body is larger than server.max_body (\(limit) bytes)")
        }
    }
}
