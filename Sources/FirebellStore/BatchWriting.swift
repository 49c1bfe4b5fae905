import FirebellCore
import Foundation

/// What the SQLite and PostgreSQL batches both derive from a change before their own
/// statements: kept here so the two cannot drift apart.
extension BatchChange {
    /// The ids of the issues that owe deliveries and were stored before this batch (a new
    /// issue's id is still 0): only they can have an earlier outbox row pending, so only
    /// they are looked up (`OutboxEntry.rows(for:ids:claim:waiting:)`). A batch of new
    /// issues, a new critical issue's page among them, costs no lookup.
    var storedIssuesOwingAlerts: [Int64] {
        let owing = Set(deliveries.map(\.issue))
        return issues.compactMap { owing.contains($0.issue.key) && $0.issue.id != 0 ? $0.issue.id : nil }
    }
}

extension OutboxEntry {
    /// Each row's alert as JSON: one alert fans out to consecutive rows, encoded once.
    static func alertPayloads(_ rows: [OutboxEntry]) throws -> [String] {
        var payloads: [String] = []
        var payload: (alert: Alert, text: String)?
        for row in rows {
            if payload?.alert != row.alert { payload = (row.alert, try row.alert.jsonText()) }
            payloads.append(payload!.text)
        }
        return payloads
    }
}

extension IssueUser {
    /// The pairs of issues already stored (those in `ids`), as (issue id, user) to look
    /// up, and the key of each id to map the answers back.
    static func storedLookups(_ pairs: [IssueUser], ids: [IssueKey: Int64]) -> (byID: [Int64: IssueKey], lookups: [(id: Int64, user: String)]) {
        var byID: [Int64: IssueKey] = [:]
        var lookups: [(id: Int64, user: String)] = []
        for pair in pairs {
            guard let id = ids[pair.issue] else { continue }
            byID[id] = pair.issue
            lookups.append((id, pair.user))
        }
        return (byID, lookups)
    }
}
