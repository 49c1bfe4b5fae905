import Foundation

/// Decodes a `when` mapping into a ``Condition``.
///
/// Each key is a field test or a stateful condition; several keys must all
/// hold. An absent `when` is ``Condition/always``.
enum ConditionDecoder {
    static func decode(_ value: ConfigValue?, scope: ConditionScope) -> Condition {
        guard let value, let map = value.mapping() else { return .always }
        var conditions: [Condition] = []
        for entry in map.entries {
            if let condition = decodeEntry(entry, in: map, scope: scope) {
                conditions.append(condition)
            }
        }
        switch conditions.count {
        case 0: return .always
        case 1: return conditions[0]
        default: return .all(conditions)
        }
    }

    private static func decodeEntry(_ entry: ConfigMapping.Entry, in map: ConfigMapping, scope: ConditionScope) -> Condition? {
        let value = entry.value
        let reader = value.reader
        if ConditionScope.statefulKeys.contains(entry.key) {
            guard scope.allowsStateful else {
                reader.report(
                    at: entry.keyMark,
                    "\(value.path): '\(entry.key)' is not allowed in \(scope.label) (issue state is only known to severity rules)"
                )
                return nil
            }
            return decodeStateful(entry.key, value)
        }
        guard let field = Field(configName: entry.key) else {
            reader.report(
                at: entry.keyMark,
                "\(map.path): unknown field '\(entry.key)' (valid: \(scope.validKeys.joined(separator: ", ")))"
            )
            return nil
        }
        if field == .severity && !scope.allowsSeverity {
            reader.report(
                at: entry.keyMark,
                "\(value.path): 'severity' is not allowed in \(scope.label) (only routes can test the severity the rules produced)"
            )
            return nil
        }
        guard let test = FieldTestDecoder.decode(value, field: field) else { return nil }
        return .field(field, test)
    }

    private static func decodeStateful(_ key: String, _ value: ConfigValue) -> Condition? {
        switch key {
        case "new_issue":
            return value.bool().map(Condition.newIssue)
        case "regression":
            return value.bool().map(Condition.regression)
        default:
            let example = "e.g. \(key): { window: 5m, over: 50 }"
            guard let map = value.mapping(allowed: ["window", "over"]) else { return nil }
            let window = map.required("window", example)?.positiveDuration()
            var over: Int?
            if let overValue = map.required("over", example), let number = overValue.int() {
                if number < 0 {
                    overValue.fail("must be 0 or more, got \(number)")
                } else if number > WindowLimits.maxOver {
                    // Each issue keeps its newest `over + 1` events (or users) to count in (`WindowLimits`).
                    overValue.fail("must be at most \(WindowLimits.maxOver), got \(number)")
                } else {
                    over = number
                }
            }
            guard let window, let over else { return nil }
            return key == "events_in" ? .eventsIn(window: window, over: over) : .usersIn(window: window, over: over)
        }
    }
}
