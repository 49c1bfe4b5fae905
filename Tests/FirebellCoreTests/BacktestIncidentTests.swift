import Foundation
import Testing

@testable import FirebellCore

/// `firebell backtest` counts the incidents and pages the config under test makes,
/// so a team sees what `alerting.incident_window` does to its pages.
struct BacktestIncidentTests {
    static let yaml = """
        projects:
          - { id: 1, name: checkout, keys: [k] }
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
            notify: [pager]
          - when: { severity: minor }
            notify: [chat]
        """

    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// Six fatal errors of six issues in 8 s, one minor, then an hour later one more fatal.
    func events() -> [Backtest.StoredEvent] {
        let services = ["checkout", "cart", "orders", "payments", "search", "auth"]
        var events = (0..<6).map { n in
            Backtest.StoredEvent(
                projectID: 1, event: Event(eventID: "e\(n)", timestamp: t0, level: .fatal, message: "\(services[n]) down"),
                receivedAt: t0.addingTimeInterval(Double(n) * 1.6))
        }
        events.append(Backtest.StoredEvent(projectID: 1, event: Event(eventID: "m", timestamp: t0, message: "slow"), receivedAt: t0.addingTimeInterval(3)))
        events.append(Backtest.StoredEvent(
            projectID: 1, event: Event(eventID: "late", timestamp: t0, level: .fatal, message: "disk full"), receivedAt: t0.addingTimeInterval(3600)))
        return events.sorted { $0.receivedAt < $1.receivedAt }
    }

    func report(_ alerting: String) throws -> BacktestReport {
        var backtest = Backtest(config: try ConfigLoader.parse(yaml: Self.yaml + alerting, path: "b.yaml", environment: [:]))
        // In batches of two, as stored events are read in pages.
        let all = events()
        for start in stride(from: 0, to: all.count, by: 2) { backtest.replay(Array(all[start..<min(start + 2, all.count)])) }
        return backtest.report(since: t0, owed: [])
    }

    @Test func withIncidentsACascadeIsOnePageAndOneUpdate() throws {
        let report = try report("")
        #expect(report.incidents == 2)
        // The cascade: its first page and one update at 10 s; the late one: a page.
        #expect(report.pages == 3)
        let pager = try #require(report.channels.first { $0.channel == "pager" })
        #expect(pager.would.new == 7 && pager.would.pages == 3 && pager.would.messages == 3)
        #expect(report.channels.first { $0.channel == "chat" }?.would.pages == 0)
        #expect(report.text.contains("pages: 3 messages with critical alerts, in 2 incidents"))
    }

    @Test func withIncidentWindowZeroEveryIssuePagesAlone() throws {
        let report = try report("\nalerting:\n  incident_window: 0s\n")
        #expect(report.incidents == 0 && report.pages == 7)
        #expect(report.channels.first { $0.channel == "pager" }?.would.messages == 7)
    }
}
