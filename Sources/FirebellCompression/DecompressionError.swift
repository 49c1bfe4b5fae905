/// Why a request body could not be decompressed. Which HTTP status answers
/// each case is FirebellServer's call.
public enum DecompressionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `Content-Encoding` Firebell does not decode (the header token as sent).
    case unsupported(String)
    /// The decompressed body would pass `limit` bytes (`max_body`).
    case tooLarge(limit: Int)
    /// The body is not a valid, complete stream of its encoding; the text is
    /// what the decoder said.
    case corrupt(String)

    public var description: String {
        switch self {
        case .unsupported(let name):
            "unsupported Content-Encoding \"\(name)\"; Firebell accepts one of gzip, deflate, br, zstd or identity"
        case .tooLarge(let limit):
            "request body is larger than \(limit) bytes once decompressed (max_body)"
        case .corrupt(let reason):
            "could not decompress the request body: \(reason)"
        }
    }
}
