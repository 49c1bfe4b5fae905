import FirebellCompression
import HTTPTypes
import Hummingbird
import NIOCore

/// Reads a request body as it streams in, decompressing per `Content-Encoding`
/// and stopping the moment it passes `limit` — compressed or decompressed — so
/// neither a huge upload nor a compression bomb costs more than `limit` memory.
enum RequestBody {
    static func read(_ request: Request, limit: Int) async throws -> [UInt8] {
        let encoding: ContentEncoding
        do {
            encoding = try ContentEncoding(header: request.headers[.contentEncoding])
        } catch {
            throw ClientError(.unsupportedMediaType, error.description)
        }
        var decompressor = Decompressor(encoding, limit: limit)
        var received = 0
        do {
            for try await chunk in request.body {
                received += chunk.readableBytes
                guard received <= limit else { throw DecompressionError.tooLarge(limit: limit) }
                try decompressor.feed(Array(buffer: chunk))
            }
            return try decompressor.finish()
        } catch let error as DecompressionError {
            switch error {
            case .unsupported: throw ClientError(.unsupportedMediaType, error.description)
            case .tooLarge: throw ClientError(.contentTooLarge, "body is larger than server.max_body (\(limit) bytes), after decompression too")
            case .corrupt: throw ClientError(.badRequest, error.description)
            }
        } catch {
            // The connection broke or timed out (`server.read_timeout`) mid-body: the
            // client's doing, not an internal error; the answer mostly cannot reach it.
            throw ClientError(.badRequest, "the request body could not be read to its end (\(error)); nothing was stored")
        }
    }
}
