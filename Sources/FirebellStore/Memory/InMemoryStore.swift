import FirebellCore
import Foundation

/// The `Store` contract kept in memory: the twin tests use where SQLite would only add setup.
/// Like every backend it decides nothing: it loads a batch's snapshot from its
/// dictionaries and commits the processor's change into them.
///
/// It passes the same shared store suite as the SQLite backend. Nothing survives
/// the process, so `firebell serve` never uses it.
public actor InMemoryStore: Store {
    /// Issues, event ids, users and releases: loaded and committed per batch.
    private var state = ReplayState()
    private var outbox: [Int64: OutboxEntry] = [:]
    private var threads: [String: String] = [:]
    private var claimed: Set<Int64> = []
    /// `channel_rate` buckets: (rate spelling, tokens, when).
    private var buckets: [String: (rate: String, tokens: Double, updated: Date)] = [:]
    private var nextOutboxID: Int64 = 1
    /// Every stored event, in the order received (for `storedEvents`).
    private var history: [Backtest.StoredEvent] = []

    public init() {}

    public func ingest(_ items: [IngestItem], processor: BatchProcessor, claim: OutboxClaim?) async throws -> IngestResult {
        let (change, ids) = state.run(items, processor: processor)
        let incidentIDs = state.openedIncidents
        history += change.events.map { Backtest.StoredEvent(projectID: $0.item.projectID, event: $0.item.event, receivedAt: $0.item.receivedAt) }
        var claimedRows: [OutboxEntry] = []
        let waiting = Set(outbox.values.filter { $0.status == .pending && $0.isOrdered }.map(\.pair))
        for row in OutboxEntry.rows(for: change.deliveries, ids: ids, claim: claim, waiting: waiting, incidentIDs: incidentIDs) {
            let entry = insert(row)
            if entry.attempts == 1 {
                claimed.insert(entry.id)
                claimedRows.append(entry)
            }
        }
        return IngestResult(change, ids: ids, claimed: claimedRows)
    }

    public func releaseDeliveries(ids: [Int64], at now: Date) async throws {
        for id in ids {
            guard var entry = outbox[id], entry.status == .pending, claimed.contains(id) else { continue }
            entry.attempts = max(0, entry.attempts - 1)
            entry.nextAttemptAt = now
            outbox[id] = entry
            claimed.remove(id)
        }
    }

    /// Nothing to make durable: this store lives in memory.
    public func sync() async throws {}

    /// Gives the row the next id and keeps it.
    @discardableResult
    private func insert(_ row: OutboxEntry) -> OutboxEntry {
        var row = row
        row.id = nextOutboxID
        nextOutboxID += 1
        outbox[row.id] = row
        return row
    }

    public func issues(_ query: IssueQuery) async throws -> [Issue] {
        let matching = state.records.values.map(\.issue).filter { issue in
            (query.projectID.map { $0 == issue.projectID } ?? true) && (query.status.map { $0 == issue.status } ?? true)
        }
        return Array(matching.sorted { ($0.lastSeen, $0.id) > ($1.lastSeen, $1.id) }.prefix(query.limit))
    }

    public func issue(id: Int64) async throws -> Issue? { state.issue(id: id) }

    public func issue(projectID: Int, fingerprint: String) async throws -> Issue? {
        state.records[IssueKey(projectID: projectID, fingerprint: fingerprint)]?.issue
    }

    public func resolve(
        issueID: Int64, at now: Date, by who: String, projectName: @Sendable (Int) -> String, notify: @Sendable ([String]) -> [String]
    ) async throws -> Issue? {
        guard let current = try await issue(id: issueID) else { return nil }
        guard current.status != .resolved else { return current }
        let issue = update(issueID) { $0.resolve(at: now, by: who) }!
        state.endIncidents(resolving: issueID, at: now)
        let alerted = Set(outbox.values.filter { $0.issueID == issueID }.map(\.channel)).sorted()
        let alert = Alert(kind: .resolved, issue: issue, projectName: projectName(issue.projectID), eventsSinceLastAlert: 0, at: now)
        for channel in notify(alerted) {
            insert(OutboxEntry(owed: OwedDelivery(issue: issue.key, channel: channel, alert: alert, due: now, digest: nil), issueID: issueID, claim: nil))
        }
        return issue
    }

    public func incidents(_ query: IncidentQuery) async throws -> [Incident] {
        state.incidents(query)
    }

    public func incident(id: Int64) async throws -> IncidentDetail? {
        state.incident(id: id)
    }

    public func threadReference(issueID: Int64, channel: String) async throws -> String? {
        threads["\(issueID)|\(channel)"]
    }

    public func setThreadReference(issueID: Int64, channel: String, reference: String) async throws {
        if threads["\(issueID)|\(channel)"] == nil { threads["\(issueID)|\(channel)"] = reference }
    }

    public func forgetThreadReference(issueID: Int64, channel: String) async throws {
        threads["\(issueID)|\(channel)"] = nil
    }

    public func mute(issueID: Int64, _ mute: Mute, at now: Date) async throws -> Issue? {
        guard let issue = update(issueID, { $0.mute(mute) }) else { return nil }
        for entry in outbox.values where entry.issueID == issueID && entry.status == .pending && !claimed.contains(entry.id) {
            outbox[entry.id]?.status = .cancelled
            outbox[entry.id]?.finishedAt = now
            outbox[entry.id]?.lastError = OutboxEntry.mutedError
        }
        return issue
    }

    public func unmute(issueID: Int64, at now: Date) async throws -> Issue? {
        update(issueID) { $0.unmute() }
    }

    private func update(_ id: Int64, _ change: (inout Issue) -> Void) -> Issue? {
        state.update(id: id, change)
    }

    public func claimDeliveries(now: Date, limit: Int, lease: TimeInterval, room: ChannelRoom?) async throws -> [OutboxEntry] {
        var taken: [String: Int] = [:]
        var othersTaken = 0
        var due: [OutboxEntry] = []
        // The first ordered pending row of each pair: the others wait their turn.
        var first: [OutboxPair: Int64] = [:]
        for entry in outbox.values where entry.status == .pending && entry.isOrdered {
            first[entry.pair] = min(first[entry.pair] ?? entry.id, entry.id)
        }
        let inTurn = { (entry: OutboxEntry) in entry.digest != nil || (first[entry.pair].map { $0 >= entry.id } ?? true) }
        let ready = outbox.values.filter { $0.status == .pending && $0.nextAttemptAt <= now && inTurn($0) }
            .sorted(by: { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) })
        // A channel with room has all its due digest, held-back and follow-up rows taken, beyond room and
        // limit (one summary, one roll-up, one incident update).
        let digests = room.map { room in
            ready.filter { ($0.digest != nil || $0.heldBack || $0.incidentID != nil) && room.perChannel[$0.channel, default: 0] > 0 }
        } ?? []
        let together = Set(digests.map(\.id))
        for entry in ready where due.count < limit && !together.contains(entry.id) {
            if let room {
                guard room.admits(entry.channel, taken: taken[entry.channel, default: 0], othersTaken: othersTaken) else { continue }
                if room.perChannel[entry.channel] == nil { othersTaken += 1 }
            }
            taken[entry.channel, default: 0] += 1
            due.append(entry)
        }
        return (due + digests).map { entry in
            var claimed = entry
            claimed.attempts += 1
            claimed.nextAttemptAt = now.addingTimeInterval(lease)
            outbox[entry.id] = claimed
            self.claimed.insert(entry.id)
            return claimed
        }
    }

    public func finishDeliveries(_ results: [(entry: OutboxEntry, result: DeliveryResult)], at now: Date) async throws {
        for (entry, result) in results {
            try await finishDelivery(id: entry.id, result: result, at: now)
        }
    }

    public func finishDelivery(id: Int64, result: DeliveryResult, at now: Date) async throws {
        guard var entry = outbox[id] else { return }
        entry.apply(result, at: now)
        outbox[id] = entry
        claimed.remove(id)
    }

    public func renewClaims(ids: [Int64], until: Date) async throws -> Int {
        var renewed = 0
        for id in ids {
            guard var entry = outbox[id], entry.status == .pending, claimed.contains(id) else { continue }
            entry.nextAttemptAt = max(entry.nextAttemptAt, until)
            outbox[id] = entry
            renewed += 1
        }
        return renewed
    }

    public func releaseClaims(now: Date) async throws -> Int {
        let interrupted = claimed.filter { outbox[$0]?.status == .pending }
        for id in interrupted { outbox[id]?.nextAttemptAt = now }
        claimed = []
        return interrupted.count
    }

    public func withChannelBucket<T: Sendable>(
        _ channel: String, rate: Rate, now: Date, _ decide: @escaping @Sendable (inout TokenBucket) -> T
    ) async throws -> T {
        var bucket = TokenBucket.restored(rate: rate, stored: buckets[channel], now: now)
        let result = decide(&bucket)
        buckets[channel] = (rate.description, bucket.tokens, bucket.updated)
        return result
    }

    public func nextDeliveryDue() async throws -> Date? {
        outbox.values.filter { $0.status == .pending }.map(\.nextAttemptAt).min()
    }

    public func deliveries(status: DeliveryStatus?, limit: Int) async throws -> [OutboxEntry] {
        let rows = outbox.values.filter { status == nil || $0.status == status }.sorted { $0.id > $1.id }
        return Array(rows.prefix(limit))
    }

    public func deliveryCounts() async throws -> [DeliveryStatus: Int] {
        var counts: [DeliveryStatus: Int] = [:]
        for entry in outbox.values { counts[entry.status, default: 0] += 1 }
        return counts
    }

    public func retryDelivery(id: Int64, at now: Date) async throws -> Bool {
        guard var entry = outbox[id] else { return false }
        entry.status = .pending
        entry.nextAttemptAt = now
        entry.finishedAt = nil
        entry.heldBack = false
        outbox[id] = entry
        return true
    }

    public func pruneEvents(before cutoff: Date, limit: Int) async throws -> Int {
        let removed = state.pruneEvents(before: cutoff, limit: limit)
        // The same step of history: its oldest `removed` events before the cutoff.
        var left = removed
        history.removeAll { entry in
            guard left > 0, entry.receivedAt < cutoff else { return false }
            left -= 1
            return true
        }
        return removed
    }

    public func pruneDeliveries(finishedBefore cutoff: Date, limit: Int) async throws -> Int {
        let old = outbox.values.filter { entry in
            entry.status != .pending && (entry.finishedAt.map { $0 < cutoff } ?? false)
        }.prefix(limit)
        for entry in old { outbox[entry.id] = nil }
        return old.count
    }

    public func pruneIssueState(
        lastSeenBefore cutoff: Date, after cursor: IssuePruneCursor?, limit: Int
    ) async throws -> IssuePruneStep {
        let before = Int((cutoff.timeIntervalSince1970 / 60).rounded(.down))
        let from = cursor ?? IssuePruneCursor(minute: Int.min, id: 0)
        let issues = state.records.values.map(\.issue)
            .map { (IssuePruneCursor($0), $0.key) }
            .filter { $0.0.minute < before && ($0.0.minute, $0.0.id) > (from.minute, from.id) }
            .sorted { ($0.0.minute, $0.0.id) < ($1.0.minute, $1.0.id) }
            .prefix(SQLiteStore.prunedIssuesPerStep)
        guard let last = issues.last else { return IssuePruneStep(removed: 0, cursor: cursor, finished: true) }
        let users = state.forgetUsers(of: Set(issues.map(\.1)), limit: limit)
        guard users < limit else { return IssuePruneStep(removed: users, cursor: cursor, finished: false) }
        let ids = Set(issues.map { String($0.0.id) })
        let threadKeys = threads.keys.filter { ids.contains(String($0.prefix { $0 != "|" })) }
        for key in threadKeys { threads[key] = nil }
        return IssuePruneStep(removed: users + threadKeys.count, cursor: last.0, finished: false)
    }

    public func pruneReleases(lastSeenBefore cutoff: Date, limit: Int) async throws -> Int {
        state.forgetReleases(lastSeenBefore: cutoff, limit: limit)
    }

    public func storedEvents(since: Date, after cursor: EventCursor?, limit: Int) async throws -> (events: [Backtest.StoredEvent], next: EventCursor?) {
        // The sequence is the position in `history`, ordered by time as SQLite's is.
        let ordered = history.enumerated().sorted { ($0.element.receivedAt, $0.offset) < ($1.element.receivedAt, $1.offset) }
        let after = cursor ?? EventCursor(receivedAt: since, sequence: -1)
        let page = ordered.filter { entry in
            entry.element.receivedAt >= since
                && (entry.element.receivedAt, Int64(entry.offset)) > (after.receivedAt, after.sequence)
        }.prefix(limit)
        let next = page.last.map { EventCursor(receivedAt: $0.element.receivedAt, sequence: Int64($0.offset)) }
        return (page.map(\.element), page.count < limit ? nil : next)
    }

    public func owedAlerts(since: Date) async throws -> [OwedAlert] {
        outbox.values.filter { $0.createdAt >= since }.sorted { $0.id < $1.id }
            .map { OwedAlert(channel: $0.channel, kind: $0.alert.kind, severity: $0.alert.severity) }
    }

    public func ping() async throws {}
    public func close() async throws {}
}
