import FirebellCore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The multi-node store: several Firebell nodes share one PostgreSQL database.
///
/// A pool of `storage.pool_size` connections (PostgresNIO's `PostgresClient`). Each
/// batch is one transaction that locks the batch's issues before the processor
/// decides on them, so a change is decided once however many nodes see its events
/// (see `PostgresBatch`); a transaction that lost a race with another node is run
/// again (`PostgresRetry`). Outbox claims name this node (`node`): a node's start
/// releases the claims its previous run left, never another node's live ones.
/// Commits are durable when they return (`synchronous_commit`), so `sync()` has
/// nothing left to do.
public final class PostgresStore: Store {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    /// This node's name in `outbox.claimed_by`; stable across its restarts.
    public let node: String
    private let location: PostgresLocation
    private let logger: Logger

    private init(client: PostgresClient, runner: Task<Void, Never>, node: String, location: PostgresLocation, logger: Logger) {
        self.client = client
        self.runner = runner
        self.node = node
        self.location = location
        self.logger = logger
    }

    /// Connects to the database at `url` (see `PostgresLocation`) and brings its schema
    /// up to date; `node` names this process in claims (`Store.releaseClaims(now:)`).
    public static func open(url: String, poolSize: Int = 8, node: String, logger: Logger) async throws -> PostgresStore {
        try await open(PostgresLocation(url: url), poolSize: poolSize, node: node, logger: logger)
    }

    public static func open(_ location: PostgresLocation, poolSize: Int = 8, node: String, logger: Logger) async throws -> PostgresStore {
        // The pool logs every failed connection attempt at info, several a second while
        // the database is away; readiness (`/readyz`) and the failed writes say it already.
        // Its one warning is that a lease came before `run()` started, which the first
        // lease below may well do: `run()` is started here and leases wait for it.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: location.clientConfiguration(poolSize: poolSize), backgroundLogger: poolLogger)
        let runner = Task { await client.run() }
        do {
            try await client.withConnection { try await PostgresSchema.migrate($0, logger: logger) }
        } catch {
            runner.cancel()
            await runner.value
            if error is StoreError { throw error }
            throw StoreError(
                "storage.url: cannot use PostgreSQL at \(location.host):\(location.port)/\(location.database): \(String(reflecting: error))")
        }
        return PostgresStore(client: client, runner: runner, node: node, location: location, logger: logger)
    }

    /// How long an operation waits for a pooled connection: while the database is away
    /// the pool keeps trying to connect and would hold callers for up to a minute;
    /// failing sooner lets ingest answer 503 and `/readyz` say why.
    static let connectionWait: Duration = .seconds(5)
    /// How long an operation may run before its connection is closed (failing its
    /// query) and, if that does not end it, its caller is answered (`ConnectionDeadline`).
    /// A commit that reached the server just before is then answered 503 although kept:
    /// the client's retry is a duplicate event id, counted once.
    static let operationDeadline: Duration = .seconds(15)

    /// Runs `body` on a pooled connection within `connectionWait` and `operationDeadline`.
    /// A database that cannot be reached fails it with ``StoreUnavailable`` (`.unreachable`).
    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await ConnectionDeadline.run(on: client, wait: Self.connectionWait, deadline: Self.operationDeadline, body)
        } catch {
            throw PostgresUnreachable.unavailable(error, at: location) ?? error
        }
    }

    /// BEGIN … COMMIT on one pooled connection, rolling back on any error.
    private func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { [self] connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Runs one statement on a pooled connection; its rows, read whole.
    @discardableResult
    private func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await withConnection { connection in try await connection.query(query, logger: self.logger).collect() }
    }

    // MARK: Ingest

    public func ingest(_ items: [IngestItem], processor: BatchProcessor, claim: OutboxClaim?) async throws -> IngestResult {
        guard !items.isEmpty else { return IngestResult(outcomes: []) }
        let request = processor.request(for: items)
        let tries = Mutex(0)
        return try await PostgresRetry.run(logger: logger) {
            // A batch that lost a race runs again with the incidents locked (`PostgresIncidents`),
            // so a cascade of pages on several nodes cannot keep one batch retrying.
            let lockIncidents = tries.withLock { count in
                count += 1
                return count > 1
            }
            return try await transaction { [self] connection in
                let batch = PostgresBatch(connection: connection, node: node, logger: logger, lockIncidents: lockIncidents)
                let snapshot = try await batch.load(request)
                let change = processor.process(items, snapshot: snapshot)
                guard !change.isEmpty else { return IngestResult(change, ids: [:], claimed: []) }
                let (ids, claimed) = try await batch.commit(change, locked: snapshot.issues, incidents: snapshot.incidents, claim: claim)
                return IngestResult(change, ids: ids, claimed: claimed)
            }
        }
    }

    /// Nothing to wait for: a PostgreSQL commit is on stable storage when it returns.
    public func sync() async throws {}

    // MARK: Issues

    public func issues(_ query: IssueQuery) async throws -> [Issue] {
        let rows = try await self.query(
            """
            SELECT id, data FROM issues
            WHERE (\(query.projectID.map(Int64.init))::int8 IS NULL OR project_id = \(query.projectID.map(Int64.init))::int8)
              AND (\(query.status?.rawValue)::text IS NULL OR status = \(query.status?.rawValue)::text)
            ORDER BY seen_minute DESC, last_seen DESC, id DESC LIMIT \(Int64(query.limit))
            """)
        return try Self.decodeIssues(rows)
    }

    public func issue(id: Int64) async throws -> Issue? {
        try Self.decodeIssues(await query("SELECT id, data FROM issues WHERE id = \(id)")).first
    }

    public func issue(projectID: Int, fingerprint: String) async throws -> Issue? {
        try Self.decodeIssues(
            await query("SELECT id, data FROM issues WHERE project_id = \(projectID) AND fingerprint = \(fingerprint)")
        ).first
    }

    /// `projectName` and `notify` may not leave the call (the protocol's closures are not
    /// escaping), but the transaction runs on a pooled connection in a task of its own.
    /// So they are asked here, on what a first read found, and the transaction writes
    /// their answer only if the issue's alerted channels are still what they were asked
    /// about; else it asks again. (An issue's project never changes.)
    public func resolve(
        issueID: Int64, at now: Date, by who: String, projectName: @Sendable (Int) -> String, notify: @Sendable ([String]) -> [String]
    ) async throws -> Issue? {
        while true {
            guard let issue = try await issue(id: issueID) else { return nil }
            guard issue.status != .resolved else { return issue }
            let alerted = try await alertedChannels(issueID)
            let plan = ResolvePlan(alerted: alerted, notify: notify(alerted), projectName: projectName(issue.projectID), by: who)
            if case .done(let issue) = try await resolve(issueID: issueID, at: now, plan) { return issue }
        }
    }

    /// What `resolve` asked its closures, for the channels that had alerted.
    private struct ResolvePlan: Sendable {
        var alerted: [String]
        var notify: [String]
        var projectName: String
        var by: String
    }

    private enum ResolveOutcome: Sendable {
        /// The issue as it ends up (nil: there is none).
        case done(Issue?)
        /// A channel alerted since the plan was made: ask again.
        case stale
    }

    private func resolve(issueID: Int64, at now: Date, _ plan: ResolvePlan) async throws -> ResolveOutcome {
        try await PostgresRetry.run(logger: logger) {
            try await transaction { [self] connection in
                guard var issue = try await Self.lockIssue(issueID, on: connection, logger: logger) else { return .done(nil) }
                guard issue.status != .resolved else { return .done(issue) }
                guard try await Self.alertedChannels(issueID, on: connection, logger: logger) == plan.alerted else { return .stale }
                issue.resolve(at: now, by: plan.by)
                try await Self.write(issue, on: connection, logger: logger)
                try await PostgresIncidents.endResolved(issueID, at: now, on: connection, logger: logger)
                let alert = Alert(kind: .resolved, issue: issue, projectName: plan.projectName, eventsSinceLastAlert: 0, at: now)
                let rows = plan.notify.map { channel in
                    OutboxEntry(owed: OwedDelivery(issue: issue.key, channel: channel, alert: alert, due: now, digest: nil), issueID: issueID, claim: nil)
                }
                let payload = try alert.jsonText()
                _ = try await PostgresOutbox.insert(
                    rows, payloads: rows.map { _ in payload }, node: node, on: connection, logger: logger)
                return .done(issue)
            }
        }
    }

    private func alertedChannels(_ issueID: Int64) async throws -> [String] {
        try await withConnection { [self] connection in try await Self.alertedChannels(issueID, on: connection, logger: logger) }
    }

    /// The channels the issue has owed alerts to, in name order.
    private static func alertedChannels(_ issueID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var channels: [String] = []
        for try await channel in try await connection.query(
            "SELECT DISTINCT channel FROM outbox WHERE issue_id = \(issueID) ORDER BY channel", logger: logger
        ).decode(String.self) {
            channels.append(channel)
        }
        return channels
    }

    // MARK: Incidents

    public func incidents(_ query: IncidentQuery) async throws -> [Incident] {
        try await withConnection { [self] connection in try await PostgresIncidents.list(query, on: connection, logger: logger) }
    }

    public func incident(id: Int64) async throws -> IncidentDetail? {
        try await withConnection { [self] connection in try await PostgresIncidents.detail(id, on: connection, logger: logger) }
    }

    public func mute(issueID: Int64, _ mute: Mute, at now: Date) async throws -> Issue? {
        try await updateIssue(issueID) { $0.mute(mute) } cascade: { [logger] connection in
            try await connection.query(
                """
                UPDATE outbox SET status = 'cancelled', finished_at = \(now.timeIntervalSince1970), last_error = \(OutboxEntry.mutedError)
                WHERE issue_id = \(issueID) AND status = 'pending' AND claimed_by IS NULL
                """, logger: logger)
        }
    }

    public func unmute(issueID: Int64, at now: Date) async throws -> Issue? {
        try await updateIssue(issueID) { $0.unmute() }
    }

    /// Changes an issue in a transaction of its own, with `cascade`'s statements in it.
    private func updateIssue(
        _ id: Int64, _ change: @escaping @Sendable (inout Issue) -> Void,
        cascade: @escaping @Sendable (PostgresConnection) async throws -> Void = { _ in }
    ) async throws -> Issue? {
        try await PostgresRetry.run(logger: logger) {
            try await transaction { [self] connection in
                guard var issue = try await Self.lockIssue(id, on: connection, logger: logger) else { return nil }
                change(&issue)
                try await Self.write(issue, on: connection, logger: logger)
                try await cascade(connection)
                return issue
            }
        }
    }

    /// The issue, locked until the transaction ends: a batch of its events waits, then sees the change.
    private static func lockIssue(_ id: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Issue? {
        try decodeIssues(await connection.query("SELECT id, data FROM issues WHERE id = \(id) FOR UPDATE", logger: logger).collect()).first
    }

    private static func write(_ issue: Issue, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE issues SET status = \(issue.status.rawValue), last_seen = \(issue.lastSeen.timeIntervalSince1970),
                seen_minute = \(Int64(SQLiteStore.minute(issue.lastSeen))), data = \(try issue.jsonText())
            WHERE id = \(issue.id)
            """, logger: logger)
    }

    // MARK: Threads

    public func threadReference(issueID: Int64, channel: String) async throws -> String? {
        for row in try await query(
            "SELECT reference FROM threads WHERE issue_id = \(issueID) AND channel = \(channel)"
        ) {
            let reference = try row.decode(String.self)
            return reference
        }
        return nil
    }

    public func setThreadReference(issueID: Int64, channel: String, reference: String) async throws {
        try await query(
            "INSERT INTO threads (issue_id, channel, reference) VALUES (\(issueID), \(channel), \(reference)) ON CONFLICT DO NOTHING")
    }

    public func forgetThreadReference(issueID: Int64, channel: String) async throws {
        try await query("DELETE FROM threads WHERE issue_id = \(issueID) AND channel = \(channel)")
    }

    // MARK: Outbox

    public func claimDeliveries(now: Date, limit: Int, lease: TimeInterval, room: ChannelRoom?) async throws -> [OutboxEntry] {
        try await withConnection { [self] connection in
            try await PostgresOutbox.claim(now: now, limit: limit, lease: lease, room: room, node: node, on: connection, logger: logger)
        }
    }

    public func finishDeliveries(_ results: [(entry: OutboxEntry, result: DeliveryResult)], at now: Date) async throws {
        let finished = results.map { pair in
            var entry = pair.entry
            entry.apply(pair.result, at: now)
            return entry
        }
        try await withConnection { [self] connection in
            try await PostgresOutbox.write(finished, on: connection, logger: logger)
        }
    }

    public func finishDelivery(id: Int64, result: DeliveryResult, at now: Date) async throws {
        try await transaction { [self] connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: PostgresOutbox.columns) FROM outbox WHERE id = \(id) FOR UPDATE", logger: logger)
            guard var entry = try PostgresOutbox.decode(await rows.collect()).first else { return }
            entry.apply(result, at: now)
            try await PostgresOutbox.write([entry], on: connection, logger: logger)
        }
    }

    /// Gives back rows this node claimed and could not start; another node's claims stay.
    public func releaseDeliveries(ids: [Int64], at now: Date) async throws {
        guard !ids.isEmpty else { return }
        try await query(
            """
            UPDATE outbox SET next_attempt_at = \(now.timeIntervalSince1970), claimed_by = NULL, attempts = GREATEST(attempts - 1, 0)
            WHERE status = 'pending' AND claimed_by = \(node) AND id = ANY(\(ids)::int8[])
            """)
    }

    /// Only rows still claimed by this node: one whose lease ran out and that another
    /// node took meanwhile is that node's.
    public func renewClaims(ids: [Int64], until: Date) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await withConnection { [self] connection in
            try await connection.rows(
                PostgresStatements.RenewOutbox(ids: ids, until: until.timeIntervalSince1970, node: node), logger: logger
            ).count
        }
    }

    /// Makes the rows this node still holds claimed due now: at its start, they are what
    /// its previous run left in flight when it died. Other nodes' claims are theirs: a
    /// live node is delivering them, and a dead one's come back when their lease ends.
    public func releaseClaims(now: Date) async throws -> Int {
        let rows = try await query(
            """
            UPDATE outbox SET next_attempt_at = \(now.timeIntervalSince1970), claimed_by = NULL
            WHERE status = 'pending' AND claimed_by = \(node)
            RETURNING id
            """)
        return rows.count
    }

    /// The bucket's row is created full if missing, then locked: nodes planning the same
    /// channel at once take turns on it.
    public func withChannelBucket<T: Sendable>(
        _ channel: String, rate: Rate, now: Date, _ decide: @escaping @Sendable (inout TokenBucket) -> T
    ) async throws -> T {
        try await PostgresRetry.run(logger: logger) {
            try await transaction { [self] connection in
                try await connection.query(
                    """
                    INSERT INTO channel_buckets (channel, rate, tokens, updated_at)
                    VALUES (\(channel), \(rate.description), \(Double(max(rate.count, 1))), \(now.timeIntervalSince1970))
                    ON CONFLICT (channel) DO NOTHING
                    """, logger: logger)
                var stored: (rate: String, tokens: Double, updated: Date)?
                for try await (spelling, tokens, updated) in try await connection.query(
                    "SELECT rate, tokens, updated_at FROM channel_buckets WHERE channel = \(channel) FOR UPDATE", logger: logger
                ).decode((String, Double, Double).self) {
                    stored = (spelling, tokens, Date(timeIntervalSince1970: updated))
                }
                var bucket = TokenBucket.restored(rate: rate, stored: stored, now: now)
                let result = decide(&bucket)
                try await connection.query(
                    """
                    UPDATE channel_buckets SET rate = \(rate.description), tokens = \(bucket.tokens),
                        updated_at = \(bucket.updated.timeIntervalSince1970)
                    WHERE channel = \(channel)
                    """, logger: logger)
                return result
            }
        }
    }

    public func nextDeliveryDue() async throws -> Date? {
        for row in try await query("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'") {
            let due = try row.decode(Double?.self)
            return due.map(Date.init(timeIntervalSince1970:))
        }
        return nil
    }

    public func deliveries(status: DeliveryStatus?, limit: Int) async throws -> [OutboxEntry] {
        try PostgresOutbox.decode(await query(
            """
            SELECT \(unescaped: PostgresOutbox.columns) FROM outbox
            WHERE \(status?.rawValue)::text IS NULL OR status = \(status?.rawValue)::text
            ORDER BY id DESC LIMIT \(Int64(limit))
            """))
    }

    public func deliveryCounts() async throws -> [DeliveryStatus: Int] {
        var counts: [DeliveryStatus: Int] = [:]
        for row in try await query("SELECT status, COUNT(*) FROM outbox GROUP BY status") {
            let (status, count) = try row.decode((String, Int64).self)
            if let status = DeliveryStatus(rawValue: status) { counts[status] = Int(count) }
        }
        return counts
    }

    /// Two counts on `outbox_due`'s leading column: never a read of the delivered rows.
    public func outboxBacklog() async throws -> (pending: Int, dead: Int) {
        for row in try await query(
            """
            SELECT (SELECT COUNT(*) FROM outbox WHERE status = 'pending'), (SELECT COUNT(*) FROM outbox WHERE status = 'dead')
            """
        ) {
            let (pending, dead) = try row.decode((Int64, Int64).self)
            return (Int(pending), Int(dead))
        }
        return (0, 0)
    }

    public func retryDelivery(id: Int64, at now: Date) async throws -> Bool {
        let rows = try await query(
            """
            UPDATE outbox SET status = 'pending', next_attempt_at = \(now.timeIntervalSince1970), finished_at = NULL, claimed_by = NULL,
                held_back = FALSE
            WHERE id = \(id) RETURNING id
            """)
        return !rows.isEmpty
    }

    // MARK: Backtest

    public func storedEvents(since: Date, after cursor: EventCursor?, limit: Int) async throws -> (events: [Backtest.StoredEvent], next: EventCursor?) {
        let after = cursor ?? EventCursor(receivedAt: since, sequence: 0)
        let rows = try await query(
            """
            SELECT id, project_id, received_at, payload FROM events
            WHERE received_at >= \(since.timeIntervalSince1970)
              AND (received_at, id) > (\(after.receivedAt.timeIntervalSince1970), \(after.sequence))
            ORDER BY received_at, id LIMIT \(Int64(limit))
            """)
        var events: [Backtest.StoredEvent] = []
        var next: EventCursor?
        for row in rows {
            let (id, project, received, payload) = try row.decode((Int64, Int64, Double, String).self)
            let receivedAt = Date(timeIntervalSince1970: received)
            events.append(Backtest.StoredEvent(
                projectID: Int(project), event: try JSONDecoder().decode(Event.self, from: Data(payload.utf8)), receivedAt: receivedAt))
            next = EventCursor(receivedAt: receivedAt, sequence: id)
        }
        return (events, events.count < limit ? nil : next)
    }

    public func owedAlerts(since: Date) async throws -> [OwedAlert] {
        let rows = try await query(
            """
            SELECT channel, alert::jsonb ->> 'kind', alert::jsonb ->> 'severity'
            FROM outbox WHERE created_at >= \(since.timeIntervalSince1970) ORDER BY id
            """)
        var alerts: [OwedAlert] = []
        for row in rows {
            let (channel, kind, severity) = try row.decode((String, String?, String?).self)
            guard let kind = kind.flatMap(AlertKind.init(rawValue:)), let severity = severity.flatMap(Severity.init(rawValue:)) else { continue }
            alerts.append(OwedAlert(channel: channel, kind: kind, severity: severity))
        }
        return alerts
    }

    // MARK: Housekeeping

    public func pruneEvents(before cutoff: Date, limit: Int) async throws -> Int {
        try await count("""
            WITH pruned AS (
                DELETE FROM events WHERE id IN
                    (SELECT id FROM events WHERE received_at < \(cutoff.timeIntervalSince1970) ORDER BY received_at LIMIT \(limit))
                RETURNING 1)
            SELECT COUNT(*) FROM pruned
            """)
    }

    public func pruneDeliveries(finishedBefore cutoff: Date, limit: Int) async throws -> Int {
        let before = cutoff.timeIntervalSince1970
        return try await count("""
            WITH pruned AS (
                DELETE FROM outbox WHERE id IN
                    (SELECT id FROM outbox WHERE status IN ('delivered', 'dead', 'cancelled')
                        AND next_attempt_at < \(before) AND finished_at < \(before) LIMIT \(limit))
                RETURNING 1)
            SELECT COUNT(*) FROM pruned
            """)
    }

    public func pruneIssueState(
        lastSeenBefore cutoff: Date, after cursor: IssuePruneCursor?, limit: Int
    ) async throws -> IssuePruneStep {
        // As SQLite's: whole minutes before the cutoff's, walked by (seen_minute, id).
        let before = SQLiteStore.minute(cutoff)
        let from = cursor ?? IssuePruneCursor(minute: Int.min, id: 0)
        let perStep = SQLiteStore.prunedIssuesPerStep
        return try await transaction { [self] connection in
            var issues: [IssuePruneCursor] = []
            for try await (id, minute) in try await connection.query(
                """
                SELECT id, seen_minute FROM issues
                WHERE seen_minute < \(before) AND (seen_minute, id) > (\(from.minute), \(from.id))
                ORDER BY seen_minute, id LIMIT \(perStep)
                """, logger: logger
            ).decode((Int64, Int64).self) {
                issues.append(IssuePruneCursor(minute: Int(minute), id: id))
            }
            guard let last = issues.last else { return IssuePruneStep(removed: 0, cursor: cursor, finished: true) }
            let ids = issues.map(\.id)
            var users = 0
            for try await count in try await connection.query(
                """
                WITH pruned AS (
                    DELETE FROM issue_users WHERE (issue_id, user_key) IN
                        (SELECT issue_id, user_key FROM issue_users WHERE issue_id = ANY(\(ids)::int8[]) LIMIT \(limit))
                    RETURNING 1)
                SELECT COUNT(*) FROM pruned
                """, logger: logger
            ).decode(Int64.self) {
                users = Int(count)
            }
            guard users < limit else { return IssuePruneStep(removed: users, cursor: cursor, finished: false) }
            var threads = 0
            for try await count in try await connection.query(
                "WITH pruned AS (DELETE FROM threads WHERE issue_id = ANY(\(ids)::int8[]) RETURNING 1) SELECT COUNT(*) FROM pruned",
                logger: logger
            ).decode(Int64.self) {
                threads = Int(count)
            }
            return IssuePruneStep(removed: users + threads, cursor: last, finished: false)
        }
    }

    public func pruneReleases(lastSeenBefore cutoff: Date, limit: Int) async throws -> Int {
        try await count("""
            WITH pruned AS (
                DELETE FROM releases WHERE (project_id, version) IN
                    (SELECT project_id, version FROM releases WHERE last_seen < \(cutoff.timeIntervalSince1970) LIMIT \(limit))
                RETURNING 1)
            SELECT COUNT(*) FROM pruned
            """)
    }

    /// The single count a `WITH … SELECT COUNT(*)` statement answers.
    private func count(_ statement: PostgresQuery) async throws -> Int {
        for row in try await query(statement) {
            return Int(try row.decode(Int64.self))
        }
        return 0
    }

    /// Runs one statement as is (tests).
    func execute(_ sql: String) async throws {
        try await query(PostgresQuery(unsafeSQL: sql))
    }

    /// The schema versions applied, in order (tests).
    func migrationVersions() async throws -> [Int] {
        var versions: [Int] = []
        for row in try await query("SELECT version FROM schema_migrations ORDER BY version") {
            let version = try row.decode(Int.self)
            versions.append(version)
        }
        return versions
    }

    /// The statements prepared on a pooled connection, with how often each ran (tests:
    /// with a pool of one, the connection every operation used).
    func preparedStatements() async throws -> [String: Int64] {
        var prepared: [String: Int64] = [:]
        for row in try await query("SELECT name, generic_plans + custom_plans FROM pg_prepared_statements") {
            let (name, runs) = try row.decode((String, Int64).self)
            prepared[name] = runs
        }
        return prepared
    }

    public func ping() async throws {
        try await query("SELECT 1")
    }

    public func close() async throws {
        runner.cancel()
        await runner.value
    }

    // MARK: Coding

    private static func decodeIssues(_ rows: [PostgresRow]) throws -> [Issue] {
        var issues: [Issue] = []
        for row in rows {
            let (id, data) = try row.decode((Int64, String).self)
            var issue = try Issue(jsonText: data)
            issue.id = id
            issues.append(issue)
        }
        return issues
    }
}
