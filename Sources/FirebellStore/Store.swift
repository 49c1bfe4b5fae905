import FirebellCore
import Foundation

/// How many due rows of each channel a claim may take: the deliverer's free slots
/// per channel, so one channel's backlog never takes the slots of the others.
public struct ChannelRoom: Sendable, Equatable {
    /// At most this many rows of each named channel (0: none).
    public var perChannel: [String: Int]
    /// At most this many rows, in all, of channels not named (gone from the config:
    /// they dead-letter at once).
    public var others: Int

    public init(perChannel: [String: Int], others: Int = 0) {
        self.perChannel = perChannel
        self.others = others
    }

    /// Whether a row of `channel` fits, given how many the claim took of it so far.
    public func admits(_ channel: String, taken: Int, othersTaken: Int) -> Bool {
        if let room = perChannel[channel] { return taken < room }
        return othersTaken < others
    }
}

/// A batch's claim of its own outbox rows for the deliverer: every row due at once
/// is written claimed for `lease` seconds and handed back; which of them start now
/// is the deliverer's business (it gives back what it cannot start).
public struct OutboxClaim: Sendable {
    public var lease: TimeInterval

    public init(lease: TimeInterval) {
        self.lease = lease
    }
}

/// What a committed batch did: one outcome per item, and the outbox rows it claimed
/// for the deliverer (see `Store.ingest(_:processor:claim:)`).
public struct IngestResult: Sendable {
    public var outcomes: [IngestOutcome]
    public var claimed: [OutboxEntry]

    public init(outcomes: [IngestOutcome], claimed: [OutboxEntry] = []) {
        self.outcomes = outcomes
        self.claimed = claimed
    }
}

extension IngestResult {
    /// The store's answer for a committed change: the processor's outcomes with issue ids.
    public init(_ change: BatchChange, ids: [IssueKey: Int64], claimed: [OutboxEntry]) {
        self.init(
            outcomes: change.outcomes.map { outcome in
                switch outcome {
                case .stored(let issue, let alert, _): .stored(issueID: ids[issue] ?? 0, alert: alert)
                case .duplicate: .duplicate
                }
            },
            claimed: claimed)
    }
}

/// An issue on a channel: the alerts of one issue reach one channel in the order they
/// were decided. A row waits while an earlier row of its pair is pending (in flight,
/// retrying, or due), except digest rows (their summary has its own time) and rows
/// held back by `channel_rate` (a later alert does not wait for their roll-up, which
/// says how each issue stands when it goes out).
public struct OutboxPair: Hashable, Sendable {
    public var issueID: Int64
    public var channel: String

    public init(issueID: Int64, channel: String) {
        self.issueID = issueID
        self.channel = channel
    }
}

extension OutboxEntry {
    public var pair: OutboxPair { OutboxPair(issueID: issueID, channel: channel) }

    /// Whether a later row of its pair waits for this one while it is pending.
    public var isOrdered: Bool { digest == nil && !heldBack }

    /// The rows a batch writes for its owed deliveries (ids 0 until written), as
    /// ``init(owed:issueID:claim:)`` makes them — except that a row is never written
    /// claimed while an earlier row of its pair is pending: one in the store before
    /// the batch (`waiting`, the pairs of its issues with an ordered pending row) or
    /// one earlier in the batch. It stays pending and due; the deliverer's claim takes
    /// it once the earlier one is done. `incidentIDs` maps the provisional ids of the
    /// incidents the batch opened to the stored ones (`Incident.id`).
    public static func rows(
        for deliveries: [OwedDelivery], ids: [IssueKey: Int64], claim: OutboxClaim?, waiting: Set<OutboxPair>,
        incidentIDs: [Int64: Int64] = [:]
    ) -> [OutboxEntry] {
        var waiting = waiting
        return deliveries.map { delivery in
            let issueID = ids[delivery.issue] ?? 0
            let pair = OutboxPair(issueID: issueID, channel: delivery.channel)
            let row = OutboxEntry(
                owed: delivery, issueID: issueID, claim: waiting.contains(pair) ? nil : claim,
                incidentID: delivery.incident.map { incidentIDs[$0] ?? $0 })
            if row.isOrdered { waiting.insert(pair) }
            return row
        }
    }

    /// The row a backend writes for an owed delivery (id 0 until written): pending, due
    /// when the processor said; with `claim`, a row due at once is written claimed for
    /// the lease (attempt 1), as ``Store/ingest(_:processor:claim:)`` promises.
    /// `incidentID` is the stored id of the incident a follow-up belongs to.
    public init(owed delivery: OwedDelivery, issueID: Int64, claim: OutboxClaim?, incidentID: Int64? = nil) {
        var alert = delivery.alert
        alert.issueID = issueID
        let claimed = claim != nil && delivery.digest == nil && delivery.due <= alert.createdAt
        self.init(
            id: 0, issueID: issueID, channel: delivery.channel, alert: alert, status: .pending, attempts: claimed ? 1 : 0,
            nextAttemptAt: claimed ? alert.createdAt.addingTimeInterval(claim!.lease) : delivery.due,
            createdAt: alert.createdAt, digest: delivery.digest, incidentID: incidentID)
    }
}

/// Where a read of stored events stopped (`Store.storedEvents(since:after:limit:)`).
public struct EventCursor: Sendable, Equatable {
    public var receivedAt: Date
    /// The store's own order among events received at the same time.
    public var sequence: Int64

    public init(receivedAt: Date, sequence: Int64) {
        self.receivedAt = receivedAt
        self.sequence = sequence
    }
}

/// Where an owed alert stands.
public enum DeliveryStatus: String, Sendable, Codable, CaseIterable {
    case pending, delivered, dead
    /// Not sent, and never will be: its issue was muted before it went out.
    case cancelled
}

/// How far a retention pass over old issues got (``Store/pruneIssueState(lastSeenBefore:after:limit:)``):
/// issues are walked by the minute they were last seen, then by id. An issue that is
/// seen again moves past every cursor, so a later pass that goes on from here meets it
/// again once it is old.
public struct IssuePruneCursor: Sendable, Equatable {
    /// `Int(lastSeen / 60)`.
    public var minute: Int
    public var id: Int64

    public init(minute: Int, id: Int64) {
        self.minute = minute
        self.id = id
    }

    public init(_ issue: Issue) {
        self.init(minute: Int((issue.lastSeen.timeIntervalSince1970 / 60).rounded(.down)), id: issue.id)
    }
}

/// One step of ``Store/pruneIssueState(lastSeenBefore:after:limit:)``.
public struct IssuePruneStep: Sendable, Equatable {
    /// User and thread rows deleted.
    public var removed: Int
    /// Where the next step goes on from.
    public var cursor: IssuePruneCursor?
    /// No issue older than the cutoff is left after `cursor`.
    public var finished: Bool

    public init(removed: Int, cursor: IssuePruneCursor?, finished: Bool) {
        self.removed = removed
        self.cursor = cursor
        self.finished = finished
    }
}

/// One owed alert for one channel: a row of the outbox.
public struct OutboxEntry: Sendable, Equatable {
    public var id: Int64
    public var issueID: Int64
    public var channel: String
    public var alert: Alert
    public var status: DeliveryStatus
    /// Attempts started so far (a claim counts as one).
    public var attempts: Int
    public var nextAttemptAt: Date
    public var createdAt: Date
    public var finishedAt: Date?
    /// The last failure, or the receiver's answer on delivery.
    public var lastError: String?
    public var lastStatus: Int?
    /// The route's digest period: the row waits for the period's summary instead of going out alone.
    public var digest: TimeInterval?
    /// Held back by `channel_rate`: it goes out in a roll-up with the channel's other
    /// held-back rows, however many tokens there are then (a restart changes nothing).
    public var heldBack: Bool
    /// An incident's follow-up: the row goes out with the incident's other due
    /// follow-ups on the channel, as one update in the first page's thread.
    public var incidentID: Int64?
    /// Stable across retries of this row: one per (issue, alert, channel), for `webhook-id` and the like.
    public var idempotencyKey: String { "firebell-\(issueID)-\(id)-\(channel)" }

    public init(
        id: Int64, issueID: Int64, channel: String, alert: Alert, status: DeliveryStatus, attempts: Int,
        nextAttemptAt: Date, createdAt: Date, finishedAt: Date? = nil, lastError: String? = nil, lastStatus: Int? = nil,
        digest: TimeInterval? = nil, heldBack: Bool = false, incidentID: Int64? = nil
    ) {
        self.id = id
        self.issueID = issueID
        self.channel = channel
        self.alert = alert
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.lastError = lastError
        self.lastStatus = lastStatus
        self.digest = digest
        self.heldBack = heldBack
        self.incidentID = incidentID
    }
}

extension TokenBucket {
    /// A channel's `channel_rate` bucket as a store kept it (`rate` its spelling, `tokens`
    /// at `updated`); a bucket kept at another rate (the config changed) or none: full.
    public static func restored(rate: Rate, stored: (rate: String, tokens: Double, updated: Date)?, now: Date) -> TokenBucket {
        guard let stored, stored.rate == rate.description else { return TokenBucket(rate: rate, now: now) }
        return TokenBucket(rate: rate, tokens: stored.tokens, updated: stored.updated)
    }
}

/// How one delivery attempt ended.
public enum DeliveryResult: Sendable, Equatable {
    /// The receiver took it; `status` is its HTTP status (0 for non-HTTP channels).
    case delivered(status: Int)
    /// Try again at `at`.
    case retry(at: Date, status: Int?, error: String)
    /// Not an attempt: the channel is over its `channel_rate`; the row waits until `until`
    /// and then goes out in a roll-up.
    case deferred(until: Date)
    /// Not counted as an attempt either: the channel's circuit breaker or parking holds
    /// the row (the failure was the receiver's, not the row's). It waits, pending, from
    /// `until`, with the reason in `last_error`.
    case held(until: Date, status: Int?, error: String)
    /// Never try again by itself (`firebell deliveries retry` can); the receiver's answer is kept.
    case dead(status: Int?, error: String)
}

/// A filter for listing issues.
public struct IssueQuery: Sendable {
    public var projectID: Int?
    public var status: IssueStatus?
    public var limit: Int

    public init(projectID: Int? = nil, status: IssueStatus? = nil, limit: Int = 100) {
        self.projectID = projectID
        self.status = status
        self.limit = limit
    }
}

/// Everything Firebell keeps: events, issues and the outbox of owed alerts.
///
/// The contract every backend meets (the shared store test suite checks it):
/// * `ingest` is one transaction per batch: load the ``BatchSnapshot`` of the
///   processor's ``BatchProcessor/request(for:)``, let the processor decide, and
///   commit its ``BatchChange`` (events, issues with their windows, users, releases,
///   outbox rows) together — or nothing. The store decides nothing itself; a
///   release's row is merged (``ReleaseRecord/merging(_:)``), never written over.
/// * `claimDeliveries` hands a due row to one caller at a time for `lease`
///   seconds; a caller that dies leaves the row due again after the lease
///   (at-least-once), so several nodes can share one outbox (PostgreSQL).
extension Store {
    public var writerExecutor: (any TaskExecutor)? { nil }

    /// A store whose reads and writes fail together: reachable is writable.
    public func checkWritable() async throws {
        try await ping()
    }
    public var databaseFile: String? { nil }

    /// Writes a batch without claiming its outbox rows; the outcomes only.
    public func ingest(_ items: [IngestItem], processor: BatchProcessor) async throws -> [IngestOutcome] {
        try await ingest(items, processor: processor, claim: nil).outcomes
    }

    public func claimDeliveries(now: Date, limit: Int, lease: TimeInterval) async throws -> [OutboxEntry] {
        try await claimDeliveries(now: now, limit: limit, lease: lease, room: nil)
    }

    public func outboxBacklog() async throws -> (pending: Int, dead: Int) {
        let counts = try await deliveryCounts()
        return (counts[.pending] ?? 0, counts[.dead] ?? 0)
    }

    /// Resolves (as `api`) without owing any resolve messages.
    public func resolve(issueID: Int64, at now: Date) async throws -> Issue? {
        try await resolve(issueID: issueID, at: now, by: "api", projectName: { _ in "" }, notify: { _ in [] })
    }
}

public protocol Store: Sendable {
    /// Writes a batch of events through `processor`, returning one outcome per item, in
    /// order, once the batch is committed: readers see it and a crash of the process
    /// keeps it, but a power cut may not until ``sync()`` returns. The writer answers
    /// clients after `sync()`; alerts may go out before it (at worst sent twice).
    ///
    /// With `claim`, the batch's outbox rows that are due at once are written already claimed for its lease (attempt 1) and
    /// returned in `claimed`, so the deliverer starts them without a claim of its own;
    /// rows it cannot start after all go back with ``releaseDeliveries(ids:at:)``.
    func ingest(_ items: [IngestItem], processor: BatchProcessor, claim: OutboxClaim?) async throws -> IngestResult
    /// Returns once everything committed before the call is on stable storage.
    func sync() async throws
    /// Where the single ingest writer should run, if the store has a thread of its own
    /// (see `SQLiteThread`); nil: anywhere.
    var writerExecutor: (any TaskExecutor)? { get }
    /// The file the store keeps its data in on this machine, whose disk `storage.min_free`
    /// watches; nil when it lives elsewhere (memory, a database server).
    var databaseFile: String? { get }

    func issues(_ query: IssueQuery) async throws -> [Issue]
    func issue(id: Int64) async throws -> Issue?
    /// The issue of a project's fingerprint (``Fingerprint/hash``), if there is one.
    func issue(projectID: Int, fingerprint: String) async throws -> Issue?
    /// Marks an issue resolved; its next event is a regression. In the same transaction,
    /// a `.resolved` alert is owed to each channel `notify` picks from those the issue
    /// alerted before, and every incident it belongs to whose issues are now all
    /// resolved ends (``Incident/EndReason/resolved``). `nil` if there is no such issue; an already resolved issue owes nothing.
    /// `who` resolved it (`api`, `cli`, `alertmanager`), kept as ``Issue/resolvedBy``.
    func resolve(issueID: Int64, at now: Date, by who: String, projectName: @Sendable (Int) -> String, notify: @Sendable ([String]) -> [String]) async throws -> Issue?
    /// Mutes an issue; in the same transaction, its pending rows that no deliverer holds
    /// (due, retrying, held back, waiting for a digest) are `cancelled`: muted means quiet.
    func mute(issueID: Int64, _ mute: Mute, at now: Date) async throws -> Issue?
    func unmute(issueID: Int64, at now: Date) async throws -> Issue?

    /// Incidents, newest first (`GET /v1/incidents`).
    func incidents(_ query: IncidentQuery) async throws -> [Incident]
    /// One incident with its issues in the order they paged or joined; nil if there is none.
    func incident(id: Int64) async throws -> IncidentDetail?

    /// Takes up to `limit` pending rows due at `now`, leasing them for `lease` seconds,
    /// at most as many of each channel as `room` gives it (nil: no per-channel limit).
    /// Earliest due first, within a channel and across the claim. A row whose pair has an
    /// earlier ordered row pending is not due yet (``OutboxPair``).
    func claimDeliveries(now: Date, limit: Int, lease: TimeInterval, room: ChannelRoom?) async throws -> [OutboxEntry]
    /// Records how attempts on claimed rows (as claimed) ended, all at once. Losing this
    /// write in a crash only means the rows are sent again: at-least-once.
    func finishDeliveries(_ results: [(entry: OutboxEntry, result: DeliveryResult)], at now: Date) async throws
    /// Makes claimed rows due now and unclaimed again, their attempt not counted (a
    /// deliverer that was handed more than it could start).
    func releaseDeliveries(ids: [Int64], at now: Date) async throws
    /// Extends the claims this node still holds on `ids` to `until` (never shortens one):
    /// a deliverer renews its rows while their attempts run, so a receiver slower than
    /// the lease does not make another node take the row and send it again. Rows no
    /// longer held (finished, given back, or retaken by another node after the lease ran
    /// out) are left alone. Returns how many were renewed.
    @discardableResult
    func renewClaims(ids: [Int64], until: Date) async throws -> Int
    /// Makes every row this node still holds claimed due now: at a daemon's start, those
    /// claims belong to its previous run, which died mid-delivery, and waiting out their
    /// lease would only delay owed alerts. Returns how many.
    ///
    /// "This node": on SQLite the daemon is the store's only deliverer, so every claim is
    /// its own. On PostgreSQL several nodes share the outbox and a claim names its node
    /// (`PostgresStore.node`): another node's claims are left alone, since a live node is
    /// delivering them, and a dead node's come back to every node when their lease ends.
    func releaseClaims(now: Date) async throws -> Int
    /// Records how an attempt on a claimed row ended.
    func finishDelivery(id: Int64, result: DeliveryResult, at now: Date) async throws
    /// Runs `decide` on `channel`'s `channel_rate` bucket and keeps the bucket as it leaves
    /// it, in one transaction: every node of a store shares the bucket (on PostgreSQL the
    /// row is locked meanwhile), and it survives a restart. A bucket kept at another rate
    /// starts full at `rate` (``TokenBucket/restored(rate:stored:now:)``).
    func withChannelBucket<T: Sendable>(
        _ channel: String, rate: Rate, now: Date, _ decide: @escaping @Sendable (inout TokenBucket) -> T
    ) async throws -> T
    /// When the earliest pending row is due, if any.
    func nextDeliveryDue() async throws -> Date?
    func deliveries(status: DeliveryStatus?, limit: Int) async throws -> [OutboxEntry]
    /// How many rows are in each status.
    func deliveryCounts() async throws -> [DeliveryStatus: Int]
    /// Pending and dead rows only (`firebell_outbox_pending`, `firebell_outbox_dead`),
    /// read often: a backend counts them without reading the delivered rows.
    func outboxBacklog() async throws -> (pending: Int, dead: Int)
    /// Puts a row (dead or not) back to pending, due at `now`. False if there is no such row.
    func retryDelivery(id: Int64, at now: Date) async throws -> Bool

    /// What the receiver answered to the issue's first alert on `channel` (message id, thread ts).
    func threadReference(issueID: Int64, channel: String) async throws -> String?
    /// Keeps the first reference for (issue, channel); later ones are ignored.
    func setThreadReference(issueID: Int64, channel: String, reference: String) async throws
    /// Drops the reference (its message was deleted): the next alert starts a new thread.
    func forgetThreadReference(issueID: Int64, channel: String) async throws

    /// Stored events received at or after `since`, in the order they were received,
    /// from after `cursor` (nil: the first); at most `limit`, and where to go on from.
    func storedEvents(since: Date, after cursor: EventCursor?, limit: Int) async throws -> (events: [Backtest.StoredEvent], next: EventCursor?)
    /// What the outbox says was owed since `since` (its rows created since), for `backtest`.
    func owedAlerts(since: Date) async throws -> [OwedAlert]

    /// Retention, in steps: each deletes at most `limit` rows in a transaction of its
    /// own, so ingest waits at most one step. Each returns how many rows went.
    ///
    /// Events received before `cutoff`; issues stay.
    func pruneEvents(before cutoff: Date, limit: Int) async throws -> Int
    /// Delivered, dead and cancelled outbox rows finished before `cutoff`.
    func pruneDeliveries(finishedBefore cutoff: Date, limit: Int) async throws -> Int
    /// The remembered users and thread references of issues last seen before `cutoff`
    /// (none of their events is kept any more), walking those issues on from `cursor`.
    func pruneIssueState(lastSeenBefore cutoff: Date, after cursor: IssuePruneCursor?, limit: Int) async throws -> IssuePruneStep
    /// Releases last seen before `cutoff` (their deploy context is long over): a release
    /// that comes back afterwards counts as first seen again.
    func pruneReleases(lastSeenBefore cutoff: Date, limit: Int) async throws -> Int
    /// Throws when the store cannot be reached (readiness).
    func ping() async throws
    /// Throws when the store could not take a write now: after a failed write, whether
    /// it has passed (a lock another process held). Costlier than `ping`.
    func checkWritable() async throws
    func close() async throws
}
