import Foundation

/// An event attribute a condition can test, named as in the config
/// (`exception.type`, `tags.region`, `user.id`, …).
public enum Field: Sendable, Hashable {
    case level, environment, service, release, platform, message, exceptionType, exceptionValue, userID, url
    /// The severity being routed; only meaningful in routes.
    case severity
    case tag(String)

    /// The config spelling of each fixed field, in the order errors list them.
    static let named: [(name: String, field: Field)] = [
        ("level", .level), ("environment", .environment), ("service", .service),
        ("release", .release), ("platform", .platform), ("message", .message),
        ("exception.type", .exceptionType), ("exception.value", .exceptionValue),
        ("user.id", .userID), ("url", .url), ("severity", .severity),
    ]

    static let tagPrefix = "tags."

    /// Parses `level`, `tags.region`, …; `nil` for anything else.
    public init?(configName: String) {
        if configName.hasPrefix(Field.tagPrefix) {
            let tag = String(configName.dropFirst(Field.tagPrefix.count))
            guard !tag.isEmpty else { return nil }
            self = .tag(tag)
            return
        }
        guard let match = Field.named.first(where: { $0.name == configName }) else { return nil }
        self = match.field
    }

    /// The config spelling, e.g. `exception.type`.
    public var configName: String {
        if case .tag(let name) = self { return Field.tagPrefix + name }
        return Field.named.first { $0.field == self }!.name
    }

    /// The field's text in this context, `nil` when the event lacks it.
    public func value(in context: RuleContext) -> String? {
        let event = context.event
        switch self {
        case .level: return event.level.rawValue
        case .environment: return event.environment
        case .service: return event.service
        case .release: return event.release
        case .platform: return event.platform
        // An exception-only event has no message; its title ("Type: value")
        // is what a person would call the message.
        case .message: return event.message ?? event.title
        case .exceptionType: return event.exception?.type
        case .exceptionValue: return event.exception?.value
        case .userID: return event.user?.id
        case .url: return event.url
        case .severity: return context.severity?.rawValue
        case .tag(let name): return event.tags[name]
        }
    }
}
