import FirebellCore
import Foundation
import Logging
import Testing

@testable import FirebellStore

/// What every backend keeps of incidents: the ones a batch opens, joins and ends in the
/// batch's own transaction, their issues in order, follow-up rows that name them, and
/// the end that resolving the last of their issues brings.
struct StoreIncidentContractTests {
    typealias Backend = StoreContractTests.Backend

    static let yaml = """
        projects:
          - { id: 1, name: checkout, keys: [k] }
          - { id: 2, name: cart, keys: [k2] }
          - { id: 3, name: orders, keys: [k3] }
        severity:
          critical_at: 100
          rules:
            - name: fatal
              when: { level: fatal }
              add: 100
        channels:
          pager: { type: console }
          chat: { type: console }
        routes:
          - when: { severity: critical }
            notify: [pager, chat]
        """

    let contract: StoreContractTests
    let processor: BatchProcessor
    var t0: Date { contract.t0 }

    init() throws {
        contract = try StoreContractTests()
        processor = BatchProcessor(config: try ConfigLoader.parse(yaml: Self.yaml, path: "i.yaml", environment: [:]))
    }

    func page(_ id: String, project: Int, at offset: TimeInterval) -> IngestItem {
        IngestItem(
            projectID: project, event: Event(eventID: id, timestamp: t0, level: .fatal, message: "down \(project)"),
            fingerprint: "f\(project)", receivedAt: t0.addingTimeInterval(offset))
    }

    func query(_ status: IncidentStatus?, at offset: TimeInterval) -> IncidentQuery {
        IncidentQuery(status: status, quietBefore: t0.addingTimeInterval(offset - 60))
    }

    @Test(arguments: Backend.allCases)
    func theFirstPageIsClaimedAtOnceAndTheIssuesThatJoinWaitAsFollowUpsOfTheIncident(_ backend: Backend) async throws {
        try await contract.with(backend) { store in
            let claim = OutboxClaim(lease: 30)
            let first = try await store.ingest([page("a", project: 1, at: 0)], processor: processor, claim: claim)
            #expect(first.claimed.map(\.channel).sorted() == ["chat", "pager"])
            #expect(first.claimed.allSatisfy { $0.incidentID == nil })
            let joined = try await store.ingest([page("b", project: 2, at: 1), page("c", project: 3, at: 2)], processor: processor, claim: claim)
            #expect(joined.claimed.isEmpty)

            let incidents = try await store.incidents(query(.open, at: 3))
            let incident = try #require(incidents.first)
            #expect(incidents.count == 1 && incident.route == "chat,pager" && incident.issueCount == 3)
            #expect(incident.openedAt == t0 && incident.lastJoinedAt == t0.addingTimeInterval(2))
            #expect(incident.lastUpdateDue == t0.addingTimeInterval(10))
            let firstIssue = try #require(try await store.issue(projectID: 1, fingerprint: "f1")?.id)
            #expect(incident.firstPage.issueID == firstIssue && incident.firstPage.projectName == "checkout")

            let followUps = try await store.deliveries(status: .pending, limit: 20).filter { $0.incidentID != nil }
            #expect(followUps.count == 4)
            #expect(followUps.allSatisfy { $0.incidentID == incident.id && $0.nextAttemptAt == t0.addingTimeInterval(10) && $0.attempts == 0 })
            // Not due before the update: a claim before then leaves them.
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(9), limit: 10, lease: 30).isEmpty)
            // Due: all together, one update per channel, however little room the claim has.
            let due = try await store.claimDeliveries(
                now: t0.addingTimeInterval(10), limit: 1, lease: 30, room: ChannelRoom(perChannel: ["chat": 1, "pager": 1]))
            #expect(due.count == 4)

            let detail = try #require(try await store.incident(id: incident.id))
            #expect(detail.members.map { "\($0.issue.projectID) \($0.kind) \($0.joined)" } == ["1 new false", "2 new true", "3 new true"])
            #expect(detail.members.map(\.at) == [t0, t0.addingTimeInterval(1), t0.addingTimeInterval(2)])
            #expect(try await store.incident(id: incident.id + 100) == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func resolvingTheLastOpenIssueOfAnIncidentEndsIt(_ backend: Backend) async throws {
        try await contract.with(backend) { store in
            _ = try await store.ingest([page("a", project: 1, at: 0), page("b", project: 2, at: 1)], processor: processor)
            let ids = try await store.issues(IssueQuery()).map(\.id).sorted()
            let incident = try #require(try await store.incidents(query(nil, at: 2)).first)
            _ = try await store.resolve(issueID: ids[0], at: t0.addingTimeInterval(5))
            #expect(try await store.incident(id: incident.id)?.incident.endedAt == nil)
            _ = try await store.resolve(issueID: ids[1], at: t0.addingTimeInterval(6))
            let ended = try #require(try await store.incident(id: incident.id)?.incident)
            #expect(ended.endedAt == t0.addingTimeInterval(6) && ended.endReason == .resolved)
            #expect(try await store.incidents(query(.open, at: 7)).isEmpty)
            // The next critical page opens a new incident.
            _ = try await store.ingest([page("c", project: 3, at: 8)], processor: processor)
            #expect(try await store.incidents(query(.open, at: 9)).map(\.firstPage.projectName) == ["orders"])
        }
    }

    @Test(arguments: Backend.allCases)
    func aQuietIncidentIsRecordedEndedWhenItsRouteOpensTheNext(_ backend: Backend) async throws {
        try await contract.with(backend) { store in
            _ = try await store.ingest([page("a", project: 1, at: 0)], processor: processor)
            // Listed as ended once a window passed, although not yet recorded so.
            #expect(try await store.incidents(query(.ended, at: 60)).count == 1)
            #expect(try await store.incidents(query(.open, at: 59)).count == 1)
            _ = try await store.ingest([page("b", project: 2, at: 61)], processor: processor)
            let all = try await store.incidents(query(nil, at: 62))
            #expect(all.map(\.firstPage.projectName) == ["cart", "checkout"])
            #expect(all.last?.endedAt == t0.addingTimeInterval(60) && all.last?.endReason == .quiet)
            #expect(try await store.incidents(query(.open, at: 62)).map(\.id) == [all[0].id])
            #expect(try await store.incidents(IncidentQuery(quietBefore: t0, limit: 1)).count == 1)
        }
    }
}
