import FirebellOTLPProto
import Foundation

/// Reads OTLP attribute values (`AnyValue`) as the text an `Event` holds.
enum OTLPAttributes {
    /// Whether a log record's attributes make it an exception.
    static func carriesException(_ attributes: [OTLPKeyValue]) -> Bool {
        attributes.contains { $0.key == "exception.type" || $0.key == "exception.message" }
    }

    /// The value as text: a string as it is, a number or boolean spelt out, bytes in
    /// base64, arrays and key-value lists in JSON's shape. Nil for an empty value.
    static func text(_ value: Opentelemetry_Proto_Common_V1_AnyValue) -> String? {
        let text = spelled(value)
        return text.isEmpty ? nil : text
    }

    private static func spelled(_ value: Opentelemetry_Proto_Common_V1_AnyValue) -> String {
        switch value.value {
        case .stringValue(let text): text
        case .boolValue(let flag): flag ? "true" : "false"
        case .intValue(let number): String(number)
        case .doubleValue(let number): String(number)
        case .bytesValue(let bytes): bytes.base64EncodedString()
        case .arrayValue(let array): "[" + array.values.map(spelled).joined(separator: ", ") + "]"
        case .kvlistValue(let list): "{" + list.values.map { "\($0.key): \(spelled($0.value))" }.joined(separator: ", ") + "}"
        // An index into a profiles dictionary: not sent with logs or traces.
        case .stringValueStrindex, nil: ""
        }
    }
}

/// A log record's or span's trace and span ids, as lowercase hex; nil where absent.
struct OTLPIdentifiers {
    var traceID: String?
    var spanID: String?

    /// Refuses an id that is neither absent nor 16 (trace) or 8 (span) bytes.
    init(traceID: Data, spanID: Data, encoding: OTLPEncoding) throws(IngestError) {
        self.traceID = try Self.hex(traceID, bytes: 16, encoding: encoding, name: "traceId")
        self.spanID = try Self.hex(spanID, bytes: 8, encoding: encoding, name: "spanId")
    }

    /// In OTLP's JSON the ids are hex, but the generated decoder reads every `bytes`
    /// field as proto3 JSON's base64. Hex digits are base64 digits too, and 32 (or 16)
    /// of them are whole 4-digit groups, so the decoder turned them into 24 (or 12)
    /// bytes whose base64 spells exactly the digits that were sent: encoding them again
    /// gives the hex back. Exactly 16 (or 8) bytes in JSON are a client that sent base64.
    static func hex(_ data: Data, bytes: Int, encoding: OTLPEncoding, name: String) throws(IngestError) -> String? {
        if data.isEmpty { return nil }
        let hex: String
        if data.count == bytes {
            hex = data.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        } else if encoding == .json, data.count == bytes * 3 / 2 {
            hex = data.base64EncodedString().lowercased()
            guard hex.allSatisfy(\.isHexDigit) else {
                throw IngestError("\(name) is not \(bytes * 2) hex digits")
            }
        } else {
            throw IngestError(encoding == .json ? "\(name) is not \(bytes * 2) hex digits" : "\(name) is not \(bytes) bytes")
        }
        // All zeros is OTLP's "no id".
        return hex.allSatisfy { $0 == "0" } ? nil : hex
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
