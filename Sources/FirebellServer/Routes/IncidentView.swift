import FirebellCore
import FirebellStore
import Foundation

/// An incident as the admin API and `firebell incidents` show it: its status as of
/// now, its first page, and (for one incident) its issues and timeline.
public struct IncidentView: Encodable, Sendable {
    public var id: Int64
    public var status: IncidentStatus
    /// The channels its pages go to.
    public var channels: [String]
    public var openedAt: String
    public var lastJoinedAt: String
    /// When it ended, or (open) when it ends if nothing joins.
    public var endsAt: String
    public var endReason: Incident.EndReason?
    public var issueCount: Int
    public var firstPage: Page
    public var issues: [IssueLine]?
    public var timeline: [Step]?

    /// The page that opened the incident.
    public struct Page: Encodable, Sendable {
        var issueID: Int64
        var kind: AlertKind
        var project: String
        var title: String
        var at: String
        var link: String

        enum CodingKeys: String, CodingKey { case issueID = "issue_id", kind, project, title, at, link }
    }

    /// One issue of the incident, as it stands now.
    public struct IssueLine: Encodable, Sendable {
        var id: Int64
        var project: String
        var title: String
        var status: String
        var severity: String
        var link: String
    }

    /// What happened when: `paged` (the first page), `joined` (a follow-up), `ended`.
    public struct Step: Encodable, Sendable {
        var at: String
        var event: String
        var issueID: Int64?
        var kind: AlertKind?
        var title: String?
        var reason: Incident.EndReason?

        enum CodingKeys: String, CodingKey { case at, event, issueID = "issue_id", kind, title, reason }
    }

    enum CodingKeys: String, CodingKey {
        case id, status, channels, openedAt = "opened_at", lastJoinedAt = "last_joined_at", endsAt = "ends_at"
        case endReason = "end_reason", issueCount = "issue_count", firstPage = "first_page", issues, timeline
    }

    /// The incident alone (for lists), as of `now` with `window` (`alerting.incident_window`).
    public init(_ incident: Incident, window: TimeInterval, now: Date, baseURL: String) {
        let page = incident.firstPage
        id = incident.id
        status = incident.status(at: now, window: window)
        channels = incident.route.split(separator: ",").map(String.init)
        openedAt = Timestamps.format(incident.openedAt)
        lastJoinedAt = Timestamps.format(incident.lastJoinedAt)
        endsAt = Timestamps.format(incident.end(window: window))
        endReason = incident.endReason ?? (status == .ended ? .quiet : nil)
        issueCount = incident.issueCount
        firstPage = Page(
            issueID: page.issueID, kind: page.kind, project: page.projectName, title: page.title, at: Timestamps.format(page.createdAt),
            link: AlertText.link(baseURL: baseURL, issueID: page.issueID))
    }

    /// The incident with its issues (read from `store` as they stand now) and its timeline.
    public static func detail(
        _ detail: IncidentDetail, store: any Store, config: FirebellConfig, now: Date
    ) async throws -> IncidentView {
        let baseURL = config.server.baseURL
        let projects = Dictionary(config.projects.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        var view = IncidentView(detail.incident, window: config.alerting.incidentWindow, now: now, baseURL: baseURL)
        var issues: [Int64: Issue] = [:]
        for member in detail.members where issues[member.issueID] == nil {
            issues[member.issueID] = try await store.issue(id: member.issueID)
        }
        var listed = Set<Int64>()
        view.issues = detail.members.compactMap { member in
            guard listed.insert(member.issueID).inserted, let issue = issues[member.issueID] else { return nil }
            return IssueLine(
                id: issue.id, project: projects[issue.projectID] ?? "project \(issue.projectID)", title: issue.title,
                status: issue.status.rawValue,
                severity: issue.severity.rawValue, link: AlertText.link(baseURL: baseURL, issueID: issue.id))
        }
        var timeline = detail.members.map { member in
            Step(
                at: Timestamps.format(member.at), event: member.joined ? "joined" : "paged", issueID: member.issueID, kind: member.kind,
                title: issues[member.issueID]?.title)
        }
        if view.status == .ended {
            timeline.append(Step(at: view.endsAt, event: "ended", reason: view.endReason))
        }
        view.timeline = timeline
        return view
    }
}
