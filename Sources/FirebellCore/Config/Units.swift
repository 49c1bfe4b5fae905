import Foundation

/// Parsers for the unit-bearing values in the config file.
///
/// Each returns `nil` for text it does not accept, so the loader can say what
/// would be valid. They are strict on purpose: `5 m`, `5M` or a bare `300`
/// are rejected rather than guessed at.
public enum Units {
    /// Seconds in one of the duration suffixes the config accepts.
    static let durationUnits: [(suffix: String, seconds: TimeInterval)] = [
        // "ms" must be tried before "m" and "s".
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400),
    ]

    /// Seconds in one of the rate periods the config accepts.
    static let ratePeriods: [String: TimeInterval] = ["s": 1, "min": 60, "h": 3600]

    /// Bytes per size suffix. KB and MB are decimal (SI); KiB and MiB binary.
    static let sizeUnits: [(suffix: String, bytes: Int)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000),
        ("B", 1),
    ]

    /// `90s`, `5m`, `14d`, `250ms`: a non-negative integer and one of ms, s, m, h, d.
    public static func duration(_ s: String) -> TimeInterval? {
        for (suffix, seconds) in durationUnits where s.hasSuffix(suffix) {
            guard let count = digits(s.dropLast(suffix.count)) else { return nil }
            return TimeInterval(count) * seconds
        }
        return nil
    }

    /// `600/min`, `5/s`, `100/h`: a positive count per second, minute or hour.
    public static func rate(_ s: String) -> Rate? {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
              let count = digits(parts[0]), count > 0,
              let period = ratePeriods[String(parts[1])]
        else { return nil }
        return Rate(count: count, period: period)
    }

    /// `1MiB`, `512KiB`, `2MB`, or a plain number of bytes.
    public static func byteSize(_ s: String) -> Int? {
        if let bytes = digits(Substring(s)) { return bytes }
        for (suffix, unit) in sizeUnits where s.hasSuffix(suffix) {
            guard let count = digits(s.dropLast(suffix.count)) else { return nil }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: unit)
            return overflow ? nil : bytes
        }
        return nil
    }

    /// ASCII digits only: `Int("+5")` and `Int(" 5")` would be too lenient here.
    private static func digits(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }
}
