import Foundation

/// What the rules make of one sample event, as `firebell test-rules` prints it.
/// The sample is treated as the first event of a new issue; nothing is stored or sent.
public struct RuleReport: Sendable {
    public var event: Event
    public var fingerprint: Fingerprint
    public var score: ScoreResult
    public var routes: [RouteDecision]

    public init(event: Event, config: FirebellConfig) {
        self.event = event
        fingerprint = Fingerprinter(rules: config.grouping).fingerprint(event)
        let windows = IssueStats.firstEvent(event, eventWindows: config.eventWindows, userWindows: config.userWindows)
        score = Scorer(config.severity).score(RuleContext(
            event: event, severity: nil, isNewIssue: true, isRegression: false,
            eventsInWindow: windows.eventsInWindow, usersInWindow: windows.usersInWindow))
        routes = AlertRouter(routes: config.routes).channels(for: event, severity: score.severity)
    }

    /// The human-readable report.
    public var text: String {
        var lines = [
            "event:       \(event.title)",
            "fingerprint: \(fingerprint.hash) (\(fingerprint.source): \(fingerprint.components.joined(separator: " | ")))",
            "score:       \(score.explanation)",
            "severity:    \(score.severity.rawValue)",
        ]
        if routes.isEmpty {
            lines.append("channels:    none (no route matches)")
        } else {
            let channels = routes.map { route in route.digest.map { "\(route.channel) (digest every \(Int($0))s)" } ?? route.channel }
            lines.append("channels:    \(channels.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}
