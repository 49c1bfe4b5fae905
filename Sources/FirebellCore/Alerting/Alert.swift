import Foundation

/// Why an alert goes out.
public enum AlertKind: String, Sendable, Codable, CaseIterable {
    /// The first event of an issue.
    case new
    /// An event after the issue was resolved.
    case regression
    /// The issue's severity rose from minor to critical.
    case escalation
    /// The issue is still firing after `repeat_after`.
    case `repeat`
    /// The issue was resolved (sent to channels with `send_resolved`).
    case resolved
    /// The issue came back once too often (`alerting.flapping`): said once, then its
    /// regressions are quiet until it stays away for the window.
    case flapping
}

/// Everything a channel needs to tell the on-call engineer about one issue change.
///
/// It is frozen when the alert is decided and stored in the outbox as JSON, so a
/// retry hours later still says what was true when the alert was owed.
public struct Alert: Sendable, Equatable, Codable {
    public var kind: AlertKind
    public var issueID: Int64
    public var projectID: Int
    public var projectName: String
    public var severity: Severity
    public var title: String
    public var culprit: String?
    public var level: Level
    public var environment: String?
    public var release: String?
    public var score: Int
    /// "score 110 ≥ 100: production errors +60, checkout path +30, new issue +20"
    public var explanation: String
    /// Total events of the issue.
    public var count: Int
    /// Events since the previous alert, for repeats ("N more events since the last alert").
    public var eventsSinceLastAlert: Int
    public var userCount: Int
    public var firstSeen: Date
    public var lastSeen: Date
    public var topFrames: [String]
    /// When the alert was decided.
    public var createdAt: Date
    /// The issue's links (an Alertmanager alert's source, a trace); nil when it has none.
    public var links: [AlertLink]?
    /// "7 new issues since shop@2.0.0 (first seen 4 min ago)": set on a new issue or a
    /// regression whose release is fresh (`alerting.deploy_window`); nil otherwise, and in
    /// alerts stored before it existed.
    public var deploy: DeployContext?

    public init(
        kind: AlertKind, issueID: Int64, projectID: Int, projectName: String, severity: Severity, title: String,
        culprit: String?, level: Level, environment: String?, release: String?, score: Int, explanation: String,
        count: Int, eventsSinceLastAlert: Int, userCount: Int, firstSeen: Date, lastSeen: Date,
        topFrames: [String], createdAt: Date, links: [AlertLink]? = nil, deploy: DeployContext? = nil
    ) {
        self.kind = kind
        self.issueID = issueID
        self.projectID = projectID
        self.projectName = projectName
        self.severity = severity
        self.title = title
        self.culprit = culprit
        self.level = level
        self.environment = environment
        self.release = release
        self.score = score
        self.explanation = explanation
        self.count = count
        self.eventsSinceLastAlert = eventsSinceLastAlert
        self.userCount = userCount
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.topFrames = topFrames
        self.createdAt = createdAt
        self.links = links
        self.deploy = deploy
    }

    /// The alert for `issue` as it stands now.
    public init(kind: AlertKind, issue: Issue, projectName: String, eventsSinceLastAlert: Int, at now: Date) {
        self.init(
            kind: kind, issueID: issue.id, projectID: issue.projectID, projectName: projectName,
            severity: issue.severity, title: issue.title, culprit: issue.culprit, level: issue.level,
            environment: issue.environment, release: issue.release, score: issue.score,
            explanation: issue.explanation, count: issue.count, eventsSinceLastAlert: eventsSinceLastAlert,
            userCount: issue.userCount, firstSeen: issue.firstSeen, lastSeen: issue.lastSeen,
            topFrames: issue.topFrames, createdAt: now, links: issue.links
        )
    }
}
