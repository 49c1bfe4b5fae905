import Foundation

/// The wire shape of a Sentry event (develop.sentry.dev/sdk/event-payloads/),
/// only the fields Firebell reads. Protocol only: what they mean for Firebell is
/// `SentryEventDecoder`'s business.
///
/// Lenient like Relay: a field of the wrong type is dropped, not the event — SDKs
/// across a decade of versions disagree on details (ids as numbers, `null` where a
/// value is absent, Python log levels as integers), and a dropped error report is
/// worse than a missing field. Only a body that is not a JSON object fails.
struct SentryEventPayload: Decodable {
    var eventID: String?
    var timestamp: Date?
    var level: Level?
    var logger: String?
    var platform: String?
    var environment: String?
    var release: String?
    var dist: String?
    var serverName: String?
    /// `logentry`, the current name of the message interface.
    var logentry: SentryLogEntryPayload?
    /// `message`: a plain string, or the message interface under its legacy name.
    var message: SentryLogEntryPayload?
    /// `exception.values` (or a bare list), oldest first, `null` entries dropped.
    var exceptions: [SentryExceptionPayload]
    var tags: [String: String]
    var user: SentryUserPayload?
    var requestURL: String?
    var contexts: SentryContextsPayload?
    var fingerprint: [String]?

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", timestamp, level, logger, platform, environment, release, dist
        case serverName = "server_name", logentry, message, exception, tags, user, request, contexts, fingerprint
    }

    private struct RequestPayload: Decodable {
        var url: String?
        init(from decoder: any Decoder) throws {
            url = try decoder.container(keyedBy: SentryKey.self).lenientString(SentryKey("url"))
        }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        eventID = c.lenient(String.self, .eventID)
        timestamp = c.lenient(LenientString.self, .timestamp).flatMap { Timestamps.parse($0.value) }
        level = c.lenient(SentryLevelPayload.self, .level)?.level
        logger = c.lenientString(.logger)
        platform = c.lenientString(.platform)
        environment = c.lenientString(.environment)
        release = c.lenientString(.release)
        dist = c.lenientString(.dist)
        serverName = c.lenientString(.serverName)
        logentry = c.lenient(SentryLogEntryPayload.self, .logentry)
        message = c.lenient(SentryLogEntryPayload.self, .message)
        exceptions = c.lenient(SentryExceptionListPayload.self, .exception)?.values ?? []
        tags = c.lenient(SentryTagsPayload.self, .tags)?.tags ?? [:]
        user = c.lenient(SentryUserPayload.self, .user)
        requestURL = c.lenient(RequestPayload.self, .request)?.url
        contexts = c.lenient(SentryContextsPayload.self, .contexts)
        fingerprint = c.lenient(SentryList<LenientString>.self, .fingerprint).map { $0.elements.map(\.value) }
    }
}

/// The message interface: `"text"`, or `{"formatted", "message", "params"}`
/// (develop.sentry.dev/sdk/event-payloads/message/).
struct SentryLogEntryPayload: Decodable {
    /// The text as shown, parameters filled in.
    var formatted: String?
    /// The template (`"user %s failed"`), when the SDK sent one.
    var template: String?
    /// How many parameters came with the template (a list, or an object for named ones).
    var parameterCount: Int

    init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            formatted = text.isEmpty ? nil : text
            template = nil
            parameterCount = 0
            return
        }
        let c = try decoder.container(keyedBy: SentryKey.self)
        formatted = c.lenientString(SentryKey("formatted"))
        template = c.lenientString(SentryKey("message"))
        let params = SentryKey("params")
        if let list = c.lenient(SentryList<SentrySkip>.self, params) {
            parameterCount = list.elements.count
        } else if let object = try? c.nestedContainer(keyedBy: SentryKey.self, forKey: params) {
            parameterCount = object.allKeys.count
        } else {
            parameterCount = 0
        }
    }
}

/// `{"values": [...]}` or, from old SDKs, the bare list.
struct SentryExceptionListPayload: Decodable {
    var values: [SentryExceptionPayload]

    init(from decoder: any Decoder) throws {
        if let list = try? decoder.singleValueContainer().decode(SentryList<SentryExceptionPayload>.self) {
            values = list.elements
        } else {
            let c = try decoder.container(keyedBy: SentryKey.self)
            values = c.lenient(SentryList<SentryExceptionPayload>.self, SentryKey("values"))?.elements ?? []
        }
    }
}

/// One exception (develop.sentry.dev/sdk/event-payloads/exception/).
struct SentryExceptionPayload: Decodable {
    var type: String?
    var value: String?
    var module: String?
    /// Oldest call first, where it was raised last.
    var frames: [SentryFramePayload]
    var mechanism: SentryMechanismPayload?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SentryKey.self)
        type = c.lenientString(SentryKey("type"))
        value = c.lenientString(SentryKey("value"))
        module = c.lenientString(SentryKey("module"))
        frames = c.lenient(SentryStacktracePayload.self, SentryKey("stacktrace"))?.frames ?? []
        mechanism = c.lenient(SentryMechanismPayload.self, SentryKey("mechanism"))
    }
}

/// How the exception was caught: `{"type": "onerror", "handled": false}`.
struct SentryMechanismPayload: Decodable {
    var type: String?
    var handled: Bool?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SentryKey.self)
        type = c.lenientString(SentryKey("type"))
        handled = c.lenient(Bool.self, SentryKey("handled"))
    }
}

/// `{"frames": [...]}` (the stack trace interface); a bare list is taken too.
struct SentryStacktracePayload: Decodable {
    var frames: [SentryFramePayload]

    init(from decoder: any Decoder) throws {
        if let list = try? decoder.singleValueContainer().decode(SentryList<SentryFramePayload>.self) {
            frames = list.elements
        } else {
            let c = try decoder.container(keyedBy: SentryKey.self)
            frames = c.lenient(SentryList<SentryFramePayload>.self, SentryKey("frames"))?.elements ?? []
        }
    }
}

/// One stack frame (develop.sentry.dev/sdk/event-payloads/stacktrace/).
struct SentryFramePayload: Decodable {
    var module: String?
    var function: String?
    var filename: String?
    var absPath: String?
    var lineno: Int?
    var inApp: Bool?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SentryKey.self)
        module = c.lenientString(SentryKey("module"))
        function = c.lenientString(SentryKey("function"))
        filename = c.lenientString(SentryKey("filename"))
        absPath = c.lenientString(SentryKey("abs_path"))
        lineno = c.lenient(Int.self, SentryKey("lineno"))
        inApp = c.lenient(Bool.self, SentryKey("in_app"))
    }

    /// `abs_path` stands in for a missing `filename` (Go and Ruby send both; some SDKs only `abs_path`).
    var frame: Frame {
        Frame(module: module, function: function, filename: filename ?? absPath, lineno: lineno, inApp: inApp)
    }
}

/// `{"key": value}` or `[["key", value], …]`; values of any scalar type become text,
/// `null`s and nested values are dropped (Relay drops them too).
struct SentryTagsPayload: Decodable {
    var tags: [String: String] = [:]

    private struct Pair: Decodable {
        var key: String
        var value: String

        init(from decoder: any Decoder) throws {
            var list = try decoder.unkeyedContainer()
            guard list.count == 2 else {
                throw DecodingError.dataCorruptedError(in: list, debugDescription: "a tag pair has two elements")
            }
            key = try list.decode(LenientString.self).value
            value = try list.decode(LenientString.self).value
        }
    }

    init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: SentryKey.self) {
            for key in object.allKeys {
                if let value = object.lenient(LenientString.self, key) {
                    tags[key.stringValue] = value.value
                }
            }
        } else {
            // Later pairs win, as in an object literal with a repeated key.
            for pair in try decoder.singleValueContainer().decode(SentryList<Pair>.self).elements {
                tags[pair.key] = pair.value
            }
        }
    }
}

/// The user interface (develop.sentry.dev/sdk/event-payloads/user/).
struct SentryUserPayload: Decodable {
    var id: String?
    var email: String?
    var username: String?
    var ipAddress: String?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SentryKey.self)
        id = c.lenientString(SentryKey("id"))
        email = c.lenientString(SentryKey("email"))
        username = c.lenientString(SentryKey("username"))
        // "{{auto}}" asks the server to fill in the client's address, which a decoder can't know.
        ipAddress = c.lenientString(SentryKey("ip_address")).flatMap { $0 == "{{auto}}" ? nil : $0 }
    }
}

/// The contexts Firebell turns into tags, as Sentry does: `os`, `runtime`, `browser`
/// (develop.sentry.dev/sdk/event-payloads/contexts/).
struct SentryContextsPayload: Decodable {
    struct NameAndVersion: Decodable {
        var name: String?
        var version: String?

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: SentryKey.self)
            name = c.lenientString(SentryKey("name"))
            version = c.lenientString(SentryKey("version"))
        }
    }

    var os: NameAndVersion?
    var runtime: NameAndVersion?
    var browser: NameAndVersion?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SentryKey.self)
        os = c.lenient(NameAndVersion.self, SentryKey("os"))
        runtime = c.lenient(NameAndVersion.self, SentryKey("runtime"))
        browser = c.lenient(NameAndVersion.self, SentryKey("browser"))
    }
}

/// `"error"`, `"warn"`, … or a Python logging level number (`40`), as Relay accepts.
struct SentryLevelPayload: Decodable {
    var level: Level

    /// A Python logging level number: below 20 debug, then info, warning, error; 50 and up fatal.
    static func level(loggingNumber number: Int64) -> Level {
        switch number {
        case ..<20: .debug
        case 20..<30: .info
        case 30..<40: .warning
        case 40..<50: .error
        default: .fatal
        }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let number = try? c.decode(Int.self) {
            level = Self.level(loggingNumber: Int64(number))
        } else if let known = Level(lenient: try c.decode(String.self)) {
            level = known
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a level")
        }
    }
}
