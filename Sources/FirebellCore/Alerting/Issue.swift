import Foundation

/// Where an issue stands in triage.
public enum IssueStatus: String, Sendable, Codable, CaseIterable {
    case open, resolved, muted
}

/// How long a mute lasts. Both `nil` means forever.
public struct Mute: Sendable, Equatable, Codable {
    /// The mute ends at this time.
    public var until: Date?
    /// The mute ends after this many more events.
    public var remainingEvents: Int?
    /// The issue's severity when it was muted: worse when the mute ends is an escalation.
    public var severity: Severity?

    public init(until: Date? = nil, remainingEvents: Int? = nil, severity: Severity? = nil) {
        self.until = until
        self.remainingEvents = remainingEvents
        self.severity = severity
    }

    public static let forever = Mute()
}

/// All events with one fingerprint in one project: the unit the team triages and is alerted about.
public struct Issue: Sendable, Equatable, Codable {
    /// Assigned by the store; 0 until the issue is first written.
    public var id: Int64
    public var projectID: Int
    public var fingerprint: String
    public var title: String
    /// The innermost in-app frame, "module in function".
    public var culprit: String?
    public var level: Level
    public var status: IssueStatus
    /// The highest severity any event scored since the issue was opened or reopened.
    public var severity: Severity
    /// Why the issue has its severity: the explanation of the score that set it.
    public var explanation: String
    public var score: Int
    public var count: Int
    public var userCount: Int
    public var firstSeen: Date
    public var lastSeen: Date
    public var environment: String?
    public var release: String?
    /// Top in-app frames of the latest event, innermost first, for alert text.
    public var topFrames: [String]
    public var lastAlertAt: Date?
    /// Events after the one that caused the last alert; a repeat alert reports this count.
    public var eventsSinceAlert: Int
    public var mute: Mute?
    public var resolvedAt: Date?
    /// Who resolved it: `api`, `cli` or `alertmanager`; nil while open.
    public var resolvedBy: String?
    /// When it last came back after a resolve, newest last: as many as `alerting.flapping`
    /// needs (its `max` + 1) within its window; nil before the first regression.
    public var regressions: [Date]?
    /// Set by the regression that made it flapping; cleared by one a whole window after the previous.
    public var flappingSince: Date?
    /// The latest event's links that had any (`AlertLink.links(for:traceURL:)`), shown in
    /// its alerts; nil when no event had one.
    public var links: [AlertLink]?

    public init(
        id: Int64 = 0, projectID: Int, fingerprint: String, title: String, culprit: String? = nil,
        level: Level, status: IssueStatus = .open, severity: Severity, explanation: String, score: Int,
        count: Int = 0, userCount: Int = 0, firstSeen: Date, lastSeen: Date, environment: String? = nil,
        release: String? = nil, topFrames: [String] = [], lastAlertAt: Date? = nil, eventsSinceAlert: Int = 0,
        mute: Mute? = nil, resolvedAt: Date? = nil, regressions: [Date]? = nil, flappingSince: Date? = nil,
        links: [AlertLink]? = nil, resolvedBy: String? = nil
    ) {
        self.id = id
        self.projectID = projectID
        self.fingerprint = fingerprint
        self.title = title
        self.culprit = culprit
        self.level = level
        self.status = status
        self.severity = severity
        self.explanation = explanation
        self.score = score
        self.count = count
        self.userCount = userCount
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.environment = environment
        self.release = release
        self.topFrames = topFrames
        self.lastAlertAt = lastAlertAt
        self.eventsSinceAlert = eventsSinceAlert
        self.mute = mute
        self.regressions = regressions
        self.flappingSince = flappingSince
        self.resolvedAt = resolvedAt
        self.resolvedBy = resolvedBy
        self.links = links
    }
}
