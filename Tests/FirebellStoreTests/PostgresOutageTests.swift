import FirebellCore
import Foundation
import Logging
import Testing

@testable import FirebellStore

/// A store whose database goes away: it fails in bounded time (the daemon answers 503)
/// and works again by itself when the database is back. On a server of its own, since
/// it stops it.
struct PostgresOutageTests {
    @Test func aStoreWhoseDatabaseIsGoneFailsWithinItsWaitAndRecoversByItself() async throws {
        let contract = try StoreContractTests()
        let server = try TestPostgres.Server.launch()
        defer { server.remove() }
        let store = try await PostgresStore.open(
            url: try await TestPostgres.database(on: server), poolSize: 2, node: "node-a", logger: Logger(label: "outage"))
        _ = try await store.ingest([contract.item("a")], processor: contract.processor)

        try server.stop()
        let clock = ContinuousClock()
        for (n, id) in ["b", "c"].enumerated() {
            let started = clock.now
            await #expect(throws: (any Error).self) {
                try await store.ingest([contract.item(id, at: Double(n + 1))], processor: contract.processor)
            }
            // Without a bound the pool holds a request for a minute while it tries to connect.
            #expect(clock.now - started < PostgresStore.connectionWait + .seconds(3))
        }

        try server.restart()
        var recovered = false
        for _ in 0..<120 where !recovered {
            recovered = (try? await store.ping()) != nil
            if !recovered { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(recovered)
        #expect(try await store.ingest([contract.item("d", at: 4)], processor: contract.processor).count == 1)
        #expect(try await store.issues(IssueQuery()).first?.count == 2)
        try await store.close()
    }
}
