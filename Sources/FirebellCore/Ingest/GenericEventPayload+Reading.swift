// The fast twin of `GenericEventPayload.init(from:)` and its parts (GenericEventPayload.swift):
// the same wire types, read by `JSONReader`. Strict like the Codable types, and more:
// anything `init(from:)` might decode differently or reject (a wrong type, a repeated
// key, a number it converts) makes the fast path give up, so that `init(from:)` decides,
// with its error messages.

extension GenericEventPayload: JSONReadable {
    private enum Field: Int, JSONField {
        case eventID, timestamp, level, message, environment, service, release, platform
        case exception, fingerprint, tags, user, url
        static let names: [StaticString] = [
            "event_id", "timestamp", "level", "message", "environment", "service", "release", "platform", "exception",
            "fingerprint", "tags", "user", "url",
        ]
    }

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var fields = try reader.beginObject(Field.self)
        while let field = try reader.nextField(&fields) {
            guard try !reader.skipNull() else { continue }
            switch field {
            case .eventID: eventID = try reader.readLenientString()
            case .timestamp:
                guard let date = try reader.readTimestamp() else { throw reader.failure("not a timestamp") }
                timestamp = date
            case .level: level = try reader.readString()
            case .message: message = try reader.readString()
            case .environment: environment = try reader.readString()
            case .service: service = try reader.readString()
            case .release: release = try reader.readLenientString()
            case .platform: platform = try reader.readString()
            case .exception: exception = try ExceptionPayload(reading: &reader)
            case .fingerprint:
                var list: [String] = []
                try reader.beginArray()
                while try reader.nextElement() {
                    list.append(try reader.readLenientString())
                }
                fingerprint = list
            case .tags:
                var tags: [String: LenientString] = [:]
                try reader.beginObject()
                while let key = try reader.nextKey() {
                    let value = LenientString(try reader.readLenientString())
                    guard tags.updateValue(value, forKey: key.string) == nil else { throw reader.failure("a tag comes twice") }
                }
                self.tags = tags
            case .user: user = try UserPayload(reading: &reader)
            case .url: url = try reader.readString()
            }
        }
    }
}

extension ExceptionPayload: JSONReadable {
    private enum Field: Int, JSONField {
        case type, value, stacktrace
        static let names: [StaticString] = ["type", "value", "stacktrace"]
    }

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var fields = try reader.beginObject(Field.self)
        while let field = try reader.nextField(&fields) {
            guard try !reader.skipNull() else { continue }
            switch field {
            case .type: type = try reader.readString()
            case .value: value = try reader.readString()
            case .stacktrace: stacktrace = try StacktracePayload(reading: &reader)
            }
        }
    }
}

extension StacktracePayload: JSONReadable {
    private enum Field: Int, JSONField {
        case frames
        static let names: [StaticString] = ["frames"]
    }

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        guard try reader.peek() == .object else {
            frames = try Self.readFrames(&reader)
            return
        }
        var frames: [FramePayload]?
        var fields = try reader.beginObject(Field.self)
        while try reader.nextField(&fields) != nil {
            frames = try Self.readFrames(&reader)
        }
        guard let frames else { throw reader.failure("a stacktrace object without frames") }
        self.frames = frames
    }

    private static func readFrames(_ reader: inout JSONReader) throws(JSONReader.Failure) -> [FramePayload] {
        var frames: [FramePayload] = []
        try reader.beginArray()
        while try reader.nextElement() {
            frames.append(try FramePayload(reading: &reader))
        }
        return frames
    }
}

extension FramePayload: JSONReadable {
    private enum Field: Int, JSONField {
        case module, function, filename, lineno, inApp
        static let names: [StaticString] = ["module", "function", "filename", "lineno", "in_app"]
    }

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var fields = try reader.beginObject(Field.self)
        while let field = try reader.nextField(&fields) {
            guard try !reader.skipNull() else { continue }
            switch field {
            case .module: module = try reader.readString()
            case .function: function = try reader.readString()
            case .filename: filename = try reader.readString()
            case .lineno:
                guard let line = try reader.readNumber().int64.flatMap(Int.init(exactly:)) else {
                    throw reader.failure("a line number Int decoding converts its own way")
                }
                lineno = line
            case .inApp: inApp = try reader.readBool()
            }
        }
    }
}

extension UserPayload: JSONReadable {
    private enum Field: Int, JSONField {
        case id, email, username, ipAddress
        static let names: [StaticString] = ["id", "email", "username", "ip_address"]
    }

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var fields = try reader.beginObject(Field.self)
        while let field = try reader.nextField(&fields) {
            guard try !reader.skipNull() else { continue }
            switch field {
            case .id: id = LenientString(try reader.readLenientString())
            case .email: email = try reader.readString()
            case .username: username = try reader.readString()
            case .ipAddress: ipAddress = try reader.readString()
            }
        }
    }
}

extension JSONReader {
    /// A `LenientString` that must be there: a string, boolean or integer.
    fileprivate mutating func readLenientString() throws(Failure) -> String {
        guard let text = try readScalarText() else { throw failure("not a string, number or boolean") }
        return text
    }
}
