import Foundation

/// Decodes the value side of a `when` key: a scalar (equals), a list (any
/// of), or an operator map (all of its operators hold).
enum FieldTestDecoder {
    static let operators = ["equals", "in", "matches", "contains", "starts_with", "not", "gte", "lte"]

    static func decode(_ value: ConfigValue, field: Field) -> FieldTest? {
        if value.isNull {
            value.fail("needs a value, a list, or an operator map (\(operators.joined(separator: ", ")))")
            return nil
        }
        switch value.node {
        case .sequence:
            return anyOf(value, field: field)
        case .mapping:
            return operatorMap(value, field: field)
        default:
            return comparand(value, field: field).map(FieldTest.equals)
        }
    }

    private static func anyOf(_ value: ConfigValue, field: Field) -> FieldTest? {
        guard let items = value.sequence() else { return nil }
        if items.isEmpty {
            value.fail("is an empty list, which matches nothing (list at least one value)")
            return nil
        }
        let options = items.compactMap { comparand($0, field: field) }
        return options.count == items.count ? .anyOf(options) : nil
    }

    private static func operatorMap(_ value: ConfigValue, field: Field) -> FieldTest? {
        guard let all = value.mapping() else { return nil }
        if all.entries.isEmpty {
            value.fail("needs at least one operator (\(operators.joined(separator: ", ")))")
            return nil
        }
        let map = all.restricted(to: operators, noun: "operator")
        var tests: [FieldTest] = []
        var failed = false
        for entry in map.entries {
            if let test = decodeOperator(entry.key, entry.value, field: field) {
                tests.append(test)
            } else {
                failed = true
            }
        }
        if failed { return nil }
        return tests.count == 1 ? tests[0] : .all(tests)
    }

    private static func decodeOperator(_ name: String, _ value: ConfigValue, field: Field) -> FieldTest? {
        switch name {
        case "equals":
            return comparand(value, field: field).map(FieldTest.equals)
        case "in":
            return anyOf(value, field: field)
        case "not":
            return decode(value, field: field).map(FieldTest.not)
        case "gte", "lte":
            guard field == .level else {
                value.fail("\(name) compares levels, so it applies only to level")
                return nil
            }
            guard let level = level(value) else { return nil }
            return name == "gte" ? .gte(level) : .lte(level)
        case "matches":
            guard let pattern = value.expanded(expected: "a regular expression")?.text else {
                if value.isNull { value.fail("needs a regular expression") }
                return nil
            }
            return RegexCompiler.compile(pattern, at: value).map { .matches($0, pattern: pattern) }
        case "contains", "starts_with":
            guard let text = value.expanded()?.text else {
                if value.isNull { value.fail("needs a text to look for") }
                return nil
            }
            return name == "contains" ? .contains(text) : .startsWith(text)
        default:
            return nil // unreachable: mapping(allowed:) already rejected it
        }
    }

    /// A value to compare the field with for equality; level and severity
    /// names are checked and normalized here so evaluation is a plain compare.
    private static func comparand(_ value: ConfigValue, field: Field) -> String? {
        switch field {
        case .level:
            return level(value)?.rawValue
        case .severity:
            guard let text = value.expanded(expected: "a severity")?.text else { return nil }
            guard let severity = Severity(rawValue: text) else {
                value.fail("'\(text)' is not a severity (valid: \(Severity.allCases.map(\.rawValue).joined(separator: ", ")))")
                return nil
            }
            return severity.rawValue
        default:
            return value.expanded(expected: "a value")?.text
        }
    }

    private static func level(_ value: ConfigValue) -> Level? {
        guard let text = value.expanded(expected: "a level")?.text else {
            if value.isNull { value.fail("needs a level (valid: \(validLevels))") }
            return nil
        }
        guard let level = Level(lenient: text) else {
            value.fail("'\(text)' is not a level (valid: \(validLevels))")
            return nil
        }
        return level
    }

    private static var validLevels: String { Level.allCases.map(\.rawValue).joined(separator: ", ") }
}
