import Foundation

/// What a page says about a fresh deploy: the release the alert's event came from,
/// when Firebell first saw that release, and how many new issues it has brought so far
/// ("7 new issues since shop@2.0.0 (first seen 4 min ago)").
///
/// ``BatchProcessor`` attaches it to new-issue and regression alerts whose event's
/// release was first seen within `alerting.deploy_window` (``DeployWindow``). It is
/// frozen with the alert, so a retry hours later still says what was true then.
public struct DeployContext: Sendable, Equatable, Codable {
    /// The release as the event named it (a client's text: channels escape it).
    public var release: String
    /// When the release's first event was received (by any node).
    public var firstSeen: Date
    /// New issues whose first event carried the release, this alert's issue included
    /// when it is new.
    public var newIssues: Int

    public init(release: String, firstSeen: Date, newIssues: Int) {
        self.release = release
        self.firstSeen = firstSeen
        self.newIssues = newIssues
    }

    /// "7 new issues since shop@2.0.0 (first seen 4 min ago)", minutes counted from `now`
    /// (the alert's time, so a retry says the same).
    public func summary(at now: Date) -> String {
        let count = switch newIssues {
        case 0: "No new issues"
        case 1: "1 new issue"
        default: "\(newIssues) new issues"
        }
        return "\(count) since \(release) (first seen \(Self.age(now.timeIntervalSince(firstSeen))))"
    }

    /// "just now" under a minute, else "N min ago" (whole minutes, rounded down) up to
    /// two hours, then "N h ago": the window is minutes long, but a config may make it days.
    static func age(_ seconds: TimeInterval) -> String {
        let minutes = Int((max(0, seconds) / 60).rounded(.down))
        if minutes < 1 { return "just now" }
        if minutes < 120 { return "\(minutes) min ago" }
        return "\(minutes / 60) h ago"
    }
}

/// Which alerts carry a ``DeployContext`` (`alerting.deploy_window`): a new issue or a
/// regression whose event names a release first seen less than `window` before the
/// event was received. A `window` of 0 turns it off.
public struct DeployWindow: Sendable, Equatable {
    public var window: TimeInterval

    public init(_ window: TimeInterval) {
        self.window = window
    }

    /// The context for an alert of `kind` about an event of `release`, as the store and the
    /// batch know that release at `now` (the event counted); nil when none is owed.
    public func context(for kind: AlertKind, release: String, record: ReleaseRecord, at now: Date) -> DeployContext? {
        guard window > 0, kind == .new || kind == .regression, now.timeIntervalSince(record.firstSeen) < window else { return nil }
        return DeployContext(release: release, firstSeen: record.firstSeen, newIssues: record.newIssues)
    }
}
