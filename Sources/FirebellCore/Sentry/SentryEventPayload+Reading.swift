import Foundation

// The fast twin of `SentryEventPayload.init(from:)` and its parts (SentryEventPayload.swift):
// the same wire types, read by `JSONReader` as leniently as the Codable types decode
// them. Where the two might differ (a repeated key, a number `JSONDecoder` converts,
// JSON it is laxer about) the fast path gives up and `init(from:)` decides.

extension SentryEventPayload: JSONReadable {
    private enum Field: Int, JSONField {
        case eventID, timestamp, level, logger, platform, environment, release, dist, serverName
        case logentry, message, exception, tags, user, request, contexts, fingerprint
        static let names: [StaticString] = [
            "event_id", "timestamp", "level", "logger", "platform", "environment", "release", "dist", "server_name",
            "logentry", "message", "exception", "tags", "user", "request", "contexts", "fingerprint",
        ]
    }

    private enum RequestField: Int, JSONField {
        case url
        static let names: [StaticString] = ["url"]
    }

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        exceptions = []
        tags = [:]
        var fields = try reader.beginObject(Field.self)
        while let field = try reader.nextField(&fields) {
            switch field {
            case .eventID: eventID = try reader.lenientStringValue()
            case .timestamp: timestamp = try reader.lenientTimestamp()
            case .level: level = try reader.lenient(SentryLevelPayload.self)?.level
            case .logger: logger = try reader.lenientString()
            case .platform: platform = try reader.lenientString()
            case .environment: environment = try reader.lenientString()
            case .release: release = try reader.lenientString()
            case .dist: dist = try reader.lenientString()
            case .serverName: serverName = try reader.lenientString()
            case .logentry: logentry = try reader.lenient(SentryLogEntryPayload.self)
            case .message: message = try reader.lenient(SentryLogEntryPayload.self)
            case .exception: exceptions = try reader.lenient(SentryExceptionListPayload.self)?.values ?? []
            case .tags: tags = try reader.lenient(SentryTagsPayload.self)?.tags ?? [:]
            case .user: user = try reader.lenient(SentryUserPayload.self)
            case .request:
                guard var request = try reader.lenientObject(RequestField.self) else { continue }
                while try reader.nextField(&request) != nil {
                    requestURL = try reader.lenientString()
                }
            case .contexts: contexts = try reader.lenient(SentryContextsPayload.self)
            case .fingerprint: fingerprint = try reader.lenientList(of: LenientString.self)?.map(\.value)
            }
        }
    }
}

extension JSONReader {
    /// `lenient(LenientString.self, key).flatMap { Timestamps.parse($0.value) }`.
    fileprivate mutating func lenientTimestamp() throws(Failure) -> Date? {
        switch try peek() {
        case .string, .number, .bool:
            return try readTimestamp()
        case .null, .object, .array:
            try skip()
            return nil
        }
    }
}

extension SentryLevelPayload: SentryLenientReadable {
    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure) {
        switch try reader.peek() {
        case .number:
            guard let number = try reader.readNumber().int64 else {
                throw reader.failure("a level number Int decoding converts its own way")
            }
            level = Self.level(loggingNumber: number)
        case .string:
            guard let known = Level(lenient: try reader.readString()) else { return nil }
            level = known
        case .object, .array, .bool, .null:
            try reader.skip()
            return nil
        }
    }
}

extension SentryLogEntryPayload: SentryLenientReadable {
    private enum Field: Int, JSONField {
        case formatted, message, params
        static let names: [StaticString] = ["formatted", "message", "params"]
    }

    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure) {
        formatted = nil
        template = nil
        parameterCount = 0
        if try reader.peek() == .string {
            let text = try reader.readString()
            formatted = text.isEmpty ? nil : text
            return
        }
        guard var fields = try reader.lenientObject(Field.self) else { return nil }
        while let field = try reader.nextField(&fields) {
            switch field {
            case .formatted: formatted = try reader.lenientString()
            case .message: template = try reader.lenientString()
            case .params: parameterCount = try Self.readParameterCount(&reader)
            }
        }
    }

    /// A list's non-null elements, or an object's distinct keys (`allKeys` holds a repeated
    /// key once); 0 for anything else.
    private static func readParameterCount(_ reader: inout JSONReader) throws(JSONReader.Failure) -> Int {
        guard try reader.peek() == .object else {
            return try reader.lenientList(of: SentrySkip.self)?.count ?? 0
        }
        var names = Set<String>()
        try reader.beginObject()
        while let key = try reader.nextKey() {
            names.insert(key.string)
            try reader.skip()
        }
        return names.count
    }
}

extension SentryExceptionListPayload: SentryLenientReadable {
    private enum Field: Int, JSONField {
        case values
        static let names: [StaticString] = ["values"]
    }

    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure) {
        values = []
        if try reader.peek() == .array {
            values = try reader.lenientList(of: SentryExceptionPayload.self) ?? []
            return
        }
        guard var fields = try reader.lenientObject(Field.self) else { return nil }
        while try reader.nextField(&fields) != nil {
            values = try reader.lenientList(of: SentryExceptionPayload.self) ?? []
        }
    }
}

extension SentryExceptionPayload: SentryLenientReadable {
    private enum Field: Int, JSONField {
        case type, value, module, stacktrace, mechanism
        static let names: [StaticString] = ["type", "value", "module", "stacktrace", "mechanism"]
    }

    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure) {
        frames = []
        guard var fields = try reader.lenientObject(Field.self) else { return nil }
        while let field = try reader.nextField(&fields) {
            switch field {
            case .type: type = try reader.lenientString()
            case .value: value = try reader.lenientString()
            case .module: module = try reader.lenientString()
            case .stacktrace: frames = try reader.lenient(SentryStacktracePayload.self)?.frames ?? []
            case .mechanism: mechanism = try reader.lenient(SentryMechanismPayload.self)
            }
        }
    }
}

extension SentryMechanismPayload: SentryLenientReadable {
    private enum Field: Int, JSONField {
        case type, handled
        static let names: [StaticString] = ["type", "handled"]
    }

    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure) {
        guard var fields = try reader.lenientObject(Field.self) else { return nil }
        while let field = try reader.nextField(&fields) {
            switch field {
            case .type: type = try reader.lenientString()
            case .handled: handled = try reader.lenientBool()
            }
        }
    }
}

extension SentryStacktracePayload: SentryLenientReadable {
    private enum Field: Int, JSONField {
        case frames
        static let names: [StaticString] = ["frames"]
    }

    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure) {
        frames = []
        if try reader.peek() == .array {
            frames = try reader.lenientList(of: SentryFramePayload.self) ?? []
            return
        }
        guard var fields = try reader.lenientObject(Field.self) else { return nil }
        while try reader.nextField(&fields) != nil {
            frames = try reader.lenientList(of: SentryFramePayload.self) ?? []
        }
    }
}

extension SentryFramePayload: SentryLenientReadable {
    private enum Field: Int, JSONField {
        case module, function, filename, absPath, lineno, inApp
        static let names: [StaticString] = ["module", "function", "filename", "abs_path", "lineno", "in_app"]
    }

    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure) {
        guard var fields = try reader.lenientObject(Field.self) else { return nil }
        while let field = try reader.nextField(&fields) {
            switch field {
            case .module: module = try reader.lenientString()
            case .function: function = try reader.lenientString()
            case .filename: filename = try reader.lenientString()
            case .absPath: absPath = try reader.lenientString()
            case .lineno: lineno = try reader.lenientInt()
            case .inApp: inApp = try reader.lenientBool()
            }
        }
    }
}

extension SentryTagsPayload: SentryLenientReadable {
    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure) {
        switch try reader.peek() {
        case .object:
            try readObject(&reader)
        case .array:
            try reader.beginArray()
            while try reader.nextElement() {
                if let (key, value) = try Self.readPair(&reader) {
                    tags[key] = value  // later pairs win, as in `init(from:)`
                }
            }
        case .string, .number, .bool, .null:
            try reader.skip()
            return nil
        }
    }

    /// `{"key": value}`: scalar values as text, others dropped. A key that comes twice
    /// (even spelled differently, as canonically equivalent text) makes the fast path give up.
    private mutating func readObject(_ reader: inout JSONReader) throws(JSONReader.Failure) {
        var dropped = Set<String>()
        try reader.beginObject()
        while let key = try reader.nextKey() {
            let name = key.string
            guard tags[name] == nil, !dropped.contains(name) else { throw reader.failure("a tag comes twice") }
            if let value = try reader.lenient(LenientString.self) {
                tags[name] = value.value
            } else {
                dropped.insert(name)
            }
        }
    }

    /// `[key, value]` with both scalars; `nil` for anything else.
    private static func readPair(_ reader: inout JSONReader) throws(JSONReader.Failure) -> (String, String)? {
        guard try reader.peek() == .array else {
            try reader.skip()
            return nil
        }
        var texts: [String?] = []
        try reader.beginArray()
        while try reader.nextElement() {
            texts.append(try reader.lenient(LenientString.self)?.value)
        }
        guard texts.count == 2, let key = texts[0], let value = texts[1] else { return nil }
        return (key, value)
    }
}

extension SentryUserPayload: SentryLenientReadable {
    private enum Field: Int, JSONField {
        case id, email, username, ipAddress
        static let names: [StaticString] = ["id", "email", "username", "ip_address"]
    }

    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure) {
        guard var fields = try reader.lenientObject(Field.self) else { return nil }
        while let field = try reader.nextField(&fields) {
            switch field {
            case .id: id = try reader.lenientString()
            case .email: email = try reader.lenientString()
            case .username: username = try reader.lenientString()
            case .ipAddress: ipAddress = try reader.lenientString().flatMap { $0 == "{{auto}}" ? nil : $0 }
            }
        }
    }
}

extension SentryContextsPayload: SentryLenientReadable {
    private enum Field: Int, JSONField {
        case os, runtime, browser
        static let names: [StaticString] = ["os", "runtime", "browser"]
    }

    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure) {
        guard var fields = try reader.lenientObject(Field.self) else { return nil }
        while let field = try reader.nextField(&fields) {
            switch field {
            case .os: os = try reader.lenient(NameAndVersion.self)
            case .runtime: runtime = try reader.lenient(NameAndVersion.self)
            case .browser: browser = try reader.lenient(NameAndVersion.self)
            }
        }
    }
}

extension SentryContextsPayload.NameAndVersion: SentryLenientReadable {
    private enum Field: Int, JSONField {
        case name, version
        static let names: [StaticString] = ["name", "version"]
    }

    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure) {
        guard var fields = try reader.lenientObject(Field.self) else { return nil }
        while let field = try reader.nextField(&fields) {
            switch field {
            case .name: name = try reader.lenientString()
            case .version: version = try reader.lenientString()
            }
        }
    }
}
