import FirebellCore
import Foundation

/// An issue as the admin API and `firebell issues` show it.
public struct IssueView: Encodable, Sendable {
    public var issue: Issue
    public var link: String

    public init(_ issue: Issue, baseURL: String) {
        self.issue = issue
        self.link = AlertText.link(baseURL: baseURL, issueID: issue.id)
    }

    private enum CodingKeys: String, CodingKey {
        case id, projectID = "project_id", fingerprint, title, culprit, level, status, severity, score, explanation
        case count, userCount = "user_count", firstSeen = "first_seen", lastSeen = "last_seen", environment, release
        case topFrames = "top_frames", lastAlertAt = "last_alert_at", eventsSinceAlert = "events_since_last_alert"
        case mute, resolvedAt = "resolved_at", resolvedBy = "resolved_by", flapping, flappingSince = "flapping_since", link, links
    }

    private struct MuteView: Encodable {
        var until: String?
        var remainingEvents: Int?
        enum CodingKeys: String, CodingKey { case until, remainingEvents = "remaining_events" }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(issue.id, forKey: .id)
        try c.encode(issue.projectID, forKey: .projectID)
        try c.encode(issue.fingerprint, forKey: .fingerprint)
        try c.encode(issue.title, forKey: .title)
        try c.encodeIfPresent(issue.culprit, forKey: .culprit)
        try c.encode(issue.level.rawValue, forKey: .level)
        try c.encode(issue.status.rawValue, forKey: .status)
        try c.encode(issue.severity.rawValue, forKey: .severity)
        try c.encode(issue.score, forKey: .score)
        try c.encode(issue.explanation, forKey: .explanation)
        try c.encode(issue.count, forKey: .count)
        try c.encode(issue.userCount, forKey: .userCount)
        try c.encode(Timestamps.format(issue.firstSeen), forKey: .firstSeen)
        try c.encode(Timestamps.format(issue.lastSeen), forKey: .lastSeen)
        try c.encodeIfPresent(issue.environment, forKey: .environment)
        try c.encodeIfPresent(issue.release, forKey: .release)
        try c.encode(issue.topFrames, forKey: .topFrames)
        try c.encodeIfPresent(issue.lastAlertAt.map(Timestamps.format), forKey: .lastAlertAt)
        try c.encode(issue.eventsSinceAlert, forKey: .eventsSinceAlert)
        if issue.status == .muted {
            let mute = issue.mute ?? .forever
            try c.encode(MuteView(until: mute.until.map(Timestamps.format), remainingEvents: mute.remainingEvents), forKey: .mute)
        }
        try c.encodeIfPresent(issue.resolvedAt.map(Timestamps.format), forKey: .resolvedAt)
        try c.encodeIfPresent(issue.resolvedBy, forKey: .resolvedBy)
        try c.encode(issue.flappingSince != nil, forKey: .flapping)
        try c.encodeIfPresent(issue.flappingSince.map(Timestamps.format), forKey: .flappingSince)
        try c.encode(link, forKey: .link)
        // The latest event's links that had any (an Alertmanager alert's source, a trace).
        try c.encodeIfPresent(issue.links, forKey: .links)
    }
}
