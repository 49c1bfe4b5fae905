import Foundation

/// Decodes `severity:` (threshold and scoring rules).
enum SeveritySection {
    static let keys = ["critical_at", "rules"]
    static let ruleKeys = ["name", "when", "add", "set"]

    static func decode(_ value: ConfigValue?) -> SeverityConfig {
        var severity = SeverityConfig()
        guard let map = value?.mapping(allowed: keys) else { return severity }
        if let criticalAt = map["critical_at"]?.int() {
            severity.criticalAt = criticalAt
        }
        severity.rules = (map["rules"]?.sequence() ?? []).compactMap(decodeRule)
        return severity
    }

    private static func decodeRule(_ item: ConfigValue) -> SeverityRule? {
        guard let map = item.mapping(allowed: ruleKeys) else { return nil }
        let name = map.required("name", "shown in the score explanation, e.g. name: production errors")?.requiredText()
        let when = ConditionDecoder.decode(map["when"], scope: .severityRule)
        let effect: RuleEffect?
        switch (map["add"], map["set"]) {
        case (let add?, nil):
            effect = add.int().map(RuleEffect.add)
        case (nil, let set?):
            effect = severity(set).map(RuleEffect.set)
        case (_?, _?):
            item.fail("has both add and set (use add: N to score, or set: minor|critical to force)")
            effect = nil
        case (nil, nil):
            item.fail("needs add: N (points) or set: minor|critical")
            effect = nil
        }
        guard let name, let effect else { return nil }
        return SeverityRule(name: name, when: when, effect: effect)
    }

    private static func severity(_ value: ConfigValue) -> Severity? {
        guard let text = value.expanded(expected: "a severity")?.text else { return nil }
        guard let severity = Severity(rawValue: text) else {
            value.fail("'\(text)' is not a severity (valid: minor, critical)")
            return nil
        }
        return severity
    }
}
