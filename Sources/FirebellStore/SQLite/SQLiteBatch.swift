import FirebellCore
import Foundation
import NIOCore
import SQLiteNIO

/// A group-commit batch's two trips to SQLite, inside the caller's transaction:
/// load the snapshot for the batch's keys, and commit the change the processor
/// decided. A fixed number of statements per chunk of rows, however many events
/// the batch holds and however long its issues' histories are: an issue's window
/// counts travel in its own row (`issues.windows`), never re-read from `events`.
struct SQLiteBatch {
    let connection: SQLiteConnection
    /// Issues read from here need no query; every issue the batch writes goes in.
    /// The caller has validated it for this transaction and empties it if it rolls back.
    let cache: IssueCache

    /// Binds per statement stay well under SQLite's limit (32,766).
    static let chunk = 400

    // MARK: Loading

    // The lookups name the project: the unique indexes lead with project_id, and a
    // query without it scans the whole table (the first profile's top entry).

    func load(_ request: SnapshotRequest) async throws -> BatchSnapshot {
        var snapshot = BatchSnapshot()
        snapshot.knownEvents = try await knownEvents(request.events)
        snapshot.issues = try await issues(request.issues)
        snapshot.knownUsers = try await knownUsers(request.users, ids: snapshot.issues.mapValues(\.issue.id))
        snapshot.releases = try await releases(request.releases)
        if request.openIncidents {
            // At most one per route (`incidents_open_route`): a handful of rows.
            let rows = try await connection.query("SELECT * FROM incidents WHERE ended_at IS NULL")
            for incident in try rows.map(SQLiteStore.decodeIncident) { snapshot.incidents[incident.route] = incident }
        }
        return snapshot
    }

    private func releases(_ keys: [ReleaseKey]) async throws -> [ReleaseKey: ReleaseRecord] {
        var records: [ReleaseKey: ReleaseRecord] = [:]
        for (project, projectKeys) in Dictionary(grouping: keys, by: \.projectID) {
            for part in projectKeys.chunked(Self.chunk) {
                let rows = try await connection.query(
                    "SELECT version, first_seen, last_seen, new_issues FROM releases WHERE project_id = ? AND version IN (\(marks(part.count)))",
                    [.integer(project)] + part.map { .text($0.version) })
                for row in rows {
                    guard let version = row.column("version")?.string, let first = row.column("first_seen")?.double,
                          let last = row.column("last_seen")?.double, let newIssues = row.column("new_issues")?.integer
                    else { continue }
                    records[ReleaseKey(projectID: project, version: version)] = ReleaseRecord(
                        firstSeen: Date(timeIntervalSince1970: first), lastSeen: Date(timeIntervalSince1970: last), newIssues: newIssues)
                }
            }
        }
        return records
    }

    private func knownEvents(_ keys: [EventKey]) async throws -> Set<EventKey> {
        var known = Set<EventKey>()
        for (project, projectKeys) in Dictionary(grouping: keys, by: \.projectID) {
            for part in projectKeys.chunked(Self.chunk) {
                let rows = try await connection.query(
                    "SELECT event_id FROM events WHERE project_id = ? AND event_id IN (\(marks(part.count)))",
                    [.integer(project)] + part.map { .text($0.eventID) })
                for row in rows {
                    if let id = row.column("event_id")?.string { known.insert(EventKey(projectID: project, eventID: id)) }
                }
            }
        }
        return known
    }

    private func issues(_ keys: [IssueKey]) async throws -> [IssueKey: IssueRecord] {
        var records: [IssueKey: IssueRecord] = [:]
        var missing: [Int: [String]] = [:]
        for key in keys {
            if let record = cache.record(key) {
                records[key] = record
            } else {
                missing[key.projectID, default: []].append(key.fingerprint)
            }
        }
        for (project, fingerprints) in missing {
            for part in fingerprints.chunked(Self.chunk) {
                let rows = try await connection.query(
                    "SELECT id, fingerprint, data, windows FROM issues WHERE project_id = ? AND fingerprint IN (\(marks(part.count)))",
                    [.integer(project)] + part.map { .text($0) })
                for row in rows {
                    guard let fingerprint = row.column("fingerprint")?.string else { continue }
                    let windows = row.column("windows")?.blob.flatMap { IssueWindows(bytes: $0.readableBytesView) } ?? IssueWindows()
                    records[IssueKey(projectID: project, fingerprint: fingerprint)] = IssueRecord(
                        issue: try SQLiteStore.decodeIssue(row), windows: windows)
                }
            }
        }
        return records
    }

    /// The batch's (issue, user) pairs of existing issues, each looked up on the primary
    /// key. (Two IN lists would probe every issue with every user.)
    private func knownUsers(_ pairs: [IssueUser], ids: [IssueKey: Int64]) async throws -> Set<IssueUser> {
        let (byID, lookups) = IssueUser.storedLookups(pairs, ids: ids)
        var known = Set<IssueUser>()
        for part in lookups.chunked(Self.chunk / 2) {
            let rows = try await connection.query(
                """
                WITH pairs(issue_id, user_key) AS (VALUES \(tuples(part.count, 2)))
                SELECT known.issue_id, known.user_key FROM pairs CROSS JOIN issue_users AS known
                ON known.issue_id = pairs.issue_id AND known.user_key = pairs.user_key
                """,
                part.flatMap { [SQLiteData.integer(Int($0.id)), .text($0.user)] })
            for row in rows {
                if let id = row.column("issue_id")?.integer, let key = byID[Int64(id)], let user = row.column("user_key")?.string {
                    known.insert(IssueUser(issue: key, user: user))
                }
            }
        }
        return known
    }

    // MARK: Committing

    /// Writes the change; returns the issues' ids and the outbox rows written claimed.
    func commit(_ change: BatchChange, claim: OutboxClaim?) async throws -> (ids: [IssueKey: Int64], claimed: [OutboxEntry]) {
        let ids = try await writeIssues(change.issues)
        cache.store(change.issues.map { record in
            var record = record
            record.issue.id = ids[record.issue.key] ?? record.issue.id
            return record
        })
        try await writeEvents(change.events, ids: ids)
        try await writeUsers(change.users, ids: ids)
        try await mergeReleases(change.releases)
        let incidentIDs = try await writeIncidents(change, ids: ids)
        let claimed = try await writeOutbox(
            change.deliveries, ids: ids, stored: change.storedIssuesOwingAlerts, incidentIDs: incidentIDs, claim: claim)
        return (ids, claimed)
    }

    /// Updates the incidents the batch joined or ended, then inserts the ones it opened
    /// (in that order: an ended incident frees its route for the new one); then their
    /// issues. Returns the ids of the opened ones by their provisional ids.
    private func writeIncidents(_ change: BatchChange, ids: [IssueKey: Int64]) async throws -> [Int64: Int64] {
        guard !change.incidents.isEmpty else { return [:] }
        var incidentIDs: [Int64: Int64] = [:]
        let incidents = change.incidentsNumbered(ids)
        for incident in incidents where incident.id > 0 {
            _ = try await connection.query(
                "UPDATE incidents SET last_joined_at = ?, last_update_due = ?, issue_count = ?, ended_at = ?, end_reason = ? WHERE id = ?",
                Self.changing(incident) + [.integer(Int(incident.id))])
        }
        for incident in incidents where incident.id < 0 {
            let rows = try await connection.query(
                """
                INSERT INTO incidents (last_joined_at, last_update_due, issue_count, ended_at, end_reason, route, opened_at, first_issue_id, first_page)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """,
                Self.changing(incident) + [
                    .text(incident.route), .float(incident.openedAt.timeIntervalSince1970), .integer(Int(incident.firstPage.issueID)),
                    .text(try incident.firstPage.jsonText()),
                ])
            guard let id = rows.first?.column("id")?.integer else { throw StoreError("incident insert returned no id") }
            incidentIDs[incident.id] = Int64(id)
        }
        for part in change.membersNumbered(ids, incidentIDs: incidentIDs).chunked(Self.chunk / 5) {
            _ = try await connection.query(
                "INSERT INTO incident_issues (incident_id, issue_id, kind, joined_at, joined) VALUES \(tuples(part.count, 5))",
                part.flatMap { member -> [SQLiteData] in
                    [
                        .integer(Int(member.incident)), .integer(Int(member.issueID)), .text(member.kind.rawValue),
                        .float(member.at.timeIntervalSince1970), .integer(member.joined ? 1 : 0),
                    ]
                })
        }
        return incidentIDs
    }

    /// The columns a join or an end changes, in the order the statements above bind them.
    private static func changing(_ incident: Incident) -> [SQLiteData] {
        [
            .float(incident.lastJoinedAt.timeIntervalSince1970), incident.lastUpdateDue.map { .float($0.timeIntervalSince1970) } ?? .null,
            .integer(incident.issueCount), incident.endedAt.map { .float($0.timeIntervalSince1970) } ?? .null,
            incident.endReason.map { .text($0.rawValue) } ?? .null,
        ]
    }

    /// Inserts new issues and updates changed ones in one upsert per chunk; returns every issue's id.
    private func writeIssues(_ records: [IssueRecord]) async throws -> [IssueKey: Int64] {
        var ids: [IssueKey: Int64] = [:]
        for part in records.chunked(Self.chunk / 7) {
            var binds: [SQLiteData] = []
            for record in part {
                let issue = record.issue
                binds += [
                    .integer(issue.projectID), .text(issue.fingerprint), .text(issue.status.rawValue),
                    .float(issue.lastSeen.timeIntervalSince1970), .integer(SQLiteStore.minute(issue.lastSeen)),
                    .text(try issue.jsonText()),
                    record.windows.isEmpty ? .null : .blob(ByteBuffer(bytes: record.windows.encoded())),
                ]
            }
            let rows = try await connection.query(
                """
                INSERT INTO issues (project_id, fingerprint, status, last_seen, seen_minute, data, windows) VALUES \(tuples(part.count, 7))
                ON CONFLICT (project_id, fingerprint) DO UPDATE
                SET status = excluded.status, last_seen = excluded.last_seen, seen_minute = excluded.seen_minute,
                    data = excluded.data, windows = excluded.windows
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

    private func writeEvents(_ events: [(item: IngestItem, issue: IssueKey)], ids: [IssueKey: Int64]) async throws {
        for part in events.chunked(Self.chunk / 6) {
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
    }

    private func writeUsers(_ users: [IssueUser], ids: [IssueKey: Int64]) async throws {
        for part in users.chunked(Self.chunk / 2) {
            _ = try await connection.query(
                "INSERT OR IGNORE INTO issue_users (issue_id, user_key) VALUES \(tuples(part.count, 2))",
                part.flatMap { [SQLiteData.integer(Int(ids[$0.issue] ?? 0)), .text($0.user)] })
        }
    }

    /// Merges as `ReleaseRecord.merging` does; written the way PostgreSQL's must be (one
    /// writer here, but the two backends answer alike).
    private func mergeReleases(_ releases: [ReleaseChange]) async throws {
        for part in releases.chunked(Self.chunk / 5) {
            _ = try await connection.query(
                """
                INSERT INTO releases (project_id, version, first_seen, last_seen, new_issues) VALUES \(tuples(part.count, 5))
                ON CONFLICT (project_id, version) DO UPDATE
                SET first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
                    new_issues = new_issues + excluded.new_issues
                """,
                part.flatMap {
                    [SQLiteData.integer($0.key.projectID), .text($0.key.version), .float($0.firstSeen.timeIntervalSince1970),
                     .float($0.lastSeen.timeIntervalSince1970), .integer($0.newIssues)]
                })
        }
    }

    /// Returns the rows written claimed: with `claim`, every row due at once.
    private func writeOutbox(
        _ deliveries: [OwedDelivery], ids: [IssueKey: Int64], stored: [Int64], incidentIDs: [Int64: Int64], claim: OutboxClaim?
    ) async throws -> [OutboxEntry] {
        let waiting = claim == nil ? [] : try await waitingPairs(stored)
        let rows = OutboxEntry.rows(for: deliveries, ids: ids, claim: claim, waiting: waiting, incidentIDs: incidentIDs)
        let payloads = try OutboxEntry.alertPayloads(rows)
        var claimed: [OutboxEntry] = []
        var offset = 0
        for part in rows.chunked(Self.chunk / 8) {
            var binds: [SQLiteData] = []
            for (index, row) in part.enumerated() {
                binds += [
                    .integer(Int(row.issueID)), .text(row.channel), .float(row.nextAttemptAt.timeIntervalSince1970),
                    .float(row.createdAt.timeIntervalSince1970), row.digest.map { .float($0) } ?? .null,
                    .text(payloads[offset + index]), .integer(row.attempts), row.incidentID.map { .integer(Int($0)) } ?? .null,
                ]
            }
            offset += part.count
            let inserted = try await connection.query(
                """
                INSERT INTO outbox (issue_id, channel, next_attempt_at, created_at, digest, alert, status, attempts, claimed, incident_id)
                SELECT column1, column2, column3, column4, column5, column6, 'pending', column7, column7, column8
                FROM (VALUES \(tuples(part.count, 8)))
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

    /// The (issue, channel) pairs of `issueIDs` with an ordered row pending (``OutboxPair``):
    /// the batch's rows for them wait instead of being claimed.
    private func waitingPairs(_ issueIDs: [Int64]) async throws -> Set<OutboxPair> {
        var pairs = Set<OutboxPair>()
        for part in issueIDs.chunked(Self.chunk) {
            let rows = try await connection.query(
                """
                SELECT DISTINCT issue_id, channel FROM outbox
                WHERE status = 'pending' AND digest IS NULL AND held_back = 0 AND issue_id IN (\(marks(part.count)))
                """,
                part.map { .integer(Int($0)) })
            for row in rows {
                if let id = row.column("issue_id")?.integer, let channel = row.column("channel")?.string {
                    pairs.insert(OutboxPair(issueID: Int64(id), channel: channel))
                }
            }
        }
        return pairs
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
