import FirebellCore
import Foundation
import Logging
import PostgresNIO

/// The incidents' statements on PostgreSQL, shared by the batch and the store.
///
/// Several nodes decide on one incident without locking it for every batch: a batch
/// reads the incidents not ended, and writes a join or an end only if the row is as
/// it read it (same `issue_count`, not ended); otherwise another node changed it
/// meanwhile and the batch runs again (`LostRace`) on what that node committed, this
/// time with the incidents locked, so it cannot lose the same way twice. Two
/// nodes opening an incident on one route at once collide on `incidents_open_route`
/// (23505): the second runs again and joins the first one's.
enum PostgresIncidents {
    static let columns = """
        id, route, opened_at, last_joined_at, last_update_due, issue_count, ended_at, end_reason, first_issue_id, first_page
        """

    /// The incidents not ended; `locking`, `FOR UPDATE` (after its issues: the order
    /// every batch locks in, so batches wait for each other instead of deadlocking).
    static func loadOpen(locking: Bool, on connection: PostgresConnection, logger: Logger) async throws -> [String: Incident] {
        let rows = try await connection.query(
            "SELECT \(unescaped: columns) FROM incidents WHERE ended_at IS NULL ORDER BY id\(unescaped: locking ? " FOR UPDATE" : "")",
            logger: logger)
        var open: [String: Incident] = [:]
        for incident in try decode(await rows.collect()) { open[incident.route] = incident }
        return open
    }

    /// Writes the batch's incidents and their issues (see the type's comment); `loaded`
    /// is what the batch read. Returns the ids of the ones it opened by their provisional ids.
    static func write(
        _ change: BatchChange, ids: [IssueKey: Int64], loaded: [String: Incident], on connection: PostgresConnection, logger: Logger
    ) async throws -> [Int64: Int64] {
        guard !change.incidents.isEmpty else { return [:] }
        // Every join counts one more issue and every other change ends the incident: the
        // count is the row's version (a time is not: two joins can come at one time).
        let read = Dictionary(loaded.values.map { ($0.id, Int64($0.issueCount)) }, uniquingKeysWith: { first, _ in first })
        var incidentIDs: [Int64: Int64] = [:]
        let incidents = change.incidentsNumbered(ids)
        for incident in incidents where incident.id > 0 {
            let rows = try await connection.query(
                """
                UPDATE incidents SET last_joined_at = \(incident.lastJoinedAt.timeIntervalSince1970),
                    last_update_due = \(incident.lastUpdateDue?.timeIntervalSince1970), issue_count = \(Int64(incident.issueCount)),
                    ended_at = \(incident.endedAt?.timeIntervalSince1970), end_reason = \(incident.endReason?.rawValue)
                WHERE id = \(incident.id) AND ended_at IS NULL AND issue_count = \(read[incident.id] ?? -1)
                RETURNING id
                """, logger: logger)
            guard try await rows.collect().count == 1 else { throw PostgresRetry.LostRace(what: "a change to incident \(incident.id)") }
        }
        for incident in incidents where incident.id < 0 {
            let rows = try await connection.query(
                """
                INSERT INTO incidents (route, opened_at, last_joined_at, last_update_due, issue_count, ended_at, end_reason,
                    first_issue_id, first_page)
                VALUES (\(incident.route), \(incident.openedAt.timeIntervalSince1970), \(incident.lastJoinedAt.timeIntervalSince1970),
                    \(incident.lastUpdateDue?.timeIntervalSince1970), \(Int64(incident.issueCount)), \(incident.endedAt?.timeIntervalSince1970),
                    \(incident.endReason?.rawValue), \(incident.firstPage.issueID), \(try incident.firstPage.jsonText()))
                RETURNING id
                """, logger: logger)
            guard let id = try await rows.collect().first.map({ try $0.decode(Int64.self) }) else {
                throw StoreError("incident insert returned no id")
            }
            incidentIDs[incident.id] = id
        }
        let members = change.membersNumbered(ids, incidentIDs: incidentIDs)
        if !members.isEmpty {
            try await connection.query(
                """
                INSERT INTO incident_issues (incident_id, issue_id, kind, joined_at, joined)
                SELECT inc, iss, k, t, j FROM unnest(\(members.map(\.incident))::int8[], \(members.map(\.issueID))::int8[],
                    \(members.map(\.kind.rawValue))::text[], \(members.map(\.at.timeIntervalSince1970))::float8[], \(members.map(\.joined))::bool[])
                    WITH ORDINALITY AS v(inc, iss, k, t, j, ord)
                ORDER BY ord
                """, logger: logger)
        }
        return incidentIDs
    }

    /// Ends the incidents holding `issueID` (just resolved) whose issues are now all resolved.
    static func endResolved(_ issueID: Int64, at now: Date, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE incidents SET ended_at = \(now.timeIntervalSince1970), end_reason = 'resolved'
            WHERE ended_at IS NULL AND id IN (SELECT incident_id FROM incident_issues WHERE issue_id = \(issueID))
              AND NOT EXISTS (SELECT 1 FROM incident_issues AS m JOIN issues AS i ON i.id = m.issue_id
                              WHERE m.incident_id = incidents.id AND i.status <> 'resolved')
            """, logger: logger)
    }

    static func list(_ query: IncidentQuery, on connection: PostgresConnection, logger: Logger) async throws -> [Incident] {
        let quiet = query.quietBefore.timeIntervalSince1970
        let rows = try await connection.query(
            """
            SELECT \(unescaped: columns) FROM incidents
            WHERE \(query.status?.rawValue)::text IS NULL
               OR (\(query.status?.rawValue)::text = 'open' AND ended_at IS NULL AND last_joined_at > \(quiet))
               OR (\(query.status?.rawValue)::text = 'ended' AND (ended_at IS NOT NULL OR last_joined_at <= \(quiet)))
            ORDER BY id DESC LIMIT \(Int64(query.limit))
            """, logger: logger)
        return try decode(await rows.collect())
    }

    static func detail(_ id: Int64, on connection: PostgresConnection, logger: Logger) async throws -> IncidentDetail? {
        let rows = try await connection.query("SELECT \(unescaped: columns) FROM incidents WHERE id = \(id)", logger: logger)
        guard let incident = try decode(await rows.collect()).first else { return nil }
        let memberRows = try await connection.query(
            """
            SELECT m.issue_id, m.kind, m.joined_at, m.joined, i.project_id, i.fingerprint
            FROM incident_issues AS m LEFT JOIN issues AS i ON i.id = m.issue_id
            WHERE m.incident_id = \(id) ORDER BY m.seq
            """, logger: logger)
        var members: [IncidentMember] = []
        for try await (issueID, kind, at, joined, project, fingerprint) in memberRows.decode((Int64, String, Double, Bool, Int64?, String?).self) {
            members.append(IncidentMember(
                incident: id, issue: IssueKey(projectID: Int(project ?? 0), fingerprint: fingerprint ?? ""), issueID: issueID,
                kind: AlertKind(rawValue: kind) ?? .new, at: Date(timeIntervalSince1970: at), joined: joined))
        }
        return IncidentDetail(incident: incident, members: members)
    }

    /// Rows selected as `columns`.
    static func decode(_ rows: [PostgresRow]) throws -> [Incident] {
        try rows.map { row in
            let (id, route, opened, lastJoined, lastUpdate, count, ended, reason, firstIssue, page) = try row.decode(
                (Int64, String, Double, Double, Double?, Int64, Double?, String?, Int64, String).self)
            var firstPage = try Alert(jsonText: page)
            firstPage.issueID = firstIssue
            return Incident(
                id: id, route: route, openedAt: Date(timeIntervalSince1970: opened), firstPage: firstPage,
                lastJoinedAt: Date(timeIntervalSince1970: lastJoined), lastUpdateDue: lastUpdate.map(Date.init(timeIntervalSince1970:)),
                issueCount: Int(count), endedAt: ended.map(Date.init(timeIntervalSince1970:)),
                endReason: reason.flatMap(Incident.EndReason.init(rawValue:)))
        }
    }
}
