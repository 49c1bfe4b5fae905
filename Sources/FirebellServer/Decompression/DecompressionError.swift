/// Why a request body could not be decompressed. Each case has its HTTP answer.
public enum DecompressionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `Content-Encoding` Firebell does not decode (the header token as sent) → 415.
    case unsupported(String)
    /// The decompressed body would pass `limit` bytes (`max_body`) → 413.
    case tooLarge(limit: Int)
    /// The body is not a valid, complete stream of its encoding; the text is
    /// what the decoder said → 400.
    case corrupt(String)

    /// The status the server answers with.
    public var httpStatus: Int {
        switch self {
        case .unsupported: 415
        case .tooLarge: 413
        case .corrupt: 400
        }
    }

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
