import Foundation

/// One entry of `grouping:`: events matching `when` get this fingerprint.
///
/// The parts may contain `{{ default }}` or `{{ tags.X }}`-style placeholders;
/// the fingerprinting stage expands them.
public struct GroupingRule: Sendable {
    public var when: Condition
    public var fingerprint: [String]

    public init(when: Condition, fingerprint: [String]) {
        self.when = when
        self.fingerprint = fingerprint
    }
}
