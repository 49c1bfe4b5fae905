import Foundation

/// Several owed alerts for one channel sent as one message: what `channel_rate`
/// makes of a flood, what a route's `digest` sends once per period, and an
/// incident's follow-up naming the critical issues that joined it.
/// Nothing in it is dropped: every alert is named, or counted in "and M more".
public struct RollUp: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// More alerts than `alerting.channel_rate` allowed.
        case channelRate(Rate)
        /// A route with `digest: <period>`.
        case digest(TimeInterval)
        /// An incident's follow-up: critical pages that joined it since its previous one.
        case incident(IncidentThread)
    }

    /// The incident a follow-up belongs to, and the page whose thread it answers.
    public struct IncidentThread: Sendable, Equatable {
        public var incidentID: Int64
        /// The incident's first page (nil when it could not be read: the update then
        /// goes out as a message of its own). Threading channels reply to its issue's thread.
        public var firstPage: Alert?

        public init(incidentID: Int64, firstPage: Alert? = nil) {
            self.incidentID = incidentID
            self.firstPage = firstPage
        }
    }

    /// The incident, when this is an incident's follow-up.
    public var incident: IncidentThread? {
        if case .incident(let thread) = reason { return thread }
        return nil
    }

    /// Oldest first.
    public var alerts: [Alert]
    public var reason: Reason

    /// When a digest row written at `now` is due: the next multiple of `period`
    /// since the epoch, so every alert of a period goes out in the same summary.
    public static func digestDue(after now: Date, period: TimeInterval) -> Date {
        let period = max(period, 1)
        return Date(timeIntervalSince1970: (floor(now.timeIntervalSince1970 / period) + 1) * period)
    }

    /// At most this many alerts are listed by name; the rest are counted.
    public static let listed = 20

    public init(alerts: [Alert], reason: Reason) {
        self.alerts = alerts
        self.reason = reason
    }

    /// The roll-up as things stand when it is sent, not as each alert was when it was
    /// queued: one line per issue (where its first alert was), with the issue's counts
    /// now. An issue resolved since is listed as resolved (never as "new" after its
    /// resolve went out); one that became critical since as escalated — it was paged
    /// on its own, so the roll-up keeps the severity it was queued at and does not
    /// page again. Issues not in `issues` (gone) keep their alerts as they were.
    public func current(_ issues: [Int64: Issue]) -> RollUp {
        var position: [Int64: Int] = [:]
        var alerts: [Alert] = []
        for alert in self.alerts {
            guard let issue = issues[alert.issueID] else {
                alerts.append(alert)
                continue
            }
            if position[alert.issueID] != nil { continue }
            position[alert.issueID] = alerts.count
            alerts.append(alert)
        }
        for (id, index) in position {
            let issue = issues[id]!
            var alert = alerts[index]
            if issue.status == .resolved {
                alert.kind = .resolved
            } else if issue.severity > alert.severity {
                alert.kind = .escalation
            }
            alert.count = issue.count
            alert.userCount = issue.userCount
            alert.lastSeen = issue.lastSeen
            alerts[index] = alert
        }
        return RollUp(alerts: alerts, reason: reason)
    }

    /// The highest severity among the alerts (a roll-up with one critical alert is critical).
    public var severity: Severity {
        alerts.map(\.severity).max() ?? .minor
    }

    /// "[CRITICAL] 23 alerts held back by channel_rate 20/min" / "[minor] Digest: 5 alerts in the last 1h"
    public var headline: String {
        let label = severity == .critical ? "CRITICAL" : "minor"
        let count = "\(alerts.count) alert\(alerts.count == 1 ? "" : "s")"
        switch reason {
        case .channelRate(let rate):
            return "[\(label)] \(count) held back by channel_rate \(rate.description)"
        case .digest(let period):
            return "[\(label)] Digest: \(count) in the last \(Self.describe(period))"
        case .incident(let thread):
            return "[\(label)] \(joinedSummary) (incident #\(thread.incidentID))"
        }
    }

    /// "+3 more new critical issues in checkout, cart, orders": what an incident's
    /// follow-up adds, its services (projects) in the order they joined.
    public var joinedSummary: String {
        var services: [String] = []
        for alert in alerts where !services.contains(alert.projectName) { services.append(alert.projectName) }
        let kinds = Set(alerts.map(\.kind))
        let what = kinds == [.new] ? "new critical issue" : kinds == [.regression] ? "critical regression" : "critical issue"
        return "+\(alerts.count) more \(what)\(alerts.count == 1 ? "" : "s") in \(services.joined(separator: ", "))"
    }

    /// One line per listed alert, then "and M more" if some are not listed.
    public func lines(baseURL: String) -> [String] {
        var lines = alerts.prefix(Self.listed).map { alert in
            let text = AlertText(alert, baseURL: baseURL)
            return "\(text.headline) (\(Self.describe(alert.kind)), \(alert.count) event\(alert.count == 1 ? "" : "s")) \(text.link)"
        }
        if alerts.count > Self.listed {
            lines.append("and \(alerts.count - Self.listed) more")
        }
        return lines
    }

    /// Plain text: the headline, then the lines.
    public func plain(baseURL: String) -> String {
        ([headline] + lines(baseURL: baseURL)).joined(separator: "\n")
    }

    static func describe(_ kind: AlertKind) -> String {
        switch kind {
        case .new: "new"
        case .regression: "regression"
        case .escalation: "escalated"
        case .repeat: "still happening"
        case .resolved: "resolved"
        case .flapping: "flapping"
        }
    }

    /// 3600 → "1h", 90 → "90s", 86400 → "1d".
    static func describe(_ period: TimeInterval) -> String {
        let seconds = Int(period)
        for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60)] where seconds >= size && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
