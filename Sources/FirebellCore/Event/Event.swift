import Foundation

/// One error report, whatever it arrived as (generic JSON, Sentry, Alertmanager).
///
/// Every decoder produces this type; every later stage (grouping, scoring,
/// alerting) reads only this type. Fields the reporter did not send are `nil`
/// or empty, never invented.
///
/// Bounded: `init` cuts every text, list and map to `EventLimits`, so whatever a
/// client sends, an event made by a decoder holds at most a known amount of it.
/// (The properties stay settable; a value set later is the setter's to bound.)
public struct Event: Sendable, Equatable, Codable {
    /// The reporter's id for the event (32 hex chars for Sentry); used to count retries once.
    public var eventID: String
    /// When the event happened, as the reporter says (or when it arrived).
    public var timestamp: Date
    public var level: Level
    public var message: String?
    public var environment: String?
    public var service: String?
    public var release: String?
    public var platform: String?
    public var exception: ExceptionInfo?
    /// The reporter's own grouping, may contain `{{ default }}`.
    public var fingerprint: [String]?
    public var tags: [String: String]
    public var user: User?
    public var url: String?
    /// The logger that reported it (Sentry `logger`), if any.
    public var logger: String?
    /// Sentry `dist`: the build of a release.
    public var dist: String?
    /// Sentry `server_name`: the host that reported it.
    public var serverName: String?
    /// The message as shown, parameters filled in, when `message` holds its template
    /// (Sentry `logentry` with `params`): grouping uses the template, titles this text.
    public var formattedMessage: String?

    public init(
        eventID: String,
        timestamp: Date,
        level: Level = .error,
        message: String? = nil,
        environment: String? = nil,
        service: String? = nil,
        release: String? = nil,
        platform: String? = nil,
        exception: ExceptionInfo? = nil,
        fingerprint: [String]? = nil,
        tags: [String: String] = [:],
        user: User? = nil,
        url: String? = nil,
        logger: String? = nil,
        dist: String? = nil,
        serverName: String? = nil,
        formattedMessage: String? = nil
    ) {
        self.eventID = eventID
        self.timestamp = timestamp
        self.level = level
        self.message = message
        self.environment = environment
        self.service = service
        self.release = release
        self.platform = platform
        self.exception = exception
        self.fingerprint = fingerprint
        self.tags = tags
        self.user = user
        self.url = url
        self.logger = logger
        self.dist = dist
        self.serverName = serverName
        self.formattedMessage = formattedMessage
        self = EventLimits.bounded(self)
    }

    /// A one-line title for alerts and lists: "Type: value", else the message; at most
    /// `EventLimits.title` (256 characters), as it becomes an issue's stored title.
    public var title: String {
        EventLimits.title.cut(fullTitle)
    }

    private var fullTitle: String {
        let shown = formattedMessage ?? message
        if let exception {
            let type = exception.type ?? "Error"
            if let value = exception.value, !value.isEmpty { return "\(type): \(value)" }
            if let shown, !shown.isEmpty { return "\(type): \(shown)" }
            return type
        }
        return shown ?? "(no message)"
    }

    /// The in-app frames, innermost last (the order reporters send them in).
    public var inAppFrames: [Frame] {
        (exception?.stacktrace ?? []).filter { $0.inApp == true }
    }
}

/// Severity level as reporters send it, ordered so `gte`/`lte` compare.
public enum Level: String, Sendable, Codable, CaseIterable, Comparable {
    case debug, info, warning, error, fatal

    /// Accepts the spellings reporters use (`warn`, `critical`, `log`).
    public init?(lenient text: String) {
        switch text.lowercased() {
        case "debug", "trace": self = .debug
        case "info", "log", "notice": self = .info
        case "warning", "warn": self = .warning
        case "error", "err": self = .error
        case "fatal", "critical", "crit", "emergency", "alert": self = .fatal
        default: return nil
        }
    }

    private var rank: Int {
        switch self {
        case .debug: 0
        case .info: 1
        case .warning: 2
        case .error: 3
        case .fatal: 4
        }
    }

    public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
}

public struct ExceptionInfo: Sendable, Equatable, Codable {
    public var type: String?
    public var value: String?
    /// Frames, outermost first and innermost (where it was raised) last.
    public var stacktrace: [Frame]

    public init(type: String? = nil, value: String? = nil, stacktrace: [Frame] = []) {
        self.type = type
        self.value = value
        self.stacktrace = stacktrace
    }
}

public struct Frame: Sendable, Equatable, Codable {
    public var module: String?
    public var function: String?
    public var filename: String?
    public var lineno: Int?
    public var inApp: Bool?

    public init(module: String? = nil, function: String? = nil, filename: String? = nil, lineno: Int? = nil, inApp: Bool? = nil) {
        self.module = module
        self.function = function
        self.filename = filename
        self.lineno = lineno
        self.inApp = inApp
    }

    /// "shop.pay in charge (shop/pay.py:88)", for alert text.
    public var display: String {
        var text = [module, function].compactMap { $0 }.joined(separator: " in ")
        if text.isEmpty { text = function ?? "?" }
        if let filename {
            text += " (\(filename)\(lineno.map { ":\($0)" } ?? ""))"
        }
        return text
    }
}

public struct User: Sendable, Equatable, Codable {
    public var id: String?
    public var email: String?
    public var username: String?
    public var ipAddress: String?

    public init(id: String? = nil, email: String? = nil, username: String? = nil, ipAddress: String? = nil) {
        self.id = id
        self.email = email
        self.username = username
        self.ipAddress = ipAddress
    }

    /// What counts as one user for `users_in` and the user count: id, else email, username, IP.
    public var identity: String? {
        id ?? email ?? username ?? ipAddress
    }
}
