import FirebellCore
import Foundation
import Logging
import PostgresNIO

/// A group-commit batch's two trips to PostgreSQL, inside the caller's transaction:
/// lock and load the snapshot for the batch's keys, and commit the change the
/// processor decided on the locked rows. A fixed statement per step, with the rows
/// as arrays (`unnest`), however many events the batch holds, prepared once per
/// connection (`PostgresStatements`).
///
/// Several nodes commit into one database at once. What keeps their decisions single:
/// * The batch's existing issues are locked (`FOR UPDATE`) before anything is read,
///   in (project, fingerprint) order, so two batches wait for each other instead of
///   deadlocking, and the later one decides on what the earlier one committed.
/// * An issue that did not exist is inserted with `ON CONFLICT DO NOTHING`: if another
///   node inserted it meanwhile, the insert comes back short and the whole batch is
///   tried again (`PostgresRetry`), this time finding the issue and locking it. New
///   issues go in in key order too, so two nodes never wait on each other's inserts.
/// * An event id another node stored meanwhile fails the events' unique key: tried
///   again, the event is a duplicate.
/// * Releases are read unlocked and merged at the end (`INSERT … ON CONFLICT DO
///   UPDATE` adding the batch's new issues to the row's), in key order: two nodes'
///   batches add up rather than overwrite each other, and a batch holds a release's
///   row lock only from its last statement to its commit, so every batch of a busy
///   release does not wait on the others for the whole transaction.
struct PostgresBatch {
    let connection: PostgresConnection
    /// Who claims the rows a batch writes claimed (`outbox.claimed_by`).
    let node: String
    let logger: Logger
    /// Read the open incidents `FOR UPDATE` (a batch run again after it lost a race).
    var lockIncidents = false

    // MARK: Loading

    /// Locks the request's existing issues, then reads what the processor needs of them.
    func load(_ request: SnapshotRequest) async throws -> BatchSnapshot {
        var snapshot = BatchSnapshot()
        snapshot.issues = try await lockIssues(request.issues)
        snapshot.knownEvents = try await knownEvents(request.events)
        snapshot.knownUsers = try await knownUsers(request.users, ids: snapshot.issues.mapValues(\.issue.id))
        snapshot.releases = try await releases(request.releases)
        if request.openIncidents {
            snapshot.incidents = try await PostgresIncidents.loadOpen(locking: lockIncidents, on: connection, logger: logger)
        }
        return snapshot
    }

    private func releases(_ keys: [ReleaseKey]) async throws -> [ReleaseKey: ReleaseRecord] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT r.project_id, r.version, r.first_seen, r.last_seen, r.new_issues
            FROM releases AS r JOIN unnest(\(keys.map { Int64($0.projectID) })::int8[], \(keys.map(\.version))::text[]) AS k(p, v)
                ON r.project_id = k.p AND r.version = k.v
            """, logger: logger)
        var records: [ReleaseKey: ReleaseRecord] = [:]
        for try await (project, version, first, last, newIssues) in rows.decode((Int64, String, Double, Double, Int64).self) {
            records[ReleaseKey(projectID: Int(project), version: version)] = ReleaseRecord(
                firstSeen: Date(timeIntervalSince1970: first), lastSeen: Date(timeIntervalSince1970: last), newIssues: Int(newIssues))
        }
        return records
    }

    private func lockIssues(_ keys: [IssueKey]) async throws -> [IssueKey: IssueRecord] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await connection.rows(
            PostgresStatements.LockIssues(projects: keys.map { Int64($0.projectID) }, fingerprints: keys.map(\.fingerprint)), logger: logger)
        var records: [IssueKey: IssueRecord] = [:]
        for (id, project, fingerprint, data, windows) in rows {
            var issue = try Issue(jsonText: data)
            issue.id = id
            records[IssueKey(projectID: Int(project), fingerprint: fingerprint)] = IssueRecord(
                issue: issue, windows: IssueWindows(bytes: windows.readableBytesView) ?? IssueWindows())
        }
        return records
    }

    private func knownEvents(_ keys: [EventKey]) async throws -> Set<EventKey> {
        guard !keys.isEmpty else { return [] }
        let rows = try await connection.rows(
            PostgresStatements.KnownEvents(projects: keys.map { Int64($0.projectID) }, eventIDs: keys.map(\.eventID)), logger: logger)
        var known = Set<EventKey>()
        for (project, id) in rows {
            known.insert(EventKey(projectID: Int(project), eventID: id))
        }
        return known
    }

    /// The batch's (issue, user) pairs of existing issues already seen.
    private func knownUsers(_ pairs: [IssueUser], ids: [IssueKey: Int64]) async throws -> Set<IssueUser> {
        let (byID, lookups) = IssueUser.storedLookups(pairs, ids: ids)
        guard !lookups.isEmpty else { return [] }
        let rows = try await connection.rows(
            PostgresStatements.KnownUsers(issueIDs: lookups.map(\.id), users: lookups.map(\.user)), logger: logger)
        var known = Set<IssueUser>()
        for (id, user) in rows {
            if let key = byID[id] { known.insert(IssueUser(issue: key, user: user)) }
        }
        return known
    }

    // MARK: Committing

    /// Writes the change; `locked` is the snapshot's issues (the ones that existed),
    /// `incidents` the incidents it read. Returns every issue's id and the outbox rows written claimed.
    func commit(_ change: BatchChange, locked: [IssueKey: IssueRecord], incidents: [String: Incident] = [:], claim: OutboxClaim?) async throws
        -> (ids: [IssueKey: Int64], claimed: [OutboxEntry])
    {
        var ids = locked.mapValues(\.issue.id)
        let existing = change.issues.filter { locked[$0.issue.key] != nil }
        let new = change.issues.filter { locked[$0.issue.key] == nil }
            .sorted { ($0.issue.projectID, $0.issue.fingerprint) < ($1.issue.projectID, $1.issue.fingerprint) }
        try await updateIssues(existing, ids: ids)
        for (key, id) in try await insertIssues(new) { ids[key] = id }
        try await writeEvents(change.events, ids: ids)
        try await writeUsers(change.users, ids: ids)
        let incidentIDs = try await PostgresIncidents.write(change, ids: ids, loaded: incidents, on: connection, logger: logger)
        let claimed = try await writeOutbox(
            change.deliveries, ids: ids, stored: change.storedIssuesOwingAlerts, incidentIDs: incidentIDs, claim: claim)
        try await mergeReleases(change.releases)
        return (ids, claimed)
    }

    private func updateIssues(_ records: [IssueRecord], ids: [IssueKey: Int64]) async throws {
        guard !records.isEmpty else { return }
        try await connection.run(
            PostgresStatements.UpdateIssues(ids: records.map { ids[$0.issue.key] ?? $0.issue.id }, columns: try Self.columns(records)),
            logger: logger)
    }

    /// Inserts issues the batch found missing; throws `LostRace` if another node inserted one first.
    private func insertIssues(_ records: [IssueRecord]) async throws -> [IssueKey: Int64] {
        guard !records.isEmpty else { return [:] }
        let rows = try await connection.rows(
            PostgresStatements.InsertIssues(
                projects: records.map { Int64($0.issue.projectID) }, fingerprints: records.map(\.issue.fingerprint),
                columns: try Self.columns(records)),
            logger: logger)
        var ids: [IssueKey: Int64] = [:]
        for (id, project, fingerprint) in rows {
            ids[IssueKey(projectID: Int(project), fingerprint: fingerprint)] = id
        }
        guard ids.count == records.count else { throw PostgresRetry.LostRace(what: "a new issue") }
        return ids
    }

    private func writeEvents(_ events: [(item: IngestItem, issue: IssueKey)], ids: [IssueKey: Int64]) async throws {
        guard !events.isEmpty else { return }
        try await connection.run(
            PostgresStatements.InsertEvents(
                projects: events.map { Int64($0.item.projectID) }, eventIDs: events.map(\.item.event.eventID),
                issueIDs: events.map { ids[$0.issue] ?? 0 }, receivedAt: events.map(\.item.receivedAt.timeIntervalSince1970),
                users: events.map { $0.item.event.userKey ?? "" }, hasUser: events.map { $0.item.event.userKey != nil },
                payloads: try events.map { try $0.item.event.jsonText() }),
            logger: logger)
    }

    private func writeUsers(_ users: [IssueUser], ids: [IssueKey: Int64]) async throws {
        guard !users.isEmpty else { return }
        try await connection.run(
            PostgresStatements.InsertUsers(issueIDs: users.map { ids[$0.issue] ?? 0 }, users: users.map(\.user)), logger: logger)
    }

    /// The issues' columns as arrays, for one statement over them all.
    private static func columns(_ records: [IssueRecord]) throws -> PostgresStatements.IssueColumns {
        var columns = PostgresStatements.IssueColumns()
        for record in records {
            columns.status.append(record.issue.status.rawValue)
            columns.lastSeen.append(record.issue.lastSeen.timeIntervalSince1970)
            columns.seenMinute.append(Int64(SQLiteStore.minute(record.issue.lastSeen)))
            columns.data.append(try record.issue.jsonText())
            columns.windows.append(ByteBuffer(bytes: record.windows.encoded()))
        }
        return columns
    }

    /// Merges as `ReleaseRecord.merging` does, last in the batch (see the type's comment);
    /// `releases` come in key order, so two batches lock shared rows in the same order.
    private func mergeReleases(_ releases: [ReleaseChange]) async throws {
        guard !releases.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO releases (project_id, version, first_seen, last_seen, new_issues)
            SELECT * FROM unnest(\(releases.map { Int64($0.key.projectID) })::int8[], \(releases.map(\.key.version))::text[],
                \(releases.map(\.firstSeen.timeIntervalSince1970))::float8[], \(releases.map(\.lastSeen.timeIntervalSince1970))::float8[],
                \(releases.map { Int64($0.newIssues) })::int8[])
            ON CONFLICT (project_id, version) DO UPDATE
            SET first_seen = LEAST(releases.first_seen, excluded.first_seen),
                last_seen = GREATEST(releases.last_seen, excluded.last_seen),
                new_issues = releases.new_issues + excluded.new_issues
            """, logger: logger)
    }

    /// Returns the rows written claimed: with `claim`, every row due at once.
    private func writeOutbox(
        _ deliveries: [OwedDelivery], ids: [IssueKey: Int64], stored: [Int64], incidentIDs: [Int64: Int64], claim: OutboxClaim?
    ) async throws -> [OutboxEntry] {
        guard !deliveries.isEmpty else { return [] }
        // The batch holds its issues' rows locked: an earlier row of theirs committed by
        // anyone (a resolve) is visible here, and none can be added meanwhile.
        let waiting = claim == nil ? [] : try await PostgresOutbox.waitingPairs(stored, on: connection, logger: logger)
        let rows = OutboxEntry.rows(for: deliveries, ids: ids, claim: claim, waiting: waiting, incidentIDs: incidentIDs)
        let payloads = try OutboxEntry.alertPayloads(rows)
        let inserted = try await PostgresOutbox.insert(rows, payloads: payloads, node: node, on: connection, logger: logger)
        return zip(rows, inserted).compactMap { row, id in
            guard row.attempts == 1 else { return nil }
            var row = row
            row.id = id
            return row
        }
    }
}
