import FirebellCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOPosix
import SQLiteNIO

/// The embedded default store: one SQLite file in WAL mode.
///
/// One connection, used by one operation at a time (`SerialAccess`): the
/// group-commit writer's batch transaction, an outbox claim or a triage change
/// never interleave. Commits are `synchronous=NORMAL` (they survive a crash of
/// the process); `sync()` makes them survive a crash of the machine with one
/// fdatasync of the WAL for all commits so far (`WALSync`), off the connection,
/// so the writer answers a 200 after the sync while already writing the next batch.
public final class SQLiteStore: Store {
    private let connection: SQLiteConnection
    private let thread: SQLiteThread
    private let access = SerialAccess()
    /// Issues as this connection last committed them (`IssueCache`); touched under `access` only.
    private let issueCache = IssueCache()
    /// nil for an in-memory database.
    private let wal: WALSync?
    private let logger: Logger

    public let databaseFile: String?

    private init(connection: SQLiteConnection, thread: SQLiteThread, wal: WALSync?, path: String, logger: Logger) {
        self.databaseFile = path == ":memory:" ? nil : path
        self.connection = connection
        self.thread = thread
        self.wal = wal
        self.logger = logger
    }

    /// The connection's own thread: the ingest writer runs there (`SQLiteThread`).
    public var writerExecutor: (any TaskExecutor)? { thread }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// `":memory:"` opens a private in-memory database.
    public static func open(path: String, logger: Logger) async throws -> SQLiteStore {
        if path != ":memory:" { try createPrivately(path) }
        let thread = SQLiteThread()
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(
                storage: path == ":memory:" ? .memory : .file(path: path), threadPool: thread.pool, logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any())
        } catch {
            try? await thread.shutdown()
            throw error
        }
        do {
            try await prepare(connection, logger: logger)
            // The connection has read the database in WAL mode, so its WAL file exists.
            let wal = path == ":memory:" ? nil : try WALSync(walPath: path + "-wal")
            return SQLiteStore(connection: connection, thread: thread, wal: wal, path: path, logger: logger)
        } catch {
            try? await connection.close()
            try? await thread.shutdown()
            throw error
        }
    }

    /// Events hold personal data: a directory Firebell creates for the store is 0700,
    /// a database file it creates 0600, and SQLite gives the WAL and shared-memory files
    /// the database file's mode. Existing files keep the mode their owner gave them.
    private static func createPrivately(_ path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard createFile(path, mode: 0o600) || errno == EEXIST else {
            throw StoreError("cannot create the SQLite database \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// How long a statement waits for another process's lock (a CLI, a backup) before
    /// the write fails with ``StoreUnavailable/locked``: SQLite sleeps meanwhile. (The
    /// driver's own busy handler retried at once, forever: a full core spun while
    /// another process held the lock, and the requests waited with it.)
    static let busyTimeoutMilliseconds = 5_000

    private static func prepare(_ connection: SQLiteConnection, logger: Logger) async throws {
        // Replaces the driver's busy handler (SQLite keeps one per connection).
        _ = try await connection.query("PRAGMA busy_timeout = \(busyTimeoutMilliseconds)")
        _ = try await connection.query("PRAGMA journal_mode = WAL")
        _ = try await connection.query("PRAGMA synchronous = NORMAL")
        // 32 MiB of page cache (the default is 2 MiB): the indexes ingest touches on
        // every batch stay in memory instead of being read back with a pread each.
        _ = try await connection.query("PRAGMA cache_size = -32768")
        _ = try await connection.query("PRAGMA foreign_keys = OFF")
        _ = try await connection.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
        let applied = Set(try await connection.query("SELECT version FROM schema_migrations").compactMap {
            $0.column("version")?.integer
        })
        for (index, statements) in SQLiteSchema.migrations.enumerated() where !applied.contains(index + 1) {
            try await transaction(connection) {
                for statement in statements { _ = try await connection.query(statement) }
                _ = try await connection.query("INSERT INTO schema_migrations (version) VALUES (?)", [.integer(index + 1)])
            }
            logger.info("applied store migration", metadata: ["store.migration": "\(index + 1)"])
        }
    }

    /// BEGIN IMMEDIATE … COMMIT, rolling back on any error. Callers hold `access`.
    /// A rollback empties the issue cache: the body may have cached what never committed.
    private func transaction<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await Self.transaction(connection, body)
        } catch {
            issueCache.removeAll()
            throw Self.unavailable(error) ?? error
        }
    }

    /// The error as ``StoreUnavailable`` when it is one that passes by itself.
    static func unavailable(_ error: any Error) -> StoreUnavailable? {
        guard let error = error as? SQLiteError else { return nil }
        switch error.reason {
        case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked:
            return StoreUnavailable(.locked, "the SQLite database is locked by another process (waited \(busyTimeoutMilliseconds / 1000)s)")
        case .full:
            return StoreUnavailable(.full, "the disk holding the SQLite database is full")
        default:
            return nil
        }
    }

    private static func transaction<T>(_ connection: SQLiteConnection, _ body: () async throws -> T) async throws -> T {
        _ = try await connection.query("BEGIN IMMEDIATE")
        do {
            let result = try await body()
            _ = try await connection.query("COMMIT")
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK")
            throw error
        }
    }

    // MARK: Ingest

    public func ingest(_ items: [IngestItem], processor: BatchProcessor, claim: OutboxClaim?) async throws -> IngestResult {
        guard !items.isEmpty else { return IngestResult(outcomes: []) }
        return try await access.run {
            try await self.transaction {
                // Under BEGIN IMMEDIATE nobody else commits until we do: if the version
                // moved since the cache was filled, another process wrote, and it starts empty.
                let version = try await self.connection.query("PRAGMA data_version").first?.column("data_version")?.integer
                if let version { self.issueCache.validate(dataVersion: version) } else { self.issueCache.removeAll() }
                let batch = SQLiteBatch(connection: self.connection, cache: self.issueCache)
                let change = processor.process(items, snapshot: try await batch.load(processor.request(for: items)))
                guard !change.isEmpty else { return IngestResult(change, ids: [:], claimed: []) }
                let (ids, claimed) = try await batch.commit(change, claim: claim)
                return IngestResult(change, ids: ids, claimed: claimed)
            }
        }
    }

    public func sync() async throws {
        try await wal?.sync()
    }

    /// Runs a triage change and returns once it is durable: an operator's resolve or
    /// mute must not come back after a power cut.
    private func durably<T: Sendable>(_ operation: @Sendable () async throws -> T) async throws -> T {
        let result = try await access.run(operation)
        try await sync()
        return result
    }

    private func writeIssue(_ issue: Issue) async throws {
        _ = try await connection.query(
            "UPDATE issues SET status = ?, last_seen = ?, seen_minute = ?, data = ? WHERE id = ?",
            [
                .text(issue.status.rawValue), .float(issue.lastSeen.timeIntervalSince1970), .integer(Self.minute(issue.lastSeen)),
                .text(try issue.jsonText()), .integer(Int(issue.id)),
            ])
        issueCache.update(issue)
    }

    // MARK: Issues

    public func issues(_ query: IssueQuery) async throws -> [Issue] {
        var sql = "SELECT id, data FROM issues WHERE 1 = 1"
        var binds: [SQLiteData] = []
        if let projectID = query.projectID {
            sql += " AND project_id = ?"
            binds.append(.integer(projectID))
        }
        if let status = query.status {
            sql += " AND status = ?"
            binds.append(.text(status.rawValue))
        }
        sql += " ORDER BY seen_minute DESC, last_seen DESC, id DESC LIMIT ?"
        binds.append(.integer(query.limit))
        let (statement, values) = (sql, binds)
        let rows = try await access.run { try await self.connection.query(statement, values) }
        return try rows.map(Self.decodeIssue)
    }

    public func issue(id: Int64) async throws -> Issue? {
        let rows = try await access.run {
            try await self.connection.query("SELECT id, data FROM issues WHERE id = ?", [.integer(Int(id))])
        }
        return try rows.first.map(Self.decodeIssue)
    }

    public func issue(projectID: Int, fingerprint: String) async throws -> Issue? {
        let rows = try await access.run {
            try await self.connection.query(
                "SELECT id, data FROM issues WHERE project_id = ? AND fingerprint = ?", [.integer(projectID), .text(fingerprint)])
        }
        return try rows.first.map(Self.decodeIssue)
    }

    public func resolve(
        issueID: Int64, at now: Date, by who: String, projectName: @Sendable (Int) -> String, notify: @Sendable ([String]) -> [String]
    ) async throws -> Issue? {
        try await durably {
            try await self.transaction {
                let rows = try await self.connection.query("SELECT id, data FROM issues WHERE id = ?", [.integer(Int(issueID))])
                guard var issue = try rows.first.map(Self.decodeIssue) else { return nil }
                guard issue.status != .resolved else { return issue }
                issue.resolve(at: now, by: who)
                try await self.writeIssue(issue)
                _ = try await self.connection.query(Self.endResolvedIncidents, [.float(now.timeIntervalSince1970), .integer(Int(issueID))])
                let alerted = try await self.connection.query(
                    "SELECT DISTINCT channel FROM outbox WHERE issue_id = ? ORDER BY channel", [.integer(Int(issueID))]
                ).compactMap { $0.column("channel")?.string }
                let payload = try Alert(kind: .resolved, issue: issue, projectName: projectName(issue.projectID), eventsSinceLastAlert: 0, at: now).jsonText()
                for channel in notify(alerted) {
                    _ = try await self.connection.query(
                        """
                        INSERT INTO outbox (issue_id, channel, status, attempts, next_attempt_at, created_at, alert)
                        VALUES (?, ?, 'pending', 0, ?, ?, ?)
                        """,
                        [.integer(Int(issueID)), .text(channel), .float(now.timeIntervalSince1970), .float(now.timeIntervalSince1970), .text(payload)])
                }
                return issue
            }
        }
    }

    /// Ends the incidents holding the issue just resolved whose issues are now all resolved.
    /// Binds: now, the issue's id.
    static let endResolvedIncidents = """
        UPDATE incidents SET ended_at = ?1, end_reason = 'resolved'
        WHERE ended_at IS NULL AND id IN (SELECT incident_id FROM incident_issues WHERE issue_id = ?2)
          AND NOT EXISTS (SELECT 1 FROM incident_issues AS m JOIN issues AS i ON i.id = m.issue_id
                          WHERE m.incident_id = incidents.id AND i.status <> 'resolved')
        """

    // MARK: Incidents

    public func incidents(_ query: IncidentQuery) async throws -> [Incident] {
        var sql = "SELECT * FROM incidents"
        var binds: [SQLiteData] = []
        switch query.status {
        case nil: break
        case .open?: sql += " WHERE ended_at IS NULL AND last_joined_at > ?"
        case .ended?: sql += " WHERE ended_at IS NOT NULL OR last_joined_at <= ?"
        }
        if query.status != nil { binds.append(.float(query.quietBefore.timeIntervalSince1970)) }
        sql += " ORDER BY id DESC LIMIT ?"
        binds.append(.integer(query.limit))
        let (statement, values) = (sql, binds)
        return try await access.run { try await self.connection.query(statement, values) }.map(Self.decodeIncident)
    }

    public func incident(id: Int64) async throws -> IncidentDetail? {
        let (incidents, members) = try await access.run {
            let incidents = try await self.connection.query("SELECT * FROM incidents WHERE id = ?", [.integer(Int(id))])
            let members = try await self.connection.query(
                """
                SELECT m.incident_id, m.issue_id, m.kind, m.joined_at, m.joined, i.project_id, i.fingerprint
                FROM incident_issues AS m LEFT JOIN issues AS i ON i.id = m.issue_id
                WHERE m.incident_id = ? ORDER BY m.rowid
                """, [.integer(Int(id))])
            return (incidents, members)
        }
        guard let row = incidents.first else { return nil }
        return IncidentDetail(incident: try Self.decodeIncident(row), members: members.map { row in
            IncidentMember(
                incident: Int64(row.column("incident_id")?.integer ?? 0),
                issue: IssueKey(projectID: row.column("project_id")?.integer ?? 0, fingerprint: row.column("fingerprint")?.string ?? ""),
                issueID: Int64(row.column("issue_id")?.integer ?? 0),
                kind: row.column("kind")?.string.flatMap(AlertKind.init(rawValue:)) ?? .new,
                at: Date(timeIntervalSince1970: row.column("joined_at")?.double ?? 0),
                joined: row.column("joined")?.integer == 1)
        })
    }

    public func threadReference(issueID: Int64, channel: String) async throws -> String? {
        let rows = try await access.run {
            try await self.connection.query(
                "SELECT reference FROM threads WHERE issue_id = ? AND channel = ?", [.integer(Int(issueID)), .text(channel)])
        }
        return rows.first?.column("reference")?.string
    }

    public func setThreadReference(issueID: Int64, channel: String, reference: String) async throws {
        _ = try await access.run {
            try await self.connection.query(
                "INSERT OR IGNORE INTO threads (issue_id, channel, reference) VALUES (?, ?, ?)",
                [.integer(Int(issueID)), .text(channel), .text(reference)])
        }
    }

    public func forgetThreadReference(issueID: Int64, channel: String) async throws {
        _ = try await access.run {
            try await self.connection.query(
                "DELETE FROM threads WHERE issue_id = ? AND channel = ?", [.integer(Int(issueID)), .text(channel)])
        }
    }

    public func mute(issueID: Int64, _ mute: Mute, at now: Date) async throws -> Issue? {
        try await updateIssue(issueID) { $0.mute(mute) } cascade: {
            _ = try await self.connection.query(
                """
                UPDATE outbox SET status = 'cancelled', finished_at = ?, last_error = ?
                WHERE issue_id = ? AND status = 'pending' AND claimed = 0
                """,
                [.float(now.timeIntervalSince1970), .text(OutboxEntry.mutedError), .integer(Int(issueID))])
        }
    }

    public func unmute(issueID: Int64, at now: Date) async throws -> Issue? {
        try await updateIssue(issueID) { $0.unmute() }
    }

    /// Changes an issue in a transaction of its own, with `cascade`'s statements in it.
    private func updateIssue(
        _ id: Int64, _ change: @escaping @Sendable (inout Issue) -> Void, cascade: @escaping @Sendable () async throws -> Void = {}
    ) async throws -> Issue? {
        try await durably {
            try await self.transaction {
                let rows = try await self.connection.query("SELECT id, data FROM issues WHERE id = ?", [.integer(Int(id))])
                guard var issue = try rows.first.map(Self.decodeIssue) else { return nil }
                change(&issue)
                try await self.writeIssue(issue)
                try await cascade()
                return issue
            }
        }
    }

    // MARK: Outbox

    public func claimDeliveries(now: Date, limit: Int, lease: TimeInterval, room: ChannelRoom?) async throws -> [OutboxEntry] {
        guard let (candidates, binds) = Self.dueRows(now: now, limit: limit, room: room) else { return [] }
        let rows = try await access.run {
            try await self.connection.query(
                """
                UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, claimed = 1
                WHERE id IN (\(candidates))
                RETURNING *
                """,
                [.float(now.addingTimeInterval(lease).timeIntervalSince1970)] + binds)
        }
        return try rows.map(Self.decodeOutbox).sorted { $0.id < $1.id }
    }

    /// The ids a claim takes: one `LIMIT room` subquery per channel with room, each
    /// reading only that channel's earliest due rows off `outbox_channel_due`, so a
    /// channel's backlog costs a claim nothing but its own room. A channel with room
    /// also has all its due digest, held-back and incident follow-up rows taken, beyond
    /// `room` and `limit`: a digest period's rows are one summary, held-back rows one
    /// roll-up, an incident's follow-ups one update, never split over claims. nil: no
    /// room at all.
    private static func dueRows(now: Date, limit: Int, room: ChannelRoom?) -> (String, [SQLiteData])? {
        let due = SQLiteData.float(now.timeIntervalSince1970)
        guard let room else {
            return (
                "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND \(inTurn) ORDER BY next_attempt_at, id LIMIT ?",
                [due, .integer(limit)])
        }
        var parts: [String] = []
        var binds: [SQLiteData] = []
        var digests: [String] = []
        var digestBinds: [SQLiteData] = []
        for (channel, count) in room.perChannel.sorted(by: { $0.key < $1.key }) where count > 0 {
            parts.append(
                """
                SELECT * FROM (SELECT id, next_attempt_at FROM outbox
                    WHERE status = 'pending' AND channel = ? AND next_attempt_at <= ? AND digest IS NULL AND held_back = 0
                        AND incident_id IS NULL AND \(inTurn)
                    ORDER BY next_attempt_at, id LIMIT ?)
                """)
            binds += [.text(channel), due, .integer(min(count, limit))]
            digests.append(
                """
                SELECT id FROM outbox WHERE status = 'pending' AND channel = ? AND next_attempt_at <= ?
                    AND (digest IS NOT NULL OR held_back = 1 OR incident_id IS NOT NULL) AND \(inTurn)
                """)
            digestBinds += [.text(channel), due]
        }
        if room.others > 0 {
            let named = room.perChannel.keys.sorted()
            parts.append(
                """
                SELECT * FROM (SELECT id, next_attempt_at FROM outbox
                    WHERE status = 'pending' AND next_attempt_at <= ? AND \(inTurn)
                    \(named.isEmpty ? "" : "AND channel NOT IN (" + named.map { _ in "?" }.joined(separator: ", ") + ")")
                    ORDER BY next_attempt_at, id LIMIT ?)
                """)
            binds += [due] + named.map { .text($0) } + [.integer(min(room.others, limit))]
        }
        guard !parts.isEmpty, limit > 0 else { return nil }
        return (
            (["SELECT id FROM (SELECT id FROM (" + parts.joined(separator: " UNION ALL ") + ") ORDER BY next_attempt_at, id LIMIT ?)"]
                + digests).joined(separator: " UNION ALL "),
            binds + [.integer(limit)] + digestBinds)
    }

    /// A row's turn has come: no earlier ordered row of its issue and channel is pending
    /// (``OutboxPair``), found on `outbox_pending_pair`.
    private static let inTurn = """
        (outbox.digest IS NOT NULL OR NOT EXISTS (
            SELECT 1 FROM outbox AS earlier
            WHERE earlier.issue_id = outbox.issue_id AND earlier.channel = outbox.channel AND earlier.status = 'pending'
                AND earlier.id < outbox.id AND earlier.digest IS NULL AND earlier.held_back = 0))
        """

    public func finishDeliveries(_ results: [(entry: OutboxEntry, result: DeliveryResult)], at now: Date) async throws {
        guard !results.isEmpty else { return }
        let finished = results.map { pair in
            var entry = pair.entry
            entry.apply(pair.result, at: now)
            return entry
        }
        try await access.run {
            try await self.transaction {
                for part in finished.chunked(SQLiteBatch.chunk / 8) {
                    var binds: [SQLiteData] = []
                    for entry in part {
                        binds += [
                            .integer(Int(entry.id)), .text(entry.status.rawValue), .integer(entry.attempts),
                            .float(entry.nextAttemptAt.timeIntervalSince1970),
                            entry.finishedAt.map { .float($0.timeIntervalSince1970) } ?? .null,
                            entry.lastStatus.map { .integer($0) } ?? .null, entry.lastError.map { .text($0) } ?? .null,
                            .integer(entry.heldBack ? 1 : 0),
                        ]
                    }
                    let tuples = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: part.count).joined(separator: ", ")
                    _ = try await self.connection.query(
                        """
                        UPDATE outbox SET status = v.column2, attempts = v.column3, next_attempt_at = v.column4,
                            finished_at = v.column5, last_status = v.column6, last_error = v.column7, held_back = v.column8,
                            claimed = 0
                        FROM (VALUES \(tuples)) AS v WHERE outbox.id = v.column1
                        """, binds)
                }
            }
        }
    }

    public func finishDelivery(id: Int64, result: DeliveryResult, at now: Date) async throws {
        try await access.run {
            let rows = try await self.connection.query("SELECT * FROM outbox WHERE id = ?", [.integer(Int(id))])
            guard var entry = try rows.first.map(Self.decodeOutbox) else { return }
            entry.apply(result, at: now)
            _ = try await self.connection.query(
                """
                UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, finished_at = ?, last_status = ?, last_error = ?,
                    held_back = ?, claimed = 0
                WHERE id = ?
                """,
                [
                    .text(entry.status.rawValue), .integer(entry.attempts), .float(entry.nextAttemptAt.timeIntervalSince1970),
                    entry.finishedAt.map { .float($0.timeIntervalSince1970) } ?? .null,
                    entry.lastStatus.map { .integer($0) } ?? .null, entry.lastError.map { .text($0) } ?? .null,
                    .integer(entry.heldBack ? 1 : 0), .integer(Int(id)),
                ])
        }
    }

    public func releaseDeliveries(ids: [Int64], at now: Date) async throws {
        for part in ids.chunked(SQLiteBatch.chunk) {
            _ = try await access.run {
                try await self.connection.query(
                    """
                    UPDATE outbox SET next_attempt_at = ?, claimed = 0, attempts = MAX(attempts - 1, 0)
                    WHERE status = 'pending' AND claimed = 1 AND id IN (\(Array(repeating: "?", count: part.count).joined(separator: ", ")))
                    """,
                    [.float(now.timeIntervalSince1970)] + part.map { .integer(Int($0)) })
            }
        }
    }

    public func renewClaims(ids: [Int64], until: Date) async throws -> Int {
        var renewed = 0
        for part in ids.chunked(SQLiteBatch.chunk) {
            let rows = try await access.run {
                try await self.connection.query(
                    """
                    UPDATE outbox SET next_attempt_at = MAX(next_attempt_at, ?)
                    WHERE status = 'pending' AND claimed = 1 AND id IN (\(Array(repeating: "?", count: part.count).joined(separator: ", ")))
                    RETURNING id
                    """,
                    [.float(until.timeIntervalSince1970)] + part.map { .integer(Int($0)) })
            }
            renewed += rows.count
        }
        return renewed
    }

    public func releaseClaims(now: Date) async throws -> Int {
        let rows = try await access.run {
            try await self.connection.query(
                "UPDATE outbox SET next_attempt_at = ?, claimed = 0 WHERE status = 'pending' AND claimed = 1 RETURNING id",
                [.float(now.timeIntervalSince1970)])
        }
        return rows.count
    }

    public func withChannelBucket<T: Sendable>(
        _ channel: String, rate: Rate, now: Date, _ decide: @escaping @Sendable (inout TokenBucket) -> T
    ) async throws -> T {
        try await access.run {
            try await self.transaction {
                let row = try await self.connection.query(
                    "SELECT rate, tokens, updated_at FROM channel_buckets WHERE channel = ?", [.text(channel)]
                ).first
                let stored = row.flatMap { row -> (String, Double, Date)? in
                    guard let rate = row.column("rate")?.string, let tokens = row.column("tokens")?.double,
                          let updated = row.column("updated_at")?.double else { return nil }
                    return (rate, tokens, Date(timeIntervalSince1970: updated))
                }
                var bucket = TokenBucket.restored(rate: rate, stored: stored, now: now)
                let result = decide(&bucket)
                _ = try await self.connection.query(
                    """
                    INSERT INTO channel_buckets (channel, rate, tokens, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (channel) DO UPDATE SET rate = excluded.rate, tokens = excluded.tokens, updated_at = excluded.updated_at
                    """,
                    [.text(channel), .text(rate.description), .float(bucket.tokens), .float(bucket.updated.timeIntervalSince1970)])
                return result
            }
        }
    }

    public func nextDeliveryDue() async throws -> Date? {
        let rows = try await access.run {
            try await self.connection.query("SELECT MIN(next_attempt_at) AS due FROM outbox WHERE status = 'pending'")
        }
        return rows.first?.column("due")?.double.map(Date.init(timeIntervalSince1970:))
    }

    public func deliveries(status: DeliveryStatus?, limit: Int) async throws -> [OutboxEntry] {
        let rows = try await access.run {
            if let status {
                try await self.connection.query(
                    "SELECT * FROM outbox WHERE status = ? ORDER BY id DESC LIMIT ?", [.text(status.rawValue), .integer(limit)])
            } else {
                try await self.connection.query("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", [.integer(limit)])
            }
        }
        return try rows.map(Self.decodeOutbox)
    }

    public func deliveryCounts() async throws -> [DeliveryStatus: Int] {
        let rows = try await access.run {
            try await self.connection.query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        }
        var counts: [DeliveryStatus: Int] = [:]
        for row in rows {
            if let status = row.column("status")?.string.flatMap(DeliveryStatus.init(rawValue:)) {
                counts[status] = row.column("n")?.integer ?? 0
            }
        }
        return counts
    }

    /// Two counts on `outbox_due`'s leading column: they read the pending and dead rows,
    /// never the delivered ones, however many of those the outbox keeps.
    public func outboxBacklog() async throws -> (pending: Int, dead: Int) {
        let rows = try await access.run {
            try await self.connection.query(
                """
                SELECT (SELECT COUNT(*) FROM outbox WHERE status = 'pending') AS pending,
                       (SELECT COUNT(*) FROM outbox WHERE status = 'dead') AS dead
                """)
        }
        return (rows.first?.column("pending")?.integer ?? 0, rows.first?.column("dead")?.integer ?? 0)
    }

    public func retryDelivery(id: Int64, at now: Date) async throws -> Bool {
        let rows = try await durably {
            try await self.connection.query(
                """
                UPDATE outbox SET status = 'pending', next_attempt_at = ?, finished_at = NULL, claimed = 0, held_back = 0
                WHERE id = ? RETURNING id
                """,
                [.float(now.timeIntervalSince1970), .integer(Int(id))])
        }
        return !rows.isEmpty
    }

    // MARK: Backtest

    public func storedEvents(since: Date, after cursor: EventCursor?, limit: Int) async throws -> (events: [Backtest.StoredEvent], next: EventCursor?) {
        let after = cursor ?? EventCursor(receivedAt: since, sequence: 0)
        let rows = try await access.run {
            try await self.connection.query(
                """
                SELECT id, project_id, received_at, payload FROM events
                WHERE received_at >= ? AND (received_at, id) > (?, ?) ORDER BY received_at, id LIMIT ?
                """,
                [.float(since.timeIntervalSince1970), .float(after.receivedAt.timeIntervalSince1970), .integer(Int(after.sequence)), .integer(limit)])
        }
        var events: [Backtest.StoredEvent] = []
        var next: EventCursor?
        for row in rows {
            guard let id = row.column("id")?.integer, let received = row.column("received_at")?.double,
                  let project = row.column("project_id")?.integer, let payload = row.column("payload")?.string
            else { throw StoreError("event row without id, time, project or payload") }
            let receivedAt = Date(timeIntervalSince1970: received)
            events.append(Backtest.StoredEvent(
                projectID: project, event: try JSONDecoder().decode(Event.self, from: Data(payload.utf8)), receivedAt: receivedAt))
            next = EventCursor(receivedAt: receivedAt, sequence: Int64(id))
        }
        return (events, rows.count < limit ? nil : next)
    }

    public func owedAlerts(since: Date) async throws -> [OwedAlert] {
        let rows = try await access.run {
            try await self.connection.query(
                """
                SELECT channel, json_extract(alert, '$.kind') AS kind, json_extract(alert, '$.severity') AS severity
                FROM outbox WHERE created_at >= ? ORDER BY id
                """,
                [.float(since.timeIntervalSince1970)])
        }
        return rows.compactMap { row in
            guard let channel = row.column("channel")?.string,
                  let kind = row.column("kind")?.string.flatMap(AlertKind.init(rawValue:)),
                  let severity = row.column("severity")?.string.flatMap(Severity.init(rawValue:))
            else { return nil }
            return OwedAlert(channel: channel, kind: kind, severity: severity)
        }
    }

    // MARK: Housekeeping

    public func pruneEvents(before cutoff: Date, limit: Int) async throws -> Int {
        try await access.run {
            try await self.transaction {
                try await self.connection.query(
                    """
                    DELETE FROM events WHERE id IN
                        (SELECT id FROM events WHERE received_at < ? ORDER BY received_at LIMIT ?)
                    RETURNING id
                    """, [.float(cutoff.timeIntervalSince1970), .integer(limit)]
                ).count
            }
        }
    }

    public func pruneDeliveries(finishedBefore cutoff: Date, limit: Int) async throws -> Int {
        // A finished row's last due time is at or before it finished: the range on
        // `outbox_due` (status, next_attempt_at) reads only rows that may qualify.
        try await access.run {
            try await self.transaction {
                try await self.connection.query(
                    """
                    DELETE FROM outbox WHERE id IN
                        (SELECT id FROM outbox WHERE status IN ('delivered', 'dead', 'cancelled')
                            AND next_attempt_at < ?1 AND finished_at < ?1 LIMIT ?2)
                    RETURNING id
                    """, [.float(cutoff.timeIntervalSince1970), .integer(limit)]
                ).count
            }
        }
    }

    /// Issues per step: their user rows are deleted up to `limit`, their threads with the last of them.
    static let prunedIssuesPerStep = 100

    public func pruneIssueState(
        lastSeenBefore cutoff: Date, after cursor: IssuePruneCursor?, limit: Int
    ) async throws -> IssuePruneStep {
        // Whole minutes before the cutoff's: every issue in them was last seen before it.
        let before = Self.minute(cutoff)
        let from = cursor ?? IssuePruneCursor(minute: Int.min, id: 0)
        return try await access.run {
            try await self.transaction {
                let rows = try await self.connection.query(
                    """
                    SELECT id, seen_minute FROM issues
                    WHERE seen_minute < ?1 AND (seen_minute > ?2 OR (seen_minute = ?2 AND id > ?3))
                    ORDER BY seen_minute, id LIMIT ?4
                    """, [.integer(before), .integer(from.minute), .integer(Int(from.id)), .integer(Self.prunedIssuesPerStep)])
                let issues: [IssuePruneCursor] = rows.compactMap { row in
                    guard let id = row.column("id")?.integer, let minute = row.column("seen_minute")?.integer else { return nil }
                    return IssuePruneCursor(minute: minute, id: Int64(id))
                }
                guard let last = issues.last else { return IssuePruneStep(removed: 0, cursor: cursor, finished: true) }
                let ids = issues.map { SQLiteData.integer(Int($0.id)) }
                let list = Array(repeating: "?", count: ids.count).joined(separator: ", ")
                let users = try await self.connection.query(
                    """
                    DELETE FROM issue_users WHERE (issue_id, user_key) IN
                        (SELECT issue_id, user_key FROM issue_users WHERE issue_id IN (\(list)) LIMIT ?)
                    RETURNING issue_id
                    """, ids + [.integer(limit)]
                ).count
                // At the limit, these issues may have users left: the next step takes them again.
                guard users < limit else { return IssuePruneStep(removed: users, cursor: cursor, finished: false) }
                let threads = try await self.connection.query(
                    "DELETE FROM threads WHERE issue_id IN (\(list)) RETURNING issue_id", ids
                ).count
                return IssuePruneStep(removed: users + threads, cursor: last, finished: false)
            }
        }
    }

    public func pruneReleases(lastSeenBefore cutoff: Date, limit: Int) async throws -> Int {
        // A project has few releases: the scan of the table costs less than an index on
        // `last_seen`, which every batch would move.
        try await access.run {
            try await self.transaction {
                try await self.connection.query(
                    """
                    DELETE FROM releases WHERE (project_id, version) IN
                        (SELECT project_id, version FROM releases WHERE last_seen < ? LIMIT ?)
                    RETURNING project_id
                    """, [.float(cutoff.timeIntervalSince1970), .integer(limit)]
                ).count
            }
        }
    }

    /// Runs one statement as is (tests: a trigger that makes a write fail).
    func execute(_ sql: String) async throws {
        _ = try await access.run { try await self.connection.query(sql) }
    }

    public func ping() async throws {
        _ = try await access.run { try await self.connection.query("SELECT 1") }
    }

    /// Takes SQLite's write lock and lets it go: while another process holds it, this
    /// fails as a write would (`locked`, after the busy timeout). A read succeeds under
    /// a held write lock (WAL), so `ping` alone said "recovered" while every write failed.
    public func checkWritable() async throws {
        try await access.run {
            do {
                _ = try await self.connection.query("BEGIN IMMEDIATE")
                _ = try await self.connection.query("ROLLBACK")
            } catch {
                throw Self.unavailable(error) ?? error
            }
        }
    }

    public func close() async throws {
        try await access.run { try await self.connection.close() }
        try await wal?.close()
        try await thread.shutdown()
    }

    // MARK: Coding

    /// `issues.seen_minute`: the minute of `last_seen`, what issue lists are indexed by.
    static func minute(_ date: Date) -> Int {
        Int((date.timeIntervalSince1970 / 60).rounded(.down))
    }

    static func decodeIssue(_ row: SQLiteRow) throws -> Issue {
        guard let id = row.column("id")?.integer, let data = row.column("data")?.string else {
            throw StoreError("issue row without id or data")
        }
        var issue = try Issue(jsonText: data)
        issue.id = Int64(id)
        return issue
    }

    static func decodeIncident(_ row: SQLiteRow) throws -> Incident {
        guard let id = row.column("id")?.integer, let page = row.column("first_page")?.string else {
            throw StoreError("incident row without id or first page")
        }
        var firstPage = try Alert(jsonText: page)
        firstPage.issueID = Int64(row.column("first_issue_id")?.integer ?? Int(firstPage.issueID))
        return Incident(
            id: Int64(id), route: row.column("route")?.string ?? "",
            openedAt: Date(timeIntervalSince1970: row.column("opened_at")?.double ?? 0), firstPage: firstPage,
            lastJoinedAt: Date(timeIntervalSince1970: row.column("last_joined_at")?.double ?? 0),
            lastUpdateDue: row.column("last_update_due")?.double.map(Date.init(timeIntervalSince1970:)),
            issueCount: row.column("issue_count")?.integer ?? 1,
            endedAt: row.column("ended_at")?.double.map(Date.init(timeIntervalSince1970:)),
            endReason: row.column("end_reason")?.string.flatMap(Incident.EndReason.init(rawValue:)))
    }

    private static func decodeOutbox(_ row: SQLiteRow) throws -> OutboxEntry {
        guard let id = row.column("id")?.integer, let alertJSON = row.column("alert")?.string else {
            throw StoreError("outbox row without id or alert")
        }
        return OutboxEntry(
            id: Int64(id),
            issueID: Int64(row.column("issue_id")?.integer ?? 0),
            channel: row.column("channel")?.string ?? "",
            alert: try Alert(jsonText: alertJSON),
            status: row.column("status")?.string.flatMap(DeliveryStatus.init(rawValue:)) ?? .pending,
            attempts: row.column("attempts")?.integer ?? 0,
            nextAttemptAt: Date(timeIntervalSince1970: row.column("next_attempt_at")?.double ?? 0),
            createdAt: Date(timeIntervalSince1970: row.column("created_at")?.double ?? 0),
            finishedAt: row.column("finished_at")?.double.map(Date.init(timeIntervalSince1970:)),
            lastError: row.column("last_error")?.string,
            lastStatus: row.column("last_status")?.integer,
            digest: row.column("digest")?.double,
            heldBack: (row.column("held_back")?.integer ?? 0) != 0,
            incidentID: row.column("incident_id")?.integer.map(Int64.init))
    }
}

/// Creates `path` with `mode` if it does not exist; false with `errno` set if it could not.
private func createFile(_ path: String, mode: mode_t) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else { return false }
    close(fd)
    return true
}

/// A store failure that is not the database's own error.
public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The store cannot write now for a reason that passes without Firebell doing
/// anything (another process's lock, a full disk, a database server that is away):
/// the client is told to retry.
public struct StoreUnavailable: Error, CustomStringConvertible {
    public enum Reason: Sendable { case locked, full, lowSpace, unreachable }
    public var reason: Reason
    /// The same for every failure of one kind, so the daemon logs a change of state once.
    public var description: String
    /// What the driver said this time (for the log), if it says more than `description`.
    public var cause: String?
    public init(_ reason: Reason, _ description: String, cause: String? = nil) {
        self.reason = reason
        self.description = description
        self.cause = cause
    }
}
