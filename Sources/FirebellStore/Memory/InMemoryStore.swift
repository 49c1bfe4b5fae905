import FirebellCore
import Foundation

/// The `Store` contract kept in memory: the twin tests use where SQLite would only add setup.
///
/// It passes the same shared store suite as the SQLite backend. Nothing survives
/// the process, so `firebell serve` never uses it.
public actor InMemoryStore: Store {
    private struct StoredEvent {
        var issueID: Int64
        var receivedAt: Date
        var userKey: String?
    }

    private struct EventKey: Hashable {
        var projectID: Int
        var eventID: String
    }

    private struct IssueKey: Hashable {
        var projectID: Int
        var fingerprint: String
    }

    private var events: [EventKey: StoredEvent] = [:]
    private var eventsByIssue: [Int64: [StoredEvent]] = [:]
    private var usersByIssue: [Int64: Set<String>] = [:]
    private var issuesByID: [Int64: Issue] = [:]
    private var issueIDs: [IssueKey: Int64] = [:]
    private var outbox: [Int64: OutboxEntry] = [:]
    private var threads: [String: String] = [:]
    private var claimed: Set<Int64> = []
    private var nextIssueID: Int64 = 1
    private var nextOutboxID: Int64 = 1

    public init() {}

    public func ingest(_ items: [IngestItem], processor: IssueProcessor, claim: OutboxClaim?) async throws -> IngestResult {
        let firstRow = nextOutboxID
        let outcomes = items.map { ingest($0, processor: processor) }
        guard let claim else { return IngestResult(outcomes: outcomes) }
        var claimedRows: [OutboxEntry] = []
        for id in firstRow..<nextOutboxID {
            guard var entry = outbox[id], entry.digest == nil else { continue }
            entry.attempts = 1
            entry.nextAttemptAt = entry.createdAt.addingTimeInterval(claim.lease)
            outbox[id] = entry
            claimed.insert(id)
            claimedRows.append(entry)
        }
        return IngestResult(outcomes: outcomes, claimed: claimedRows)
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

    private func ingest(_ item: IngestItem, processor: IssueProcessor) -> IngestOutcome {
        let eventKey = EventKey(projectID: item.projectID, eventID: item.event.eventID)
        guard events[eventKey] == nil else { return .duplicate }
        let issueKey = IssueKey(projectID: item.projectID, fingerprint: item.fingerprint)
        let existing = issueIDs[issueKey].flatMap { issuesByID[$0] }
        let now = item.receivedAt
        let userKey = item.event.userKey

        let stats: IssueStats
        if let existing {
            let history = eventsByIssue[existing.id] ?? []
            var users = usersByIssue[existing.id] ?? []
            if let userKey { users.insert(userKey) }
            stats = IssueStats(
                eventsInWindow: Dictionary(uniqueKeysWithValues: processor.eventWindows.map { window in
                    (window, history.filter { $0.receivedAt > now.addingTimeInterval(-window) }.count + 1)
                }),
                usersInWindow: Dictionary(uniqueKeysWithValues: processor.userWindows.map { window in
                    var inWindow = Set(history.filter { $0.receivedAt > now.addingTimeInterval(-window) }.compactMap(\.userKey))
                    if let userKey { inWindow.insert(userKey) }
                    return (window, inWindow.count)
                }),
                userCount: users.count
            )
        } else {
            stats = processor.statsForNewIssue(item.event)
        }

        var decision = processor.process(
            item.event, fingerprint: item.fingerprint, projectID: item.projectID, existing: existing, stats: stats, now: now)
        if existing == nil {
            decision.issue.id = nextIssueID
            nextIssueID += 1
            issueIDs[issueKey] = decision.issue.id
        }
        let issueID = decision.issue.id
        issuesByID[issueID] = decision.issue
        let stored = StoredEvent(issueID: issueID, receivedAt: now, userKey: userKey)
        events[eventKey] = stored
        eventsByIssue[issueID, default: []].append(stored)
        if let userKey { usersByIssue[issueID, default: []].insert(userKey) }

        if var alert = decision.alert {
            alert.issueID = issueID
            for route in decision.routes {
                enqueue(alert, channel: route.channel, digest: route.digest, at: now)
            }
        }
        return .stored(issueID: issueID, alert: decision.alert?.kind)
    }

    private func enqueue(_ alert: Alert, channel: String, digest: TimeInterval?, at now: Date) {
        let id = nextOutboxID
        nextOutboxID += 1
        outbox[id] = OutboxEntry(
            id: id, issueID: alert.issueID, channel: channel, alert: alert, status: .pending, attempts: 0,
            nextAttemptAt: digest.map { RollUp.digestDue(after: now, period: $0) } ?? now, createdAt: now, digest: digest)
    }

    public func issues(_ query: IssueQuery) async throws -> [Issue] {
        let matching = issuesByID.values.filter { issue in
            (query.projectID.map { $0 == issue.projectID } ?? true) && (query.status.map { $0 == issue.status } ?? true)
        }
        return Array(matching.sorted { ($0.lastSeen, $0.id) > ($1.lastSeen, $1.id) }.prefix(query.limit))
    }

    public func issue(id: Int64) async throws -> Issue? { issuesByID[id] }

    public func resolve(
        issueID: Int64, at now: Date, projectName: @Sendable (Int) -> String, notify: @Sendable ([String]) -> [String]
    ) async throws -> Issue? {
        guard let current = issuesByID[issueID] else { return nil }
        guard current.status != .resolved else { return current }
        let issue = update(issueID) { $0.resolve(at: now) }!
        let alerted = Set(outbox.values.filter { $0.issueID == issueID }.map(\.channel)).sorted()
        let alert = Alert(kind: .resolved, issue: issue, projectName: projectName(issue.projectID), eventsSinceLastAlert: 0, at: now)
        for channel in notify(alerted) {
            enqueue(alert, channel: channel, digest: nil, at: now)
        }
        return issue
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
        update(issueID) { $0.mute(mute) }
    }

    public func unmute(issueID: Int64, at now: Date) async throws -> Issue? {
        update(issueID) { $0.unmute() }
    }

    private func update(_ id: Int64, _ change: (inout Issue) -> Void) -> Issue? {
        guard var issue = issuesByID[id] else { return nil }
        change(&issue)
        issuesByID[id] = issue
        return issue
    }

    public func claimDeliveries(now: Date, limit: Int, lease: TimeInterval, room: ChannelRoom?) async throws -> [OutboxEntry] {
        var taken: [String: Int] = [:]
        var othersTaken = 0
        var due: [OutboxEntry] = []
        for entry in outbox.values.filter({ $0.status == .pending && $0.nextAttemptAt <= now })
            .sorted(by: { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }) where due.count < limit {
            if let room {
                guard room.admits(entry.channel, taken: taken[entry.channel, default: 0], othersTaken: othersTaken) else { continue }
                if room.perChannel[entry.channel] == nil { othersTaken += 1 }
            }
            taken[entry.channel, default: 0] += 1
            due.append(entry)
        }
        return due.map { entry in
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

    public func releaseClaims(now: Date) async throws -> Int {
        let interrupted = claimed.filter { outbox[$0]?.status == .pending }
        for id in interrupted { outbox[id]?.nextAttemptAt = now }
        claimed = []
        return interrupted.count
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
        outbox[id] = entry
        return true
    }

    public func pruneEvents(before cutoff: Date) async throws -> Int {
        let old = events.filter { $0.value.receivedAt < cutoff }
        for key in old.keys { events[key] = nil }
        for (issueID, list) in eventsByIssue {
            eventsByIssue[issueID] = list.filter { $0.receivedAt >= cutoff }
        }
        return old.count
    }

    public func ping() async throws {}
    public func close() async throws {}
}
