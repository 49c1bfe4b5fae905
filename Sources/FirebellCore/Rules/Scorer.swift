import Foundation

/// A severity rule that matched, and what it did.
public struct RuleHit: Sendable, Equatable {
    public var name: String
    public var effect: RuleEffect

    public init(name: String, effect: RuleEffect) {
        self.name = name
        self.effect = effect
    }
}

/// The outcome of scoring one event: the severity and why.
public struct ScoreResult: Sendable, Equatable {
    /// Sum of the matched `add` rules.
    public var score: Int
    public var severity: Severity
    public var criticalAt: Int
    /// Matched rules in config order.
    public var hits: [RuleHit]
    /// For people: "score 110 ≥ 100: production errors +60, checkout path +30,
    /// new issue +20", with forcing rules appended ("; bots never page → minor").
    public var explanation: String

    public init(score: Int, severity: Severity, criticalAt: Int, hits: [RuleHit], explanation: String) {
        self.score = score
        self.severity = severity
        self.criticalAt = criticalAt
        self.hits = hits
        self.explanation = explanation
    }
}

/// Applies `severity.rules` in order: `add` rules accumulate a score that
/// decides critical vs. minor at `critical_at`; a matching `set` rule forces
/// the severity instead (the last one to match wins).
public struct Scorer: Sendable {
    /// The rules and threshold this scorer applies.
    public let config: SeverityConfig

    public init(_ config: SeverityConfig) {
        self.config = config
    }

    /// Scores one event; the caller supplies issue state (new, regression, window counts).
    public func score(_ context: RuleContext) -> ScoreResult {
        var score = 0
        var forced: Severity?
        var hits: [RuleHit] = []
        for rule in config.rules where rule.when.evaluate(context) {
            hits.append(RuleHit(name: rule.name, effect: rule.effect))
            switch rule.effect {
            case .add(let points): score += points
            case .set(let severity): forced = severity
            }
        }
        let severity = forced ?? (score >= config.criticalAt ? .critical : .minor)
        return ScoreResult(
            score: score,
            severity: severity,
            criticalAt: config.criticalAt,
            hits: hits,
            explanation: Self.explain(score: score, criticalAt: config.criticalAt, hits: hits)
        )
    }

    static func explain(score: Int, criticalAt: Int, hits: [RuleHit]) -> String {
        var added: [String] = []
        var forced: [String] = []
        for hit in hits {
            switch hit.effect {
            case .add(let points): added.append("\(hit.name) \(points < 0 ? "" : "+")\(points)")
            case .set(let severity): forced.append("\(hit.name) → \(severity.rawValue)")
            }
        }
        let comparison = score >= criticalAt ? "≥" : "<"
        let reasons = added.isEmpty ? "no scoring rule matched" : added.joined(separator: ", ")
        return (["score \(score) \(comparison) \(criticalAt): \(reasons)"] + forced).joined(separator: "; ")
    }
}
