import Foundation

/// Critical pages on one route that came together: the first one paged, the ones
/// that joined went out as follow-ups (``IncidentPolicy``). Each issue stays its
/// own issue; the incident only records which issues came together, and when.
public struct Incident: Sendable, Equatable {
    /// Why an incident ended.
    public enum EndReason: String, Sendable, Codable, CaseIterable {
        /// Every issue in it was resolved.
        case resolved
        /// `incident_window` passed with nothing new.
        case quiet
    }

    /// Assigned by the store. Within one ``BatchChange`` an incident the batch opened
    /// has a negative id (-1, -2, …) that the store replaces with the one it assigns.
    public var id: Int64
    /// The channels its pages go to, sorted and comma-separated ("pager,slack"):
    /// routes have no names, and pages to the same channels wake the same people.
    public var route: String
    /// When the first page was decided.
    public var openedAt: Date
    /// The alert that paged (its `issueID` 0 until the store numbers a new issue: the
    /// store takes it from the incident's first ``IncidentMember``).
    public var firstPage: Alert
    /// When the latest issue joined (or the first paged): the incident ends
    /// `incident_window` after this if nothing else joins.
    public var lastJoinedAt: Date
    /// When the latest follow-up is (or was) due; nil before the first joined.
    public var lastUpdateDue: Date?
    /// Issues that paged or joined, counting an issue again if it joined again.
    public var issueCount: Int
    public var endedAt: Date?
    public var endReason: EndReason?

    public init(
        id: Int64, route: String, openedAt: Date, firstPage: Alert, lastJoinedAt: Date,
        lastUpdateDue: Date? = nil, issueCount: Int = 1, endedAt: Date? = nil, endReason: EndReason? = nil
    ) {
        self.id = id
        self.route = route
        self.openedAt = openedAt
        self.firstPage = firstPage
        self.lastJoinedAt = lastJoinedAt
        self.lastUpdateDue = lastUpdateDue
        self.issueCount = issueCount
        self.endedAt = endedAt
        self.endReason = endReason
    }

    /// `open` or `ended`, as of `now`: an incident the store still holds open has ended
    /// once `window` passed since its last issue joined.
    public func status(at now: Date, window: TimeInterval) -> IncidentStatus {
        if endedAt != nil || now >= lastJoinedAt.addingTimeInterval(window) { return .ended }
        return .open
    }

    /// When it ended (or will end, if nothing joins): `endedAt`, else `window` after the last join.
    public func end(window: TimeInterval) -> Date {
        endedAt ?? lastJoinedAt.addingTimeInterval(window)
    }
}

/// Whether an incident still takes critical pages on its route.
public enum IncidentStatus: String, Sendable, Codable, CaseIterable {
    case open, ended
}

/// One issue's page that opened or joined an incident: its timeline, in order.
public struct IncidentMember: Sendable, Equatable {
    /// The incident (negative: one the same batch opened; see ``Incident/id``).
    public var incident: Int64
    public var issue: IssueKey
    /// Filled in by the store (0 for an issue the batch created, until it is numbered).
    public var issueID: Int64
    /// `new`, `escalation` or `regression`.
    public var kind: AlertKind
    public var at: Date
    /// False for the first page, true for the issues that joined.
    public var joined: Bool

    public init(incident: Int64, issue: IssueKey, issueID: Int64 = 0, kind: AlertKind, at: Date, joined: Bool) {
        self.incident = incident
        self.issue = issue
        self.issueID = issueID
        self.kind = kind
        self.at = at
        self.joined = joined
    }
}

/// An incident with its issues, for `GET /v1/incidents/{id}` and `firebell incidents show`.
public struct IncidentDetail: Sendable, Equatable {
    public var incident: Incident
    /// In the order they paged or joined.
    public var members: [IncidentMember]

    public init(incident: Incident, members: [IncidentMember]) {
        self.incident = incident
        self.members = members
    }
}

/// A filter for listing incidents, newest first.
public struct IncidentQuery: Sendable {
    /// nil: both.
    public var status: IncidentStatus?
    /// An incident not recorded as ended counts as ended once its last join is
    /// before this (`now - incident_window`).
    public var quietBefore: Date
    public var limit: Int

    public init(status: IncidentStatus? = nil, quietBefore: Date, limit: Int = 100) {
        self.status = status
        self.quietBefore = quietBefore
        self.limit = limit
    }

    /// Whether `incident` passes the filter.
    public func matches(_ incident: Incident) -> Bool {
        guard let status else { return true }
        let ended = incident.endedAt != nil || incident.lastJoinedAt <= quietBefore
        return ended == (status == .ended)
    }
}
