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

    public init(issue: IssueKey, channel: String, alert: Alert, due: Date, digest: TimeInterval?) {
        self.issue = issue
        self.channel = channel
        self.alert = alert
        self.due = due
        self.digest = digest
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
/// pairs first seen, the releases to merge, and the owed deliveries; with one outcome
/// per event, in order.
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

    public init() {}

    /// Whether nothing is to be written (every event was a duplicate).
    public var isEmpty: Bool { events.isEmpty }
}
