import Foundation

/// One alert owed to one channel: a row for the outbox.
public struct OwedDelivery: Sendable, Equatable {
    public var issue: IssueKey
    public var channel: String
    /// Its `issueID` is 0 for an issue the store has yet to insert; the store fills it in.
    public var alert: Alert
    /// When it is due: at once, or at the end of its route's digest period.
    public var due: Date
    /// The route's `digest` period, if any.
    public var digest: TimeInterval?
    /// Set on an incident's follow-up (the alert joined the incident that already paged):
    /// the incident's id, provisional (negative) for one the same batch opened.
    public var incident: Int64?

    public init(issue: IssueKey, channel: String, alert: Alert, due: Date, digest: TimeInterval?, incident: Int64? = nil) {
        self.issue = issue
        self.channel = channel
        self.alert = alert
        self.due = due
        self.digest = digest
        self.incident = incident
    }
}

/// What one event of a batch came to, before the store numbers new issues.
public enum BatchOutcome: Sendable, Equatable {
    /// Stored in `issue`; `score` is how the rules scored it, `alert` what it owes.
    case stored(issue: IssueKey, alert: AlertKind?, score: ScoreResult)
    /// Its `event_id` is already stored, or came earlier in the batch.
    case duplicate
}

/// Everything a batch changes, for the store to commit in one transaction: the
/// events to insert, the issues to upsert (with their windows), the (issue, user)
/// pairs first seen, the releases to merge, the owed deliveries and the incidents
/// they opened or joined; with one outcome per event, in order.
public struct BatchChange: Sendable {
    public var outcomes: [BatchOutcome] = []
    /// The events to store, in batch order, each with its issue.
    public var events: [(item: IngestItem, issue: IssueKey)] = []
    /// Issues the batch changed, as they end up, in the order the batch first touched them.
    public var issues: [IssueRecord] = []
    /// (issue, user) pairs seen for the first time.
    public var users: [IssueUser] = []
    /// The releases the batch's events named, one each, in key order (so two nodes'
    /// batches take their rows' locks in the same order): merged, not written over.
    public var releases: [ReleaseChange] = []
    /// In the order they were decided; the store gives them ascending ids.
    public var deliveries: [OwedDelivery] = []
    /// Incidents the batch opened, joined or ended, as they end up, in the order first
    /// touched; the ones it opened have provisional (negative) ids.
    public var incidents: [Incident] = []
    /// Pages that opened or joined an incident, in order.
    public var incidentMembers: [IncidentMember] = []

    public init() {}

    /// Whether nothing is to be written (every event was a duplicate).
    public var isEmpty: Bool { events.isEmpty }
}

extension BatchChange {
    /// ``incidents`` as a store writes them once it numbered the batch's issues: the
    /// first page of each incident the batch opened names its issue's id.
    public func incidentsNumbered(_ ids: [IssueKey: Int64]) -> [Incident] {
        var firstIssue: [Int64: IssueKey] = [:]
        for member in incidentMembers where !member.joined { firstIssue[member.incident] = member.issue }
        return incidents.map { incident in
            var incident = incident
            if incident.firstPage.issueID == 0, let key = firstIssue[incident.id], let id = ids[key] {
                incident.firstPage.issueID = id
            }
            return incident
        }
    }

    /// ``incidentMembers`` with the stored ids of their issues and incidents
    /// (`incidentIDs` maps the provisional ids of the incidents the batch opened).
    public func membersNumbered(_ ids: [IssueKey: Int64], incidentIDs: [Int64: Int64]) -> [IncidentMember] {
        incidentMembers.map { member in
            var member = member
            member.issueID = ids[member.issue] ?? member.issueID
            member.incident = incidentIDs[member.incident] ?? member.incident
            return member
        }
    }
}
