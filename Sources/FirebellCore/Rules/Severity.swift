import Foundation

/// How loudly an issue deserves to be announced. `critical` > `minor`.
public enum Severity: String, Sendable, Codable, Comparable, CaseIterable {
    case minor, critical

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        lhs == .minor && rhs == .critical
    }
}
