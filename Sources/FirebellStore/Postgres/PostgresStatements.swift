import Logging
import NIOCore
import PostgresNIO

/// The hot statements, each a fixed SQL text whose rows come as arrays (`unnest`):
/// PostgresNIO prepares a statement the first time it runs on a connection and then
/// only binds and executes it there, so the server parses and plans each once per
/// pooled connection, not once per batch, however many rows a batch holds.
///
/// Ingest runs the batch's (`PostgresBatch`): lock and load its issues, events and
/// users, then update and insert issues, insert events, users and outbox rows. The
/// deliverer runs the outbox's (`PostgresOutbox`, `PostgresStore`): claim, record
/// outcomes, renew its claims.
///
/// A statement whose preparation failed stays failed on its connection (PostgresNIO
/// keeps the error), so none runs inside a transaction that already failed: every
/// caller stops at the first error and rolls back.
enum PostgresStatements {
    // MARK: Batch: loading

    /// The batch's existing issues, locked in (project, fingerprint) order.
    struct LockIssues: PostgresPreparedStatement {
        static let sql = """
            SELECT i.id, i.project_id, i.fingerprint, i.data, i.windows
            FROM issues AS i JOIN unnest($1::int8[], $2::text[]) AS k(p, f)
                ON i.project_id = k.p AND i.fingerprint = k.f
            ORDER BY i.project_id, i.fingerprint
            FOR UPDATE OF i
            """
        typealias Row = (Int64, Int64, String, String, ByteBuffer)
        var projects: [Int64]
        var fingerprints: [String]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(projects)
            bindings.append(fingerprints)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// Which of the batch's (project, event id) pairs are stored already.
    struct KnownEvents: PostgresPreparedStatement {
        static let sql = """
            SELECT e.project_id, e.event_id
            FROM events AS e JOIN unnest($1::int8[], $2::text[]) AS k(p, e)
                ON e.project_id = k.p AND e.event_id = k.e
            """
        typealias Row = (Int64, String)
        var projects: [Int64]
        var eventIDs: [String]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(projects)
            bindings.append(eventIDs)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// Which of the batch's (issue id, user) pairs are known already.
    struct KnownUsers: PostgresPreparedStatement {
        static let sql = """
            SELECT u.issue_id, u.user_key
            FROM issue_users AS u JOIN unnest($1::int8[], $2::text[]) AS k(i, u)
                ON u.issue_id = k.i AND u.user_key = k.u
            """
        typealias Row = (Int64, String)
        var issueIDs: [Int64]
        var users: [String]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(issueIDs)
            bindings.append(users)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    // MARK: Batch: committing

    /// An issue's columns as arrays, for one statement over many issues.
    struct IssueColumns: Sendable {
        var status: [String] = []
        var lastSeen: [Double] = []
        var seenMinute: [Int64] = []
        var data: [String] = []
        var windows: [ByteBuffer] = []

        func append(to bindings: inout PostgresBindings) {
            bindings.append(status)
            bindings.append(lastSeen)
            bindings.append(seenMinute)
            bindings.append(data)
            bindings.append(windows)
        }
    }

    struct UpdateIssues: PostgresPreparedStatement {
        static let sql = """
            UPDATE issues SET status = v.status, last_seen = v.last_seen, seen_minute = v.seen_minute, data = v.data, windows = v.windows
            FROM unnest($1::int8[], $2::text[], $3::float8[], $4::int8[], $5::text[], $6::bytea[])
                AS v(id, status, last_seen, seen_minute, data, windows)
            WHERE issues.id = v.id
            """
        typealias Row = ()
        var ids: [Int64]
        var columns: IssueColumns

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 6)
            bindings.append(ids)
            columns.append(to: &bindings)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {}
    }

    /// Inserts the issues a batch found missing; an issue another node inserted first is left out of the returned rows.
    struct InsertIssues: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO issues (project_id, fingerprint, status, last_seen, seen_minute, data, windows)
            SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::float8[], $5::int8[], $6::text[], $7::bytea[])
            ON CONFLICT (project_id, fingerprint) DO NOTHING
            RETURNING id, project_id, fingerprint
            """
        typealias Row = (Int64, Int64, String)
        var projects: [Int64]
        var fingerprints: [String]
        var columns: IssueColumns

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 7)
            bindings.append(projects)
            bindings.append(fingerprints)
            columns.append(to: &bindings)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    struct InsertEvents: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO events (project_id, event_id, issue_id, received_at, user_key, payload)
            SELECT p, e, i, r, CASE WHEN has_user THEN u END, payload
            FROM unnest($1::int8[], $2::text[], $3::int8[], $4::float8[], $5::text[], $6::bool[], $7::text[])
                AS v(p, e, i, r, u, has_user, payload)
            """
        typealias Row = ()
        var projects: [Int64]
        var eventIDs: [String]
        var issueIDs: [Int64]
        var receivedAt: [Double]
        /// "" where `hasUser` is false.
        var users: [String]
        var hasUser: [Bool]
        var payloads: [String]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 7)
            bindings.append(projects)
            bindings.append(eventIDs)
            bindings.append(issueIDs)
            bindings.append(receivedAt)
            bindings.append(users)
            bindings.append(hasUser)
            bindings.append(payloads)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {}
    }

    struct InsertUsers: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO issue_users (issue_id, user_key)
            SELECT * FROM unnest($1::int8[], $2::text[])
            ON CONFLICT DO NOTHING
            """
        typealias Row = ()
        var issueIDs: [Int64]
        var users: [String]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(issueIDs)
            bindings.append(users)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {}
    }

    // MARK: Outbox

    /// Outbox rows, claimed by `node` where `attempts` is 1; their ids, in the given order.
    struct InsertOutbox: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO outbox (issue_id, channel, next_attempt_at, created_at, digest, alert, status, attempts, claimed_by, incident_id)
            SELECT i, c, n, cr, NULLIF(d, 'NaN'), a, 'pending', att, CASE WHEN att = 1 THEN $8::text END, NULLIF(inc, 0)
            FROM unnest($1::int8[], $2::text[], $3::float8[], $4::float8[], $5::float8[], $6::text[], $7::int8[], $9::int8[])
                WITH ORDINALITY AS v(i, c, n, cr, d, a, att, inc, ord)
            ORDER BY ord
            RETURNING id
            """
        typealias Row = Int64
        var issueIDs: [Int64]
        var channels: [String]
        var nextAttemptAt: [Double]
        var createdAt: [Double]
        /// NaN: no digest.
        var digests: [Double]
        var alerts: [String]
        var attempts: [Int64]
        var node: String
        /// 0: not an incident's follow-up.
        var incidentIDs: [Int64]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 9)
            bindings.append(issueIDs)
            bindings.append(channels)
            bindings.append(nextAttemptAt)
            bindings.append(createdAt)
            bindings.append(digests)
            bindings.append(alerts)
            bindings.append(attempts)
            bindings.append(node)
            bindings.append(incidentIDs)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
    }

    /// Rows selected as `PostgresOutbox.columns`, decoded by `PostgresOutbox.decode`.
    struct ClaimOutbox: PostgresPreparedStatement {
        static let sql = """
            WITH named AS (
                SELECT d.id, d.next_attempt_at
                FROM unnest($1::text[], $2::int8[]) AS r(channel, room)
                CROSS JOIN LATERAL (
                    SELECT id, next_attempt_at FROM outbox
                    WHERE status = 'pending' AND channel = r.channel AND next_attempt_at <= $3::float8 AND digest IS NULL
                        AND NOT held_back AND incident_id IS NULL AND \(PostgresOutbox.inTurn)
                    ORDER BY next_attempt_at, id LIMIT r.room
                    FOR UPDATE SKIP LOCKED) AS d
            ), together AS (
                SELECT id FROM outbox
                WHERE status = 'pending' AND channel = ANY($1::text[]) AND next_attempt_at <= $3::float8
                    AND (digest IS NOT NULL OR held_back OR incident_id IS NOT NULL) AND \(PostgresOutbox.inTurn)
                ORDER BY id
                FOR UPDATE
            ), others AS (
                SELECT id, next_attempt_at FROM outbox
                WHERE status = 'pending' AND next_attempt_at <= $3::float8 AND \(PostgresOutbox.inTurn) AND channel <> ALL($4::text[])
                ORDER BY next_attempt_at, id LIMIT $5::int8
                FOR UPDATE SKIP LOCKED
            ), picked AS (
                (SELECT id FROM (SELECT * FROM named UNION ALL SELECT * FROM others) AS due
                ORDER BY next_attempt_at, id LIMIT $6::int8)
                UNION ALL SELECT id FROM together
            )
            UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $7::float8, claimed_by = $8::text
            FROM picked WHERE outbox.id = picked.id
            RETURNING \(PostgresOutbox.qualifiedColumns)
            """
        typealias Row = PostgresRow
        /// The channels with room, and each one's room.
        var channels: [String]
        var rooms: [Int64]
        var due: Double
        /// Every channel the room names (rows of the others are "others").
        var named: [String]
        var others: Int64
        var limit: Int64
        var leaseUntil: Double
        var node: String

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 8)
            bindings.append(channels)
            bindings.append(rooms)
            bindings.append(due)
            bindings.append(named)
            bindings.append(others)
            bindings.append(limit)
            bindings.append(leaseUntil)
            bindings.append(node)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { row }
    }

    /// Extends this node's claims on rows whose attempts still run.
    struct RenewOutbox: PostgresPreparedStatement {
        static let sql = """
            UPDATE outbox SET next_attempt_at = GREATEST(next_attempt_at, $2::float8)
            WHERE status = 'pending' AND claimed_by = $3::text AND id = ANY($1::int8[])
            RETURNING id
            """
        typealias Row = Int64
        var ids: [Int64]
        var until: Double
        var node: String

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(ids)
            bindings.append(until)
            bindings.append(node)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
    }

    /// Outcomes as `OutboxEntry.apply` left the rows, unclaimed.
    struct FinishOutbox: PostgresPreparedStatement {
        static let sql = """
            UPDATE outbox SET status = v.status, attempts = v.attempts, next_attempt_at = v.next_attempt_at,
                finished_at = NULLIF(v.finished_at, 'NaN'), last_status = CASE WHEN v.has_status THEN v.last_status END,
                last_error = CASE WHEN v.has_error THEN v.last_error END, held_back = v.held_back, claimed_by = NULL
            FROM unnest($1::int8[], $2::text[], $3::int8[], $4::float8[], $5::float8[], $6::int8[], $7::bool[], $8::text[], $9::bool[],
                $10::bool[])
                AS v(id, status, attempts, next_attempt_at, finished_at, last_status, has_status, last_error, has_error, held_back)
            WHERE outbox.id = v.id
            """
        typealias Row = ()
        var ids: [Int64] = []
        var status: [String] = []
        var attempts: [Int64] = []
        var nextAttemptAt: [Double] = []
        /// NaN: not finished.
        var finishedAt: [Double] = []
        var lastStatus: [Int64] = []
        var hasStatus: [Bool] = []
        var lastError: [String] = []
        var hasError: [Bool] = []
        var heldBack: [Bool] = []

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 10)
            bindings.append(ids)
            bindings.append(status)
            bindings.append(attempts)
            bindings.append(nextAttemptAt)
            bindings.append(finishedAt)
            bindings.append(lastStatus)
            bindings.append(hasStatus)
            bindings.append(lastError)
            bindings.append(hasError)
            bindings.append(heldBack)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {}
    }
}

extension PostgresConnection {
    /// Runs a prepared statement that returns no rows (prepared on first use on this connection).
    func run<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws where Statement.Row == () {
        // Not PostgresNIO's overload that returns the command tag: it asks for the tag
        // before the (empty) row stream is consumed, which traps.
        let rows: AsyncThrowingMapSequence<PostgresRowSequence, ()> = try await execute(statement, logger: logger)
        for try await _ in rows {}
    }

    /// Runs a prepared statement and reads its rows whole (prepared on first use on this connection).
    func rows<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [Statement.Row] {
        var rows: [Statement.Row] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}
