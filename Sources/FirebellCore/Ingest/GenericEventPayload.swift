import Foundation

/// The wire shape of a generic event (DESIGN §3). Lenient where reporters differ:
/// numbers or strings for ids and timestamps, tag values of any scalar type, a
/// stacktrace as a list of frames or as `{"frames": [...]}`.
struct GenericEventPayload: Decodable {
    var eventID: String?
    var timestamp: Date?
    var level: String?
    var message: String?
    var environment: String?
    var service: String?
    var release: String?
    var platform: String?
    var exception: ExceptionPayload?
    var fingerprint: [String]?
    var tags: [String: LenientString]?
    var user: UserPayload?
    var url: String?

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", timestamp, level, message, environment, service, release, platform
        case exception, fingerprint, tags, user, url
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        eventID = try c.decodeIfPresent(LenientString.self, forKey: .eventID)?.value
        if let raw = try c.decodeIfPresent(LenientString.self, forKey: .timestamp) {
            guard let date = Timestamps.parse(raw.value) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .timestamp, in: c,
                    debugDescription: "'\(raw.value)' is not a timestamp (use RFC 3339 like 2026-11-30T05:00:00Z, or Unix seconds)")
            }
            timestamp = date
        }
        level = try c.decodeIfPresent(String.self, forKey: .level)
        message = try c.decodeIfPresent(String.self, forKey: .message)
        environment = try c.decodeIfPresent(String.self, forKey: .environment)
        service = try c.decodeIfPresent(String.self, forKey: .service)
        release = try c.decodeIfPresent(LenientString.self, forKey: .release)?.value
        platform = try c.decodeIfPresent(String.self, forKey: .platform)
        exception = try c.decodeIfPresent(ExceptionPayload.self, forKey: .exception)
        fingerprint = try c.decodeIfPresent([LenientString].self, forKey: .fingerprint)?.map(\.value)
        tags = try c.decodeIfPresent(LenientTags.self, forKey: .tags)?.tags
        user = try c.decodeIfPresent(UserPayload.self, forKey: .user)
        url = try c.decodeIfPresent(String.self, forKey: .url)
    }

    func event(position: String, receivedAt: Date, makeID: () -> String) throws(IngestError) -> Event {
        let hasMessage = !(message ?? "").isEmpty
        guard hasMessage || exception != nil else {
            throw IngestError("\(position): needs a 'message' or an 'exception'")
        }
        var parsedLevel = Level.error
        if let level {
            guard let known = Level(lenient: level) else {
                throw IngestError("\(position): level '\(level)' is not one of debug, info, warning, error, fatal")
            }
            parsedLevel = known
        }
        return Event(
            eventID: eventID.flatMap { $0.isEmpty ? nil : $0 } ?? makeID(),
            timestamp: timestamp ?? receivedAt,
            level: parsedLevel,
            message: message,
            environment: environment,
            service: service,
            release: release,
            platform: platform,
            exception: exception.map {
                ExceptionInfo(type: $0.type, value: $0.value, stacktrace: $0.stacktrace?.frames.map(\.frame) ?? [])
            },
            fingerprint: fingerprint,
            tags: tags?.mapValues(\.value) ?? [:],
            user: user.map { User(id: $0.id?.value, email: $0.email, username: $0.username, ipAddress: $0.ipAddress) },
            url: url
        )
    }
}

struct ExceptionPayload: Decodable {
    var type: String?
    var value: String?
    var stacktrace: StacktracePayload?
}

/// `[frame, …]` or `{"frames": [frame, …]}`.
struct StacktracePayload: Decodable {
    var frames: [FramePayload]

    private enum CodingKeys: String, CodingKey { case frames }

    init(from decoder: any Decoder) throws {
        if var list = try? decoder.unkeyedContainer() {
            var frames: [FramePayload] = []
            while !list.isAtEnd { frames.append(try list.decode(FramePayload.self)) }
            self.frames = frames
        } else {
            frames = try decoder.container(keyedBy: CodingKeys.self).decode([FramePayload].self, forKey: .frames)
        }
    }
}

struct FramePayload: Decodable {
    var module: String?
    var function: String?
    var filename: String?
    var lineno: Int?
    var inApp: Bool?

    enum CodingKeys: String, CodingKey {
        case module, function, filename, lineno, inApp = "in_app"
    }

    var frame: Frame { Frame(module: module, function: function, filename: filename, lineno: lineno, inApp: inApp) }
}

struct UserPayload: Decodable {
    var id: LenientString?
    var email: String?
    var username: String?
    var ipAddress: String?

    enum CodingKeys: String, CodingKey {
        case id, email, username, ipAddress = "ip_address"
    }
}

/// A `tags` object decoded key by key in key order. `JSONDecoder` decodes a
/// `[String: T]` in its hash order, which changes from one decode to the next, so
/// of several bad tags the error named a different one each time (found by
/// `make fuzz`); sorted, it always names the first.
struct LenientTags: Decodable {
    var tags: [String: LenientString] = [:]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        for key in c.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            tags[key.stringValue] = try c.decode(LenientString.self, forKey: key)
        }
    }
}

/// A string, number or boolean, kept as its text (`"42"`, `42` and `42.0` are what reporters send for ids).
struct LenientString: Decodable {
    var value: String

    init(_ value: String) {
        self.value = value
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let string = try? c.decode(String.self) {
            value = string
        } else if let int = try? c.decode(Int64.self) {
            value = String(int)
        } else if let double = try? c.decode(Double.self) {
            value = String(double)
        } else if let bool = try? c.decode(Bool.self) {
            value = String(bool)
        } else {
            throw DecodingError.typeMismatch(
                String.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a string, number or boolean"))
        }
    }
}
