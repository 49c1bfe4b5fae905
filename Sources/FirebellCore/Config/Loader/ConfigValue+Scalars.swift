import Foundation

/// Typed reads of scalar values. Each expands `${ENV}` first, reports a
/// located error naming what would be valid, and returns `nil` on failure.
extension ConfigValue {
    /// The scalar's text with `${ENV}` expanded; `nil` (and an error) for a
    /// mapping or list, `nil` silently for null.
    func expanded(expected: String = "a string") -> ExpandedText? {
        if isNull { return nil }
        guard let scalar = node.scalar else {
            fail("expected \(expected), got \(shapeDescription)")
            return nil
        }
        return EnvironmentExpansion.expand(scalar.string, environment: reader.environment)
    }

    /// Optional text: `nil` when null or empty after expansion.
    func text() -> String? {
        guard let value = expanded(), !value.text.isEmpty else { return nil }
        return value.text
    }

    /// Text that must be present and non-empty; says which variable was unset.
    func requiredText() -> String? {
        if isNull {
            fail("is empty")
            return nil
        }
        guard let value = expanded() else { return nil }
        guard !value.text.isEmpty else {
            fail("is empty\(value.unsetHint)")
            return nil
        }
        return value.text
    }

    /// Parses required, non-empty text; on `nil` from `parse` reports
    /// "'TEXT' is not WHAT (HINT)".
    func parsed<T>(as what: String, hint: String, expected: String = "a string", _ parse: (String) -> T?) -> T? {
        guard let value = expanded(expected: expected) else {
            if isNull { fail("is empty (\(hint))") }
            return nil
        }
        guard !value.text.isEmpty else {
            fail("is empty\(value.unsetHint) (\(hint))")
            return nil
        }
        guard let result = parse(value.text) else {
            fail("'\(value.text)' is not \(what) (\(hint))")
            return nil
        }
        return result
    }

    func int() -> Int? {
        guard let value = expanded(expected: "an integer") else {
            if isNull { fail("expected an integer, got nothing") }
            return nil
        }
        guard let number = Int(value.text) else {
            fail("expected an integer, got '\(value.text)'\(value.text.isEmpty ? value.unsetHint : "")")
            return nil
        }
        return number
    }

    func bool() -> Bool? {
        guard let value = expanded(expected: "true or false") else {
            if isNull { fail("expected true or false, got nothing") }
            return nil
        }
        switch value.text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            fail("expected true or false, got '\(value.text)'")
            return nil
        }
    }

    static let durationHint = "use an integer with ms, s, m, h or d, e.g. 90s, 5m, 14d"
    static let rateHint = "use N/s, N/min or N/h"
    static let sizeHint = "use bytes or an integer with KiB, MiB, GiB, KB, MB or GB, e.g. 1MiB"

    func duration() -> TimeInterval? {
        parsed(as: "a duration", hint: Self.durationHint, expected: "a duration", Units.duration)
    }

    /// A duration that must be more than zero (windows, timeouts, periods).
    func positiveDuration() -> TimeInterval? {
        guard let seconds = duration() else { return nil }
        guard seconds > 0 else {
            fail("must be longer than 0 (\(Self.durationHint))")
            return nil
        }
        return seconds
    }

    func rate() -> Rate? {
        parsed(as: "a rate", hint: Self.rateHint, expected: "a rate", Units.rate)
    }

    func byteSize() -> Int? {
        parsed(as: "a size", hint: Self.sizeHint, expected: "a size", Units.byteSize)
    }

    /// Non-empty texts from a list or a single scalar; reports empty items.
    func textList() -> [String]? {
        guard let items = scalarOrSequence() else { return nil }
        return items.compactMap { $0.requiredText() }
    }
}
