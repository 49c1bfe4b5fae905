import Foundation
import Testing

@testable import FirebellCore

/// Incidents as the batch processor decides them: one decision per change, on the
/// open incidents of the snapshot, committed with the change (here in a `ReplayState`).
struct IncidentBatchTests {
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
            - name: many users
              when: { users_in: { window: 1h, over: 2 } }
              add: 100
        channels:
          pager: { type: console }
          chat: { type: console }
          summary: { type: console }
        routes:
          - when: { severity: critical }
            notify: [pager, chat]
          - when: { severity: critical }
            notify: [summary]
            digest: 1h
          - when: { severity: minor }
            notify: [chat]
        """

    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func processor(_ alerting: String = "") throws -> BatchProcessor {
        BatchProcessor(config: try ConfigLoader.parse(yaml: Self.yaml + alerting, path: "i.yaml", environment: [:]))
    }

    func item(_ id: String, project: Int, level: Level = .fatal, user: String? = nil, at offset: TimeInterval) -> IngestItem {
        IngestItem(
            projectID: project, event: Event(eventID: id, timestamp: t0, level: level, message: "down \(project)", user: user.map { User(id: $0) }),
            fingerprint: "f\(project)", receivedAt: t0.addingTimeInterval(offset))
    }

    /// "channel kind due incident?" per delivery.
    func describe(_ deliveries: [OwedDelivery]) -> [String] {
        deliveries.map { "\($0.issue.projectID) \($0.channel) \($0.alert.kind) \(Int($0.due.timeIntervalSince(t0))) \($0.incident.map(String.init) ?? "-")" }
    }

    @Test func aCascadePagesOnceAndTheRestFollowUpTogether() throws {
        let processor = try processor()
        var state = ReplayState()
        let (change, _) = state.run([item("a", project: 1, at: 0), item("b", project: 2, at: 1), item("c", project: 3, at: 2)], processor: processor)
        #expect(describe(change.deliveries) == [
            // The page goes at once, exactly as without incidents; digests are untouched.
            "1 pager new 0 -", "1 chat new 0 -", "1 summary new 3600 -",
            "2 pager new 10 -1", "2 chat new 10 -1", "2 summary new 3600 -",
            "3 pager new 10 -1", "3 chat new 10 -1", "3 summary new 3600 -",
        ])
        #expect(change.incidents.map(\.id) == [-1] && change.incidents.first?.route == "chat,pager")
        #expect(change.incidentMembers.map { "\($0.issue.projectID) \($0.joined)" } == ["1 false", "2 true", "3 true"])
        #expect(state.openedIncidents == [-1: 1])
        #expect(state.incident(id: 1)?.members.map(\.issueID) == [1, 2, 3])
        #expect(state.incident(id: 1)?.incident.firstPage.issueID == 1)
    }

    @Test func aLaterBatchJoinsTheOpenIncidentFromItsSnapshot() throws {
        let processor = try processor()
        var state = ReplayState()
        _ = state.run([item("a", project: 1, at: 0)], processor: processor)
        let (change, _) = state.run([item("b", project: 2, at: 12)], processor: processor)
        // The first follow-up is due an update after the page; 12 s is past it: at once.
        #expect(describe(change.deliveries).filter { !$0.contains("summary") } == ["2 pager new 12 1", "2 chat new 12 1"])
        #expect(change.incidents.map(\.id) == [1] && change.incidents.first?.issueCount == 2)
    }

    @Test func anEscalationAsUsersPileUpJoinsTheIncident() throws {
        let processor = try processor()
        var state = ReplayState()
        _ = state.run([item("a", project: 1, at: 0)], processor: processor)
        // A minor new issue goes to chat alone; its third user makes it critical.
        let minor = state.run([item("b", project: 2, level: .error, user: "u1", at: 1)], processor: processor).change
        #expect(describe(minor.deliveries) == ["2 chat new 1 -"])
        let users = [item("c", project: 2, level: .error, user: "u2", at: 2), item("d", project: 2, level: .error, user: "u3", at: 3)]
        let change = state.run(users, processor: processor).change
        #expect(describe(change.deliveries).filter { !$0.contains("summary") } == ["2 pager escalation 10 1", "2 chat escalation 10 1"])
    }

    @Test func incidentWindowZeroPagesEachIssueAlone() throws {
        let processor = try processor("\nalerting:\n  incident_window: 0s\n")
        var state = ReplayState()
        let (change, _) = state.run([item("a", project: 1, at: 0), item("b", project: 2, at: 1)], processor: processor)
        #expect(describe(change.deliveries).filter { !$0.contains("summary") } == [
            "1 pager new 0 -", "1 chat new 0 -", "2 pager new 1 -", "2 chat new 1 -",
        ])
        #expect(change.incidents.isEmpty && processor.request(for: []).openIncidents == false)
    }

    @Test func aQuietIncidentEndsAndTheNextPageOpensANewOneInTheSameChange() throws {
        let processor = try processor()
        var state = ReplayState()
        let (change, _) = state.run([item("a", project: 1, at: 0), item("b", project: 2, at: 61)], processor: processor)
        #expect(change.incidents.map { "\($0.id) \($0.endReason?.rawValue ?? "open")" } == ["-1 quiet", "-2 open"])
        #expect(state.incidents.values.filter { $0.endedAt == nil }.map(\.id) == [2])
    }

    @Test func resolvingTheLastOpenIssueEndsTheIncident() throws {
        let processor = try processor()
        var state = ReplayState()
        _ = state.run([item("a", project: 1, at: 0), item("b", project: 2, at: 1)], processor: processor)
        _ = state.update(id: 1) { $0.status = .resolved }
        state.endIncidents(resolving: 1, at: t0.addingTimeInterval(5))
        #expect(state.incidents[1]?.endedAt == nil)
        _ = state.update(id: 2) { $0.status = .resolved }
        state.endIncidents(resolving: 2, at: t0.addingTimeInterval(6))
        #expect(state.incidents[1]?.endedAt == t0.addingTimeInterval(6) && state.incidents[1]?.endReason == .resolved)
    }
}
