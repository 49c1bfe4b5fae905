import FirebellCore
import Foundation
import Logging
import Testing

@testable import FirebellStore

/// What only a shared store can show: several nodes (stores with their own pools and
/// names) on one PostgreSQL database, committing and claiming at the same time.
struct PostgresNodeTests {
    let contract: StoreContractTests

    init() throws { contract = try StoreContractTests() }

    /// Opens one store per name on one new database (its URL goes to `body` too); closes them after.
    func withNodes(_ names: [String], _ body: ([PostgresStore], String) async throws -> Void) async throws {
        let url = try await TestPostgres.database()
        var nodes: [PostgresStore] = []
        for name in names { nodes.append(try await PostgresStore.open(url: url, poolSize: 4, node: name, logger: Logger(label: name))) }
        do {
            try await body(nodes, url)
        } catch {
            for node in nodes { try? await node.close() }
            throw error
        }
        for node in nodes { try await node.close() }
    }

    /// Two nodes each commit 12 batches, every batch one event of each of the same 15
    /// fingerprints, all at once. Whoever commits first creates an issue; everyone
    /// after decides on what was committed before: one issue per fingerprint, every
    /// event counted, one new-issue alert and one escalation (the third event is a spike).
    @Test func twoNodesCommittingTheSameFingerprintsAtOnceDecideEachChangeOnce() async throws {
        try await withNodes(["node-a", "node-b"]) { nodes, url in
            let fingerprints = (0..<15).map { "f\($0)" }
            let batches = 12
            let outcomes = try await withThrowingTaskGroup(of: [IngestOutcome].self) { group in
                for (n, node) in nodes.enumerated() {
                    for b in 0..<batches {
                        // Reversed on one node: the batches lock the same issues in opposite list orders.
                        let order = n == 0 ? fingerprints : fingerprints.reversed()
                        let items = order.map { contract.item("\(n)-\(b)-\($0)", fingerprint: $0, at: Double(b)) }
                        group.addTask { try await node.ingest(items, processor: contract.processor) }
                    }
                }
                var all: [IngestOutcome] = []
                for try await batch in group { all += batch }
                return all
            }
            let total = nodes.count * batches * fingerprints.count
            #expect(outcomes.count == total)
            #expect(!outcomes.contains(.duplicate))
            #expect(outcomes.filter { if case .stored(_, .new?) = $0 { true } else { false } }.count == fingerprints.count)

            let issues = try await nodes[0].issues(IssueQuery(limit: 100))
            #expect(issues.count == fingerprints.count)
            #expect(Set(issues.map(\.fingerprint)) == Set(fingerprints))
            #expect(issues.map(\.count).reduce(0, +) == total)
            #expect(issues.allSatisfy { $0.count == nodes.count * batches && $0.severity == .critical })

            let rows = try await nodes[1].deliveries(status: nil, limit: 1000)
            let new = rows.filter { $0.alert.kind == .new }
            #expect(new.count == fingerprints.count && new.allSatisfy { $0.channel == "slack" })
            #expect(Set(new.map(\.issueID)).count == fingerprints.count)
            let escalations = rows.filter { $0.alert.kind == .escalation }
            #expect(escalations.count == fingerprints.count * 2)
            #expect(rows.count == fingerprints.count * 3)
        }
    }

    /// Two nodes each commit 10 batches at once, every batch two new issues, one of each
    /// of the same two releases (in opposite orders on the two nodes). A release's row is
    /// merged, not written over: its count ends at every new issue of it from both nodes,
    /// and its first sighting is the earliest.
    @Test func releaseCountsFromTwoNodesAtOnceAddUp() async throws {
        try await withNodes(["node-a", "node-b"]) { nodes, _ in
            let batches = 10
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (n, node) in nodes.enumerated() {
                    for b in 0..<batches {
                        let releases = n == 0 ? ["shop@2.0.0", "shop@2.0.1"] : ["shop@2.0.1", "shop@2.0.0"]
                        let items = releases.map { contract.item("\(n)-\(b)-\($0)", fingerprint: "\(n)-\(b)-\($0)", release: $0, at: Double(b + n)) }
                        group.addTask { _ = try await node.ingest(items, processor: contract.processor) }
                    }
                }
                try await group.waitForAll()
            }
            _ = try await nodes[0].ingest(
                [contract.item("last", fingerprint: "last", release: "shop@2.0.0", at: 60)], processor: contract.processor)
            let last = try await nodes[1].deliveries(status: nil, limit: 1000).first { $0.alert.title == "boom" && $0.alert.createdAt == contract.t0.addingTimeInterval(60) }
            #expect(last?.alert.deploy == DeployContext(release: "shop@2.0.0", firstSeen: contract.t0, newIssues: nodes.count * batches + 1))
        }
    }

    /// The same event sent to two nodes at once (a reporter retrying elsewhere) is stored once.
    @Test func oneEventIDSentToTwoNodesAtOnceIsStoredOnce() async throws {
        try await withNodes(["node-a", "node-b"]) { nodes, url in
            for round in 0..<10 {
                let item = contract.item("retry-\(round)", fingerprint: "f\(round)")
                async let a = nodes[0].ingest([item], processor: contract.processor)
                async let b = nodes[1].ingest([item], processor: contract.processor)
                let both = try await [a, b].flatMap { $0 }
                #expect(both.filter { $0 == .duplicate }.count == 1)
            }
            #expect(try await nodes[0].issues(IssueQuery()).map(\.count).reduce(0, +) == 10)
        }
    }

    /// Two nodes claiming at once take different rows (`SKIP LOCKED`), and all of them between them.
    @Test func nodesClaimingAtOnceNeverTakeTheSameRow() async throws {
        try await withNodes(["node-a", "node-b"]) { nodes, url in
            _ = try await nodes[0].ingest((0..<40).map { contract.item("e\($0)", fingerprint: "f\($0)") }, processor: contract.processor)
            let now = contract.t0.addingTimeInterval(1)
            async let a = nodes[0].claimDeliveries(now: now, limit: 25, lease: 60)
            async let b = nodes[1].claimDeliveries(now: now, limit: 25, lease: 60)
            let (first, second) = try await (a, b)
            #expect(Set(first.map(\.id)).isDisjoint(with: second.map(\.id)))
            #expect(first.count + second.count == 40)
        }
    }

    /// A node that dies holding claims: the others take its rows once the lease has run
    /// out, not before; its restart under the same name takes them back at once.
    @Test func aDeadNodesClaimsAreRetakenAfterTheLease() async throws {
        try await withNodes(["node-a", "node-b"]) { nodes, url in
            let (a, b) = (nodes[0], nodes[1])
            // Node a's batch writes its alert claimed for a 30 s lease, then a dies.
            let claimed = try await a.ingest([contract.item("x")], processor: contract.processor, claim: OutboxClaim(lease: 30)).claimed
            #expect(claimed.count == 1)
            #expect(try await b.claimDeliveries(now: contract.t0.addingTimeInterval(29), limit: 10, lease: 30).isEmpty)
            let retaken = try await b.claimDeliveries(now: contract.t0.addingTimeInterval(31), limit: 10, lease: 30)
            #expect(retaken.map(\.id) == claimed.map(\.id))
            #expect(retaken.first?.attempts == 2)
            // Now b's: a's restart does not release it.
            let restarted = try await PostgresStore.open(url: url, node: "node-a", logger: Logger(label: "node-a"))
            #expect(try await restarted.releaseClaims(now: contract.t0.addingTimeInterval(32)) == 0)
            try await restarted.close()
        }
    }

    /// A node renews only the claims it holds: once its lease ran out and another node
    /// took the row, the row is that node's, and the first node's renewal misses it.
    @Test func aNodeRenewsItsOwnClaimsOnly() async throws {
        try await withNodes(["node-a", "node-b"]) { nodes, url in
            let (a, b) = (nodes[0], nodes[1])
            _ = try await a.ingest([contract.item("x")], processor: contract.processor)
            let mine = try await a.claimDeliveries(now: contract.t0, limit: 10, lease: 30)
            #expect(try await a.renewClaims(ids: mine.map(\.id), until: contract.t0.addingTimeInterval(60)) == 1)
            #expect(try await b.claimDeliveries(now: contract.t0.addingTimeInterval(45), limit: 10, lease: 30).isEmpty)
            #expect(try await b.renewClaims(ids: mine.map(\.id), until: contract.t0.addingTimeInterval(600)) == 0)
            let retaken = try await b.claimDeliveries(now: contract.t0.addingTimeInterval(61), limit: 10, lease: 30)
            #expect(retaken.map(\.id) == mine.map(\.id))
            #expect(try await a.renewClaims(ids: mine.map(\.id), until: contract.t0.addingTimeInterval(600)) == 0)
            #expect(try await b.renewClaims(ids: mine.map(\.id), until: contract.t0.addingTimeInterval(120)) == 1)
        }
    }

    /// A node's start releases what its previous run left in flight, and only that:
    /// the claims of a node that is alive stay with it.
    @Test func aNodesStartReleasesItsOwnClaimsOnly() async throws {
        try await withNodes(["node-a", "node-b"]) { nodes, url in
            let (a, b) = (nodes[0], nodes[1])
            _ = try await a.ingest([contract.item("x"), contract.item("y", fingerprint: "g")], processor: contract.processor)
            let claimed = try await a.claimDeliveries(now: contract.t0, limit: 10, lease: 60)
            #expect(claimed.count == 2)
            // Node b (re)starts: a's live claims are not its to release.
            #expect(try await b.releaseClaims(now: contract.t0.addingTimeInterval(1)) == 0)
            #expect(try await b.claimDeliveries(now: contract.t0.addingTimeInterval(1), limit: 10, lease: 60).isEmpty)
            // Node a restarts (same name): its claims are due at once, for anyone.
            let restarted = try await PostgresStore.open(url: url, node: "node-a", logger: Logger(label: "node-a"))
            #expect(try await restarted.releaseClaims(now: contract.t0.addingTimeInterval(2)) == 2)
            try await restarted.close()
            let again = try await b.claimDeliveries(now: contract.t0.addingTimeInterval(2), limit: 10, lease: 60)
            #expect(again.map(\.id).sorted() == claimed.map(\.id).sorted())
            // A node gives back only what it holds.
            try await a.releaseDeliveries(ids: again.map(\.id), at: contract.t0.addingTimeInterval(3))
            #expect(try await a.claimDeliveries(now: contract.t0.addingTimeInterval(3), limit: 10, lease: 60).isEmpty)
        }
    }

    /// Nodes starting together on an empty database all come up (one migrates, the
    /// others wait for it and find nothing to do).
    @Test func nodesStartingTogetherMigrateOnce() async throws {
        let url = try await TestPostgres.database()
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for n in 0..<4 {
                group.addTask { try await PostgresStore.open(url: url, poolSize: 2, node: "node-\(n)", logger: Logger(label: "node-\(n)")) }
            }
            var stores: [PostgresStore] = []
            for try await store in group { stores.append(store) }
            return stores
        }
        #expect(stores.count == 4)
        #expect(try await stores[0].migrationVersions() == Array(1...PostgresSchema.migrations.count))
        for store in stores { try await store.close() }
    }

    /// A database a newer firebell migrated is refused: this binary would misread it.
    @Test func aNodeOlderThanTheSchemaRefusesToStart() async throws {
        let url = try await TestPostgres.database()
        let store = try await PostgresStore.open(url: url, node: "new", logger: Logger(label: "new"))
        try await store.execute("INSERT INTO schema_migrations (version) VALUES (\(PostgresSchema.migrations.count + 1))")
        try await store.close()
        let error = await #expect(throws: StoreError.self) {
            try await PostgresStore.open(url: url, node: "old", logger: Logger(label: "old"))
        }
        #expect(error?.description.contains("newer than this firebell knows") == true)
    }
}
