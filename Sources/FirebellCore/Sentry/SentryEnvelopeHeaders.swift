// The header lines of a Sentry envelope as sent, decoded by `JSONDecoder` or, on the
// fast path, read by `JSONReader` (which gives up on anything the two might see
// differently, leaving `JSONDecoder` to decide and to word the error).

/// The envelope header as sent; strings must be strings (the docs allow rejecting
/// an envelope whose known headers have the wrong type).
struct HeaderWire: Decodable, JSONReadable {
    var eventID: String?
    var dsn: String?
    var sentAt: String?

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", dsn, sentAt = "sent_at"
    }

    private enum Field: Int, JSONField {
        case eventID, dsn, sentAt
        static let names: [StaticString] = ["event_id", "dsn", "sent_at"]
    }

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var fields = try reader.beginObject(Field.self)
        while let field = try reader.nextField(&fields) {
            guard try !reader.skipNull() else { continue }
            switch field {
            case .eventID: eventID = try reader.readString()
            case .dsn: dsn = try reader.readString()
            case .sentAt: sentAt = try reader.readString()
            }
        }
    }
}

/// An item header as sent: `type` is required, `length` optional (`null` = absent).
struct ItemHeaderWire: Decodable, JSONReadable {
    var type: String
    var length: Int?
    var contentType: String?
    var filename: String?

    enum CodingKeys: String, CodingKey {
        case type, length, contentType = "content_type", filename
    }

    private enum Field: Int, JSONField {
        case type, length, contentType, filename
        static let names: [StaticString] = ["type", "length", "content_type", "filename"]
    }

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var type: String?
        var fields = try reader.beginObject(Field.self)
        while let field = try reader.nextField(&fields) {
            if field != .type, try reader.skipNull() { continue }
            switch field {
            case .type: type = try reader.readString()
            case .length:
                guard let length = try reader.readNumber().int64.flatMap(Int.init(exactly:)) else {
                    throw reader.failure("a length Int decoding converts its own way")
                }
                self.length = length
            case .contentType: contentType = try reader.readString()
            case .filename: filename = try reader.readString()
            }
        }
        guard let type else { throw reader.failure("an item header without a type") }
        self.type = type
    }
}
