import Foundation

/// One event on its way into the store, already decoded and fingerprinted.
public struct IngestItem: Sendable {
    public var projectID: Int
    public var event: Event
    public var fingerprint: String
    public var receivedAt: Date

    public init(projectID: Int, event: Event, fingerprint: String, receivedAt: Date) {
        self.projectID = projectID
        self.event = event
        self.fingerprint = fingerprint
        self.receivedAt = receivedAt
    }

    /// Which stored event this is: a repeated `event_id` in a project counts once.
    public var eventKey: EventKey { EventKey(projectID: projectID, eventID: event.eventID) }
    /// Which issue it belongs to.
    public var issueKey: IssueKey { IssueKey(projectID: projectID, fingerprint: fingerprint) }
}

/// What became of one accepted event: exactly one of these per item.
public enum IngestOutcome: Sendable, Equatable {
    /// Stored in its issue; `alert` is what it made the issue owe, if anything.
    case stored(issueID: Int64, alert: AlertKind?)
    /// The `event_id` was already stored for the project (a reporter's retry); counted once.
    case duplicate
}

/// An issue by what makes it one: its project and fingerprint (its id is the store's).
public struct IssueKey: Hashable, Sendable {
    public var projectID: Int
    public var fingerprint: String

    public init(projectID: Int, fingerprint: String) {
        self.projectID = projectID
        self.fingerprint = fingerprint
    }
}

/// A stored event by the reporter's id within its project.
public struct EventKey: Hashable, Sendable {
    public var projectID: Int
    public var eventID: String

    public init(projectID: Int, eventID: String) {
        self.projectID = projectID
        self.eventID = eventID
    }
}

/// One user of one issue (for the issue's distinct-user count).
public struct IssueUser: Hashable, Sendable {
    public var issue: IssueKey
    /// ``User/identity``.
    public var user: String

    public init(issue: IssueKey, user: String) {
        self.issue = issue
        self.user = user
    }
}

extension Event {
    /// The key that counts as one user (id, else email, username, IP); `nil` when the event names none.
    public var userKey: String? { user?.identity }
}

extension Issue {
    public var key: IssueKey { IssueKey(projectID: projectID, fingerprint: fingerprint) }
}
