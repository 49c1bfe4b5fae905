import Foundation

/// What a matching severity rule does to the score.
public enum RuleEffect: Sendable, Equatable {
    /// Add points (may be negative).
    case add(Int)
    /// Force the severity, whatever the score.
    case set(Severity)
}

/// One entry of `severity.rules`.
public struct SeverityRule: Sendable {
    /// Shown in the score explanation ("production errors +60").
    public var name: String
    public var when: Condition
    public var effect: RuleEffect

    public init(name: String, when: Condition, effect: RuleEffect) {
        self.name = name
        self.when = when
        self.effect = effect
    }
}

/// The `severity:` section.
public struct SeverityConfig: Sendable {
    /// A score at or above this is critical.
    public var criticalAt: Int
    /// Applied in order by ``Scorer``.
    public var rules: [SeverityRule]

    public static let defaultCriticalAt = 100

    public init(criticalAt: Int = SeverityConfig.defaultCriticalAt, rules: [SeverityRule] = []) {
        self.criticalAt = criticalAt
        self.rules = rules
    }
}
