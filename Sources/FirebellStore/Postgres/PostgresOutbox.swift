import FirebellCore
import Foundation
import Logging
import PostgresNIO

/// The outbox's statements on PostgreSQL, shared by the batch commit and the store.
///
/// Nodes share the outbox: a claim takes rows with `FOR UPDATE SKIP LOCKED`, so two
/// nodes claiming at once take different rows instead of waiting for each other, and
/// names the claiming node in `claimed_by`. The claim's lease is the row's
/// `next_attempt_at`: when it passes, the row is due again for any node.
enum PostgresOutbox {
    /// The columns `decode` reads, in its order.
    static let columns = """
        id, issue_id, channel, status, attempts, next_attempt_at, created_at, finished_at, last_status, last_error, digest, alert,
        held_back, incident_id
        """

    /// `columns` of `outbox` where another table joins in.
    static let qualifiedColumns = columns.split(separator: ",").map { "outbox." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        .joined(separator: ", ")

    /// Inserts `rows` (claimed by `node` where `attempts` is 1) and returns their ids, in order.
    static func insert(_ rows: [OutboxEntry], payloads: [String], node: String, on connection: PostgresConnection, logger: Logger) async throws -> [Int64] {
        guard !rows.isEmpty else { return [] }
        let inserted = try await connection.query(
            """
            INSERT INTO outbox (issue_id, channel, next_attempt_at, created_at, digest, alert, status, attempts, claimed_by, incident_id)
            SELECT i, c, n, cr, NULLIF(d, 'NaN'), a, 'pending', att, CASE WHEN att = 1 THEN \(node) END, NULLIF(inc, 0)
            FROM unnest(\(rows.map(\.issueID))::int8[], \(rows.map(\.channel))::text[],
                \(rows.map(\.nextAttemptAt.timeIntervalSince1970))::float8[], \(rows.map(\.createdAt.timeIntervalSince1970))::float8[],
                \(rows.map { $0.digest ?? .nan })::float8[], \(payloads)::text[], \(rows.map { Int64($0.attempts) })::int8[],
                \(rows.map { $0.incidentID ?? 0 })::int8[])
                WITH ORDINALITY AS v(i, c, n, cr, d, a, att, inc, ord)
            ORDER BY ord
            RETURNING id
            """, logger: logger)
        // Inserted in `ord` order, each taking the next identity: ascending ids in the given order.
        var ids: [Int64] = []
        for try await id in inserted.decode(Int64.self) { ids.append(id) }
        guard ids.count == rows.count else { throw StoreError("outbox insert returned \(ids.count) ids for \(rows.count) rows") }
        return ids.sorted()
    }

    /// Claims due rows for `node`: up to each named channel's room, and `others` rows of
    /// the channels `room` does not name (nil: any channel, up to `limit`); earliest due
    /// first. A named channel's due digest, held-back and incident follow-up rows come
    /// all together, beyond room and limit, locked without skipping: a node claiming at
    /// the same moment waits for this claim and then finds them taken, so a digest period
    /// is one summary, what channel_rate held back one roll-up, and an incident's
    /// follow-ups one update, on one node.
    static func claim(
        now: Date, limit: Int, lease: TimeInterval, room: ChannelRoom?, node: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxEntry] {
        let room = room ?? ChannelRoom(perChannel: [:], others: limit)
        let named = room.perChannel.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        guard limit > 0, !named.isEmpty || room.others > 0 else { return [] }
        let due = now.timeIntervalSince1970
        let rows = try await connection.query(
            """
            WITH named AS (
                SELECT d.id, d.next_attempt_at
                FROM unnest(\(named.map(\.key))::text[], \(named.map { Int64(min($0.value, limit)) })::int8[]) AS r(channel, room)
                CROSS JOIN LATERAL (
                    SELECT id, next_attempt_at FROM outbox
                    WHERE status = 'pending' AND channel = r.channel AND next_attempt_at <= \(due) AND digest IS NULL
                        AND NOT held_back AND incident_id IS NULL AND \(unescaped: inTurn)
                    ORDER BY next_attempt_at, id LIMIT r.room
                    FOR UPDATE SKIP LOCKED) AS d
            ), digests AS (
                SELECT id FROM outbox
                WHERE status = 'pending' AND channel = ANY(\(named.map(\.key))::text[]) AND next_attempt_at <= \(due)
                    AND (digest IS NOT NULL OR held_back OR incident_id IS NOT NULL) AND \(unescaped: inTurn)
                ORDER BY id
                FOR UPDATE
            ), others AS (
                SELECT id, next_attempt_at FROM outbox
                WHERE status = 'pending' AND next_attempt_at <= \(due) AND \(unescaped: inTurn) AND channel <> ALL(\(Array(room.perChannel.keys))::text[])
                ORDER BY next_attempt_at, id LIMIT \(Int64(min(room.others, limit)))
                FOR UPDATE SKIP LOCKED
            ), picked AS (
                (SELECT id FROM (SELECT * FROM named UNION ALL SELECT * FROM others) AS due
                ORDER BY next_attempt_at, id LIMIT \(Int64(limit)))
                UNION ALL SELECT id FROM digests
            )
            UPDATE outbox SET attempts = attempts + 1, next_attempt_at = \(now.addingTimeInterval(lease).timeIntervalSince1970),
                claimed_by = \(node)
            FROM picked WHERE outbox.id = picked.id
            RETURNING \(unescaped: qualifiedColumns)
            """, logger: logger)
        return try decode(await rows.collect()).sorted { $0.id < $1.id }
    }

    /// A row's turn has come: no earlier ordered row of its issue and channel is pending
    /// (``OutboxPair``), found on `outbox_pending_pair`. Another node's claim counts: its
    /// row is pending until that node records the outcome.
    static let inTurn = """
        (outbox.digest IS NOT NULL OR NOT EXISTS (
            SELECT 1 FROM outbox AS earlier
            WHERE earlier.issue_id = outbox.issue_id AND earlier.channel = outbox.channel AND earlier.status = 'pending'
                AND earlier.id < outbox.id AND earlier.digest IS NULL AND NOT earlier.held_back))
        """

    /// The (issue, channel) pairs of `issueIDs` with an ordered row pending: a batch's
    /// rows for them wait instead of being claimed.
    static func waitingPairs(_ issueIDs: [Int64], on connection: PostgresConnection, logger: Logger) async throws -> Set<OutboxPair> {
        guard !issueIDs.isEmpty else { return [] }
        var pairs = Set<OutboxPair>()
        let rows = try await connection.query(
            """
            SELECT DISTINCT issue_id, channel FROM outbox
            WHERE status = 'pending' AND digest IS NULL AND NOT held_back AND issue_id = ANY(\(issueIDs)::int8[])
            """, logger: logger)
        for try await (id, channel) in rows.decode((Int64, String).self) {
            pairs.insert(OutboxPair(issueID: id, channel: channel))
        }
        return pairs
    }

    /// Writes rows as `apply` left them, unclaimed, in one statement.
    static func write(_ entries: [OutboxEntry], on connection: PostgresConnection, logger: Logger) async throws {
        guard !entries.isEmpty else { return }
        try await connection.query(
            """
            UPDATE outbox SET status = v.status, attempts = v.attempts, next_attempt_at = v.next_attempt_at,
                finished_at = NULLIF(v.finished_at, 'NaN'), last_status = CASE WHEN v.has_status THEN v.last_status END,
                last_error = CASE WHEN v.has_error THEN v.last_error END, held_back = v.held_back, claimed_by = NULL
            FROM unnest(\(entries.map(\.id))::int8[], \(entries.map(\.status.rawValue))::text[], \(entries.map { Int64($0.attempts) })::int8[],
                \(entries.map(\.nextAttemptAt.timeIntervalSince1970))::float8[],
                \(entries.map { $0.finishedAt?.timeIntervalSince1970 ?? .nan })::float8[],
                \(entries.map { Int64($0.lastStatus ?? 0) })::int8[], \(entries.map { $0.lastStatus != nil })::bool[],
                \(entries.map { $0.lastError ?? "" })::text[], \(entries.map { $0.lastError != nil })::bool[],
                \(entries.map(\.heldBack))::bool[])
                AS v(id, status, attempts, next_attempt_at, finished_at, last_status, has_status, last_error, has_error, held_back)
            WHERE outbox.id = v.id
            """, logger: logger)
    }

    /// Rows selected as `columns`.
    static func decode(_ rows: [PostgresRow]) throws -> [OutboxEntry] {
        var entries: [OutboxEntry] = []
        for row in rows {
            let (id, issueID, channel, status, attempts, next, created, finished, lastStatus, lastError, digest, alert, heldBack, incident) =
                try row.decode((Int64, Int64, String, String, Int32, Double, Double, Double?, Int32?, String?, Double?, String, Bool, Int64?).self)
            entries.append(OutboxEntry(
                id: id, issueID: issueID, channel: channel, alert: try Alert(jsonText: alert),
                status: DeliveryStatus(rawValue: status) ?? .pending, attempts: Int(attempts),
                nextAttemptAt: Date(timeIntervalSince1970: next), createdAt: Date(timeIntervalSince1970: created),
                finishedAt: finished.map(Date.init(timeIntervalSince1970:)), lastError: lastError, lastStatus: lastStatus.map(Int.init),
                digest: digest, heldBack: heldBack, incidentID: incident))
        }
        return entries
    }
}
