import Foundation

/// Counts about an issue that scoring needs and only the store knows, each including the event at hand.
public struct IssueStats: Sendable, Equatable {
    /// window → events of the issue within it.
    public var eventsInWindow: [TimeInterval: Int]
    /// window → distinct users of the issue within it.
    public var usersInWindow: [TimeInterval: Int]
    /// Distinct users of the issue ever.
    public var userCount: Int

    public init(eventsInWindow: [TimeInterval: Int] = [:], usersInWindow: [TimeInterval: Int] = [:], userCount: Int) {
        self.eventsInWindow = eventsInWindow
        self.usersInWindow = usersInWindow
        self.userCount = userCount
    }

    /// Stats for the first event of an issue: every window holds just this event (and its user).
    public static func firstEvent(_ event: Event, eventWindows: Set<TimeInterval>, userWindows: Set<TimeInterval>) -> IssueStats {
        let users = event.user?.identity == nil ? 0 : 1
        return IssueStats(
            eventsInWindow: Dictionary(uniqueKeysWithValues: eventWindows.map { ($0, 1) }),
            usersInWindow: Dictionary(uniqueKeysWithValues: userWindows.map { ($0, users) }),
            userCount: users)
    }
}

/// What one event did to its issue, and what it owes.
public struct IssueDecision: Sendable, Equatable {
    /// The issue after the event (id 0 if the store has yet to insert it).
    public var issue: Issue
    /// The alert owed, if any (its `issueID` is filled in by the store for new issues).
    public var alert: Alert?
    /// Channels the alert goes to; empty when no alert or no route matched.
    public var routes: [RouteDecision]
    /// How the rules scored the event (what `backtest` reports per rule).
    public var score: ScoreResult
}

/// Score → decide → route for one event, given its issue as it stands and the counts
/// its window rules need; ``BatchProcessor`` calls it for each event of a batch.
public struct IssueProcessor: Sendable {
    private let scorer: Scorer
    private let router: AlertRouter
    private let policy: AlertPolicy
    private let projectNames: [Int: String]
    /// `otlp.trace_url`, for the trace link of events with a `trace_id`.
    private let traceURL: String?

    public init(config: FirebellConfig) {
        self.scorer = Scorer(config.severity)
        self.router = AlertRouter(routes: config.routes)
        self.policy = AlertPolicy(repeatAfter: config.alerting.repeatAfter, flapping: config.alerting.flapping)
        self.projectNames = Dictionary(config.projects.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        self.traceURL = config.otlp.traceURL
    }

    public func projectName(_ id: Int) -> String {
        projectNames[id] ?? "project \(id)"
    }

    /// Scores the event as the issue's newest, updates the issue and decides the alert.
    public func process(
        _ event: Event, fingerprint: String, projectID: Int, existing: Issue?, stats: IssueStats, now: Date
    ) -> IssueDecision {
        let context = RuleContext(
            event: event,
            severity: nil,
            isNewIssue: existing == nil,
            isRegression: existing?.status == .resolved,
            eventsInWindow: stats.eventsInWindow,
            usersInWindow: stats.usersInWindow
        )
        let score = scorer.score(context)

        var issue = existing ?? Issue(
            projectID: projectID, fingerprint: fingerprint, title: event.title, level: event.level,
            severity: score.severity, explanation: score.explanation, score: score.score,
            firstSeen: now, lastSeen: now
        )
        issue.count += 1
        issue.userCount = stats.userCount
        issue.lastSeen = now
        issue.title = event.title
        issue.level = event.level
        issue.environment = event.environment ?? issue.environment
        issue.release = event.release ?? issue.release
        let links = AlertLink.links(for: event, traceURL: traceURL)
        if !links.isEmpty {
            issue.links = links
        }
        let frames = event.inAppFrames
        if !frames.isEmpty {
            issue.topFrames = frames.reversed().prefix(5).map(\.display)
            issue.culprit = frames.last.map { frame in
                [frame.module ?? frame.filename, frame.function].compactMap { $0 }.joined(separator: " in ")
            }
        }

        let decision = policy.apply(score: score, to: &issue, previousStatus: existing?.status, now: now)
        guard let kind = decision.kind else {
            return IssueDecision(issue: issue, alert: nil, routes: [], score: score)
        }
        var alert = Alert(
            kind: kind, issue: issue, projectName: projectName(projectID),
            eventsSinceLastAlert: decision.eventsSinceLastAlert, at: now
        )
        if decision.whileMuted {
            alert.explanation = "became \(issue.severity.rawValue) while muted; \(issue.explanation)"
        } else if kind == .flapping {
            alert.explanation = "flapping: \(AlertPolicy.flappingSummary(issue)); \(issue.explanation)"
        }
        return IssueDecision(issue: issue, alert: alert, routes: router.channels(for: event, severity: issue.severity), score: score)
    }
}
