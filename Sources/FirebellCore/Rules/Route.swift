import Foundation

/// One entry of `routes:`: when `when` holds, alert these channels.
public struct Route: Sendable {
    /// May test `severity` and event fields, but no stateful conditions.
    public var when: Condition
    /// Channel names, each defined under `channels:`.
    public var notify: [String]
    /// When set, matching alerts are collected into one summary per this period.
    public var digest: TimeInterval?

    public init(when: Condition = .always, notify: [String], digest: TimeInterval? = nil) {
        self.when = when
        self.notify = notify
        self.digest = digest
    }
}
