import Foundation

/// A test on one field's text; the operators of a `when` value.
public indirect enum FieldTest: Sendable {
    /// Exact, case-sensitive (level values are normalized at load).
    case equals(String)
    /// Equal to any of these.
    case anyOf([String])
    /// Regex search anywhere in the text (not anchored); compiled once at load.
    case matches(NSRegularExpression, pattern: String)
    /// Case-insensitive substring.
    case contains(String)
    /// Case-insensitive prefix.
    case startsWith(String)
    case not(FieldTest)
    /// Level at least this (only on `level`).
    case gte(Level)
    /// Level at most this (only on `level`).
    case lte(Level)
    /// Every test holds.
    case all([FieldTest])

    /// Whether the test holds for this field value. A missing field fails
    /// every positive test, so `not` of one holds.
    public func evaluate(_ value: String?) -> Bool {
        switch self {
        case .equals(let expected):
            return value == expected
        case .anyOf(let options):
            guard let value else { return false }
            return options.contains(value)
        case .matches(let regex, _):
            guard let value else { return false }
            let range = NSRange(value.startIndex..., in: value)
            return regex.firstMatch(in: value, range: range) != nil
        case .contains(let needle):
            guard let value else { return false }
            return needle.isEmpty || value.range(of: needle, options: .caseInsensitive) != nil
        case .startsWith(let prefix):
            guard let value else { return false }
            return prefix.isEmpty || value.range(of: prefix, options: [.caseInsensitive, .anchored]) != nil
        case .not(let test):
            return !test.evaluate(value)
        case .gte(let bound):
            guard let level = value.flatMap(Level.init(lenient:)) else { return false }
            return level >= bound
        case .lte(let bound):
            guard let level = value.flatMap(Level.init(lenient:)) else { return false }
            return level <= bound
        case .all(let tests):
            return tests.allSatisfy { $0.evaluate(value) }
        }
    }
}
