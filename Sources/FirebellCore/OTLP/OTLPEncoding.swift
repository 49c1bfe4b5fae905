/// Which OTLP/HTTP endpoint a request came to: `POST /v1/logs` or `POST /v1/traces`.
public enum OTLPSignal: String, Sendable {
    case logs, traces

    /// What the answer's `partialSuccess` counts: log records, or spans.
    public var itemName: String {
        switch self {
        case .logs: "log records"
        case .traces: "spans"
        }
    }
}

/// How an OTLP/HTTP body is encoded, from its `Content-Type`; the answer uses the same.
public enum OTLPEncoding: Sendable {
    /// `application/x-protobuf`: the messages' binary encoding.
    case protobuf
    /// `application/json`: OTLP's JSON mapping (lowerCamelCase names, trace and span ids
    /// in hex, 64-bit integers as strings, enums as integers).
    case json

    /// The encoding a `Content-Type` names (parameters such as `charset` ignored); nil for any other.
    public init?(contentType: String?) {
        guard let contentType else { return nil }
        let mediaType = contentType.prefix { $0 != ";" }.filter { $0 != " " && $0 != "\t" }.lowercased()
        switch mediaType {
        case "application/x-protobuf", "application/protobuf": self = .protobuf
        case "application/json": self = .json
        default: return nil
        }
    }

    public var contentType: String {
        switch self {
        case .protobuf: "application/x-protobuf"
        case .json: "application/json"
        }
    }
}
