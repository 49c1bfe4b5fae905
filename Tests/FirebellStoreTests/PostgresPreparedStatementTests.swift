import FirebellCore
import Foundation
import Logging
import Testing

@testable import FirebellStore

/// The hot statements are parsed once per connection and then only executed: a batch
/// costs the server no parse or plan of its own, however many rows it holds.
struct PostgresPreparedStatementTests {
    @Test func aConnectionPreparesEachHotStatementOnceAndRunsItForEveryBatch() async throws {
        let contract = try StoreContractTests()
        // One connection: every statement below runs on it.
        let store = try await PostgresStore.open(url: try await TestPostgres.database(), poolSize: 1, node: "node-a", logger: Logger(label: "prepared"))
        let batches = 5
        for n in 0..<batches {
            // Each batch: an issue seen before (locked and updated), a new one (inserted), events with users, an alert.
            let items = [
                contract.item("old-\(n)", fingerprint: "old", user: "u\(n)", at: Double(n)),
                contract.item("new-\(n)", fingerprint: "new-\(n)", user: "u\(n)", at: Double(n)),
            ]
            _ = try await store.ingest(items, processor: contract.processor, claim: OutboxClaim(lease: 30))
            let claimed = try await store.claimDeliveries(now: contract.t0.addingTimeInterval(Double(n) + 100), limit: 10, lease: 30)
            try await store.finishDeliveries(claimed.map { ($0, .delivered(status: 200)) }, at: contract.t0.addingTimeInterval(Double(n) + 100))
        }
        let prepared = try await store.preparedStatements()
        // The first batch has no existing issue to update or whose users to look up.
        let everyBatch = ["LockIssues", "KnownEvents", "InsertIssues", "InsertEvents", "InsertUsers", "InsertOutbox", "ClaimOutbox", "FinishOutbox"]
        for name in everyBatch + ["UpdateIssues", "KnownUsers"] {
            let runs = prepared.filter { $0.key.hasSuffix("PostgresStatements.\(name)") }
            #expect(runs.count == 1, "\(name) prepared once: \(prepared)")
            let expected = everyBatch.contains(name) ? batches : batches - 1
            #expect(runs.values.first ?? 0 >= Int64(expected), "\(name) run for every batch: \(prepared)")
        }
        #expect(try await store.issues(IssueQuery()).count == batches + 1)
        try await store.close()
    }
}
