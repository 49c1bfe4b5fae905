import FirebellCore
import Foundation
import Logging
import PostgresNIO

/// The outbox's statements on PostgreSQL, shared by the batch commit and the store.
///
/// Nodes share the outbox: a claim takes rows with `FOR UPDATE SKIP LOCKED`, so two
/// nodes claiming at once take different rows instead of waiting for each other, and
/// names the claiming node in `claimed_by`. The claim's lease is the row's
/// `next_attempt_at`: when it passes, the row is due again for any node. The hot
/// statements are prepared once per connection (`PostgresStatements`).
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
        var ids = try await connection.rows(
            PostgresStatements.InsertOutbox(
                issueIDs: rows.map(\.issueID), channels: rows.map(\.channel), nextAttemptAt: rows.map(\.nextAttemptAt.timeIntervalSince1970),
                createdAt: rows.map(\.createdAt.timeIntervalSince1970), digests: rows.map { $0.digest ?? .nan }, alerts: payloads,
                attempts: rows.map { Int64($0.attempts) }, node: node, incidentIDs: rows.map { $0.incidentID ?? 0 }),
            logger: logger)
        // Inserted in `ord` order, each taking the next identity: ascending ids in the given order.
        guard ids.count == rows.count else { throw StoreError("outbox insert returned \(ids.count) ids for \(rows.count) rows") }
        ids.sort()
        return ids
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
        let rows = try await connection.rows(
            PostgresStatements.ClaimOutbox(
                channels: named.map(\.key), rooms: named.map { Int64(min($0.value, limit)) }, due: now.timeIntervalSince1970,
                named: Array(room.perChannel.keys), others: Int64(min(room.others, limit)), limit: Int64(limit),
                leaseUntil: now.addingTimeInterval(lease).timeIntervalSince1970, node: node),
            logger: logger)
        return try decode(rows).sorted { $0.id < $1.id }
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
        var statement = PostgresStatements.FinishOutbox()
        for entry in entries {
            statement.ids.append(entry.id)
            statement.status.append(entry.status.rawValue)
            statement.attempts.append(Int64(entry.attempts))
            statement.nextAttemptAt.append(entry.nextAttemptAt.timeIntervalSince1970)
            statement.finishedAt.append(entry.finishedAt?.timeIntervalSince1970 ?? .nan)
            statement.lastStatus.append(Int64(entry.lastStatus ?? 0))
            statement.hasStatus.append(entry.lastStatus != nil)
            statement.lastError.append(entry.lastError ?? "")
            statement.hasError.append(entry.lastError != nil)
            statement.heldBack.append(entry.heldBack)
        }
        try await connection.run(statement, logger: logger)
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
