import FirebellCore
import Foundation
import Logging
import Testing

@testable import FirebellStore

/// Incidents on a shared PostgreSQL store: nodes that page at once on one route make
/// one incident, and every other page joins it.
struct PostgresIncidentNodeTests {
    let incidents: StoreIncidentContractTests

    init() throws { incidents = try StoreIncidentContractTests() }

    @Test func twoNodesPagingAtOnceOnOneRouteOpenOneIncidentAndTheRestJoinIt() async throws {
        try await PostgresNodeTests().withNodes(["node-a", "node-b"]) { nodes, _ in
            // 2 nodes × 6 batches, each a new critical issue of its own, all at once.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (n, node) in nodes.enumerated() {
                    for b in 0..<6 {
                        let item = IngestItem(
                            projectID: 1 + (b % 3),
                            event: Event(eventID: "\(n)-\(b)", timestamp: incidents.t0, level: .fatal, message: "down \(n) \(b)"),
                            fingerprint: "f\(n)-\(b)", receivedAt: incidents.t0.addingTimeInterval(Double(b) * 0.1))
                        group.addTask { _ = try await node.ingest([item], processor: incidents.processor) }
                    }
                }
                try await group.waitForAll()
            }
            let all = try await nodes[0].incidents(incidents.query(nil, at: 1))
            #expect(all.count == 1)
            let incident = try #require(all.first)
            #expect(incident.endedAt == nil && incident.issueCount == 12)
            let detail = try #require(try await nodes[1].incident(id: incident.id))
            #expect(detail.members.count == 12 && detail.members.filter { !$0.joined }.count == 1)
            #expect(Set(detail.members.map(\.issueID)).count == 12)
            // The first page went at once; everything else is a follow-up of the incident.
            let rows = try await nodes[0].deliveries(status: nil, limit: 100)
            #expect(rows.count == 24)
            #expect(rows.filter { $0.incidentID == nil }.count == 2)
            #expect(rows.filter { $0.incidentID == incident.id }.count == 22)
        }
    }
}
