import Foundation

/// What a batch needs to know from the store, by key: the store loads exactly this
/// (``BatchProcessor/request(for:)``), however long the issues' histories are.
public struct SnapshotRequest: Sendable, Equatable {
    /// Is each of these already stored?
    public var events: [EventKey]
    /// These issues as stored, with their windows.
    public var issues: [IssueKey]
    /// Has each of these users been seen on its issue before?
    public var users: [IssueUser]
    /// These releases as stored (for deploy context).
    public var releases: [ReleaseKey]
    /// The incidents not yet recorded as ended (at most one per route), when incidents are on.
    public var openIncidents: Bool

    public init(
        events: [EventKey] = [], issues: [IssueKey] = [], users: [IssueUser] = [], releases: [ReleaseKey] = [],
        openIncidents: Bool = false
    ) {
        self.events = events
        self.issues = issues
        self.users = users
        self.releases = releases
        self.openIncidents = openIncidents
    }
}

/// An issue as stored, with the recent past its window rules count in.
public struct IssueRecord: Sendable, Equatable {
    public var issue: Issue
    public var windows: IssueWindows

    public init(issue: Issue, windows: IssueWindows = IssueWindows()) {
        self.issue = issue
        self.windows = windows
    }
}

/// What the store knew, at the start of the batch's transaction, of the keys in a
/// ``SnapshotRequest``: all the processor decides from besides the events.
public struct BatchSnapshot: Sendable {
    /// The requested events already stored.
    public var knownEvents: Set<EventKey>
    /// The requested issues that exist.
    public var issues: [IssueKey: IssueRecord]
    /// The requested (issue, user) pairs already seen.
    public var knownUsers: Set<IssueUser>
    /// The requested releases the store has seen.
    public var releases: [ReleaseKey: ReleaseRecord]
    /// Incidents not recorded as ended, by ``Incident/route`` (requested with `openIncidents`).
    public var incidents: [String: Incident]

    public init(
        knownEvents: Set<EventKey> = [], issues: [IssueKey: IssueRecord] = [:], knownUsers: Set<IssueUser> = [],
        releases: [ReleaseKey: ReleaseRecord] = [:], incidents: [String: Incident] = [:]
    ) {
        self.knownEvents = knownEvents
        self.issues = issues
        self.knownUsers = knownUsers
        self.releases = releases
        self.incidents = incidents
    }
}
