import FirebellCore
import Foundation
import SQLiteNIO

/// One group-commit batch written to SQLite with a fixed number of statements,
/// however many events it holds: read what the batch needs (known event ids, its
/// issues, their recent window counts and users) in a few set queries, decide every
/// event in memory in order, then write all events, issues, users and outbox rows
/// with multi-row statements. Runs inside the caller's transaction.
///
/// Window counts of earlier batches are read once per batch, from the batch's
/// earliest event: an event at the very edge of a window may count for a later
/// event of the same batch (the batch spans milliseconds).
struct SQLiteBatchIngest {
    let connection: SQLiteConnection
    let processor: IssueProcessor
    /// Outbox rows due at once are written claimed and returned (`Store.ingest`).
    let claim: OutboxClaim?
    /// Issues read from here need no query; every issue the batch writes goes in.
    /// The caller has validated it for this transaction and empties it if it rolls back.
    let cache: IssueCache

    /// Binds per statement stay well under SQLite's limit (32,766).
    static let chunk = 400

    private struct EventKey: Hashable {
        var projectID: Int
        var eventID: String
    }

    private typealias IssueKey = IssueCache.Key

    private struct IssueUser: Hashable {
        var issueID: Int64
        var user: String
    }

    /// What the batch knows about one issue while deciding.
    private struct IssueState {
        var issue: Issue?
        /// window → events of earlier batches within it.
        var storedCounts: [TimeInterval: Int] = [:]
        /// window → users of earlier batches within it.
        var storedUsers: [TimeInterval: Set<String>] = [:]
        /// Users of the issue ever, as far as the batch's users go.
        var knownUsers: Set<String> = []
        /// This batch's events so far: when, and whose.
        var batch: [(at: Date, user: String?)] = []
    }

    func run(_ items: [IngestItem]) async throws -> IngestResult {
        let known = try await knownEvents(items)
        var states = try await loadIssues(items)
        try await loadHistory(items, into: &states)

        var seen = Set<EventKey>()
        var stored: [(item: IngestItem, key: IssueKey)] = []
        var alerts: [(key: IssueKey, alert: Alert, routes: [RouteDecision])] = []
        // Per item: its issue and the alert it caused, or nil for a duplicate.
        var results: [(key: IssueKey, alert: AlertKind?)?] = []
        for item in items {
            let eventKey = EventKey(projectID: item.projectID, eventID: item.event.eventID)
            guard !known.contains(eventKey), seen.insert(eventKey).inserted else {
                results.append(nil)
                continue
            }
            let key = IssueKey(projectID: item.projectID, fingerprint: item.fingerprint)
            var state = states[key] ?? IssueState()
            let decision = processor.process(
                item.event, fingerprint: item.fingerprint, projectID: item.projectID, existing: state.issue,
                stats: stats(state, item), now: item.receivedAt)
            state.issue = decision.issue
            state.batch.append((item.receivedAt, item.event.userKey))
            if let user = item.event.userKey { state.knownUsers.insert(user) }
            states[key] = state
            stored.append((item, key))
            if let alert = decision.alert { alerts.append((key, alert, decision.routes)) }
            results.append((key, decision.alert?.kind))
        }
        guard !stored.isEmpty else { return IngestResult(outcomes: items.map { _ in .duplicate }) }

        let changed = states.compactMap { key, state in state.batch.isEmpty ? nil : state.issue.map { (key, $0) } }
        let ids = try await writeIssues(changed)
        cache.store(changed.map { key, issue in
            var issue = issue
            issue.id = ids[key] ?? issue.id
            return issue
        })
        try await writeEvents(stored, ids: ids)
        let claimed = try await writeOutbox(alerts, ids: ids)
        let outcomes = results.map { result in
            result.map { .stored(issueID: ids[$0.key] ?? 0, alert: $0.alert) } ?? IngestOutcome.duplicate
        }
        return IngestResult(outcomes: outcomes, claimed: claimed)
    }

    // MARK: Deciding

    private func stats(_ state: IssueState, _ item: IngestItem) -> IssueStats {
        let now = item.receivedAt
        let user = item.event.userKey
        var events: [TimeInterval: Int] = [:]
        for window in processor.eventWindows {
            let cutoff = now.addingTimeInterval(-window)
            events[window] = (state.storedCounts[window] ?? 0) + state.batch.filter { $0.at > cutoff }.count + 1
        }
        var users: [TimeInterval: Int] = [:]
        for window in processor.userWindows {
            let cutoff = now.addingTimeInterval(-window)
            var set = state.storedUsers[window] ?? []
            for event in state.batch where event.at > cutoff {
                if let user = event.user { set.insert(user) }
            }
            if let user { set.insert(user) }
            users[window] = set.count
        }
        var userCount = state.issue?.userCount ?? 0
        if let user, !state.knownUsers.contains(user) { userCount += 1 }
        return IssueStats(eventsInWindow: events, usersInWindow: users, userCount: userCount)
    }

    // MARK: Reading

    // Both lookups name the project: the unique indexes lead with project_id, and a
    // query without it scans the whole table (the first profile's top entry).

    private func knownEvents(_ items: [IngestItem]) async throws -> Set<EventKey> {
        var known = Set<EventKey>()
        for (project, projectItems) in Dictionary(grouping: items, by: \.projectID) {
            let ids = Array(Set(projectItems.map(\.event.eventID)))
            for part in ids.chunked(Self.chunk) {
                let rows = try await connection.query(
                    "SELECT event_id FROM events WHERE project_id = ? AND event_id IN (\(marks(part.count)))",
                    [.integer(project)] + part.map { .text($0) })
                for row in rows {
                    if let id = row.column("event_id")?.string { known.insert(EventKey(projectID: project, eventID: id)) }
                }
            }
        }
        return known
    }

    private func loadIssues(_ items: [IngestItem]) async throws -> [IssueKey: IssueState] {
        var states: [IssueKey: IssueState] = [:]
        var missing: [Int: Set<String>] = [:]
        for item in items {
            let key = IssueKey(projectID: item.projectID, fingerprint: item.fingerprint)
            guard states[key] == nil else { continue }
            if let issue = cache.issue(key) {
                states[key] = IssueState(issue: issue)
            } else {
                missing[item.projectID, default: []].insert(item.fingerprint)
            }
        }
        for (project, fingerprints) in missing {
            for part in Array(fingerprints).chunked(Self.chunk) {
                let rows = try await connection.query(
                    "SELECT id, fingerprint, data FROM issues WHERE project_id = ? AND fingerprint IN (\(marks(part.count)))",
                    [.integer(project)] + part.map { .text($0) })
                for row in rows {
                    guard let fingerprint = row.column("fingerprint")?.string else { continue }
                    states[IssueKey(projectID: project, fingerprint: fingerprint)] = IssueState(issue: try SQLiteStore.decodeIssue(row))
                }
            }
        }
        return states
    }

    /// Window counts, window users and known users of the batch's existing issues.
    private func loadHistory(_ items: [IngestItem], into states: inout [IssueKey: IssueState]) async throws {
        var keysByID: [Int64: IssueKey] = [:]
        for (key, state) in states { if let id = state.issue?.id { keysByID[id] = key } }
        guard !keysByID.isEmpty, let earliest = items.map(\.receivedAt).min() else { return }
        let ids = Array(keysByID.keys)
        for window in processor.eventWindows {
            for part in ids.chunked(Self.chunk) {
                let rows = try await connection.query(
                    """
                    SELECT issue_id, COUNT(*) AS n FROM events
                    WHERE issue_id IN (\(marks(part.count))) AND received_at > ? GROUP BY issue_id
                    """,
                    part.map { .integer(Int($0)) } + [.float(earliest.timeIntervalSince1970 - window)])
                for row in rows {
                    if let id = row.column("issue_id")?.integer, let key = keysByID[Int64(id)] {
                        states[key]?.storedCounts[window] = row.column("n")?.integer ?? 0
                    }
                }
            }
        }
        for window in processor.userWindows {
            for part in ids.chunked(Self.chunk) {
                let rows = try await connection.query(
                    """
                    SELECT DISTINCT issue_id, user_key FROM events
                    WHERE issue_id IN (\(marks(part.count))) AND received_at > ? AND user_key IS NOT NULL
                    """,
                    part.map { .integer(Int($0)) } + [.float(earliest.timeIntervalSince1970 - window)])
                for row in rows {
                    if let id = row.column("issue_id")?.integer, let key = keysByID[Int64(id)], let user = row.column("user_key")?.string {
                        states[key]?.storedUsers[window, default: []].insert(user)
                    }
                }
            }
        }
        // The (issue, user) pairs of the batch, each looked up on the primary key. (Two
        // IN lists would probe every issue with every user: 64 × 64 lookups a batch.)
        var pairs = Set<IssueUser>()
        for item in items {
            guard let user = item.event.userKey,
                  let id = states[IssueKey(projectID: item.projectID, fingerprint: item.fingerprint)]?.issue?.id
            else { continue }
            pairs.insert(IssueUser(issueID: id, user: user))
        }
        for part in Array(pairs).chunked(Self.chunk / 2) {
            let rows = try await connection.query(
                """
                WITH pairs(issue_id, user_key) AS (VALUES \(tuples(part.count, 2)))
                SELECT known.issue_id, known.user_key FROM pairs CROSS JOIN issue_users AS known
                ON known.issue_id = pairs.issue_id AND known.user_key = pairs.user_key
                """,
                part.flatMap { [SQLiteData.integer(Int($0.issueID)), .text($0.user)] })
            for row in rows {
                if let id = row.column("issue_id")?.integer, let key = keysByID[Int64(id)], let user = row.column("user_key")?.string {
                    states[key]?.knownUsers.insert(user)
                }
            }
        }
    }

    // MARK: Writing

    /// Inserts new issues and updates changed ones in one upsert per chunk; returns every issue's id.
    private func writeIssues(_ issues: [(IssueKey, Issue)]) async throws -> [IssueKey: Int64] {
        var ids: [IssueKey: Int64] = [:]
        for part in issues.chunked(Self.chunk / 6) {
            var binds: [SQLiteData] = []
            for (key, issue) in part {
                binds += [
                    .integer(key.projectID), .text(key.fingerprint), .text(issue.status.rawValue),
                    .float(issue.lastSeen.timeIntervalSince1970), .integer(SQLiteStore.minute(issue.lastSeen)),
                    .text(try issue.jsonText()),
                ]
            }
            let rows = try await connection.query(
                """
                INSERT INTO issues (project_id, fingerprint, status, last_seen, seen_minute, data) VALUES \(tuples(part.count, 6))
                ON CONFLICT (project_id, fingerprint) DO UPDATE
                SET status = excluded.status, last_seen = excluded.last_seen, seen_minute = excluded.seen_minute, data = excluded.data
                RETURNING id, project_id, fingerprint
                """, binds)
            for row in rows {
                if let id = row.column("id")?.integer, let project = row.column("project_id")?.integer,
                   let fingerprint = row.column("fingerprint")?.string {
                    ids[IssueKey(projectID: project, fingerprint: fingerprint)] = Int64(id)
                }
            }
        }
        return ids
    }

    private func writeEvents(_ stored: [(item: IngestItem, key: IssueKey)], ids: [IssueKey: Int64]) async throws {
        for part in stored.chunked(Self.chunk / 6) {
            var binds: [SQLiteData] = []
            for (item, key) in part {
                binds += [
                    .integer(item.projectID), .text(item.event.eventID), .integer(Int(ids[key] ?? 0)),
                    .float(item.receivedAt.timeIntervalSince1970), item.event.userKey.map { .text($0) } ?? .null,
                    .text(try item.event.jsonText()),
                ]
            }
            _ = try await connection.query(
                "INSERT INTO events (project_id, event_id, issue_id, received_at, user_key, payload) VALUES \(tuples(part.count, 6))",
                binds)
        }
        let users = Set(stored.compactMap { entry in entry.item.event.userKey.map { "\(ids[entry.key] ?? 0)\u{1F}\($0)" } })
        for part in Array(users).chunked(Self.chunk / 2) {
            var binds: [SQLiteData] = []
            for pair in part {
                let split = pair.split(separator: "\u{1F}", maxSplits: 1)
                binds += [.integer(Int(split[0]) ?? 0), .text(String(split[1]))]
            }
            _ = try await connection.query(
                "INSERT OR IGNORE INTO issue_users (issue_id, user_key) VALUES \(tuples(part.count, 2))", binds)
        }
    }

    /// Returns the rows written claimed (see `claim`).
    private func writeOutbox(_ alerts: [(key: IssueKey, alert: Alert, routes: [RouteDecision])], ids: [IssueKey: Int64]) async throws -> [OutboxEntry] {
        var rows: [OutboxEntry] = []
        var payloads: [String] = []
        for (key, alert, routes) in alerts {
            var alert = alert
            alert.issueID = ids[key] ?? 0
            let payload = try alert.jsonText()
            for route in routes {
                var row = OutboxEntry(
                    id: 0, issueID: alert.issueID, channel: route.channel, alert: alert, status: .pending, attempts: 0,
                    nextAttemptAt: route.digest.map { RollUp.digestDue(after: alert.createdAt, period: $0) } ?? alert.createdAt,
                    createdAt: alert.createdAt, digest: route.digest)
                if let claim, route.digest == nil {
                    row.attempts = 1
                    row.nextAttemptAt = alert.createdAt.addingTimeInterval(claim.lease)
                }
                rows.append(row)
                payloads.append(payload)
            }
        }
        var claimed: [OutboxEntry] = []
        var offset = 0
        for part in rows.chunked(Self.chunk / 7) {
            var binds: [SQLiteData] = []
            for (index, row) in part.enumerated() {
                binds += [
                    .integer(Int(row.issueID)), .text(row.channel), .float(row.nextAttemptAt.timeIntervalSince1970),
                    .float(row.createdAt.timeIntervalSince1970), row.digest.map { .float($0) } ?? .null,
                    .text(payloads[offset + index]), .integer(row.attempts),
                ]
            }
            offset += part.count
            let inserted = try await connection.query(
                """
                INSERT INTO outbox (issue_id, channel, next_attempt_at, created_at, digest, alert, status, attempts, claimed)
                SELECT column1, column2, column3, column4, column5, column6, 'pending', column7, column7 FROM (VALUES \(tuples(part.count, 7)))
                RETURNING id
                """, binds)
            // One statement, one writer: the rows get ascending ids in the order of VALUES.
            let ids = inserted.compactMap { $0.column("id")?.integer }.sorted()
            guard ids.count == part.count else { throw StoreError("outbox insert returned \(ids.count) ids for \(part.count) rows") }
            for (row, id) in zip(part, ids) where row.attempts == 1 {
                var row = row
                row.id = Int64(id)
                claimed.append(row)
            }
        }
        return claimed
    }

    private func marks(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    private func tuples(_ rows: Int, _ columns: Int) -> String {
        let tuple = "(" + marks(columns) + ")"
        return Array(repeating: tuple, count: rows).joined(separator: ", ")
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: Swift.max(size, 1)).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
