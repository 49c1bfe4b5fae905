import FirebellCore
import Foundation
import Logging
import Testing

@testable import FirebellStore

/// `backtest` replays what ingest stored through the same processor: with the same
/// config it must owe exactly what ingest owed; with another, what that config owes.
struct BacktestTests {
    static let yaml = """
        projects:
          - { id: 1, name: checkout, keys: [k] }
        severity:
          critical_at: 100
          rules:
            - name: production
              when: { environment: production }
              add: 60
            - name: new issue
              when: { new_issue: true }
              add: 20
            - name: spike
              when: { events_in: { window: 5m, over: 4 } }
              add: 50
            - name: many users
              when: { users_in: { window: 1h, over: 3 } }
              add: 30
        channels:
          chat: { type: console }
          pager: { type: console }
        routes:
          - when: { severity: critical }
            notify: [chat, pager]
          - when: { severity: minor }
            notify: [chat]
        alerting:
          repeat_after: 10m
          channel_rate: 2/h
        """

    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func config(_ yaml: String = Self.yaml) throws -> FirebellConfig {
        try ConfigLoader.parse(yaml: yaml, path: "t.yaml", environment: [:])
    }

    /// Events over an afternoon: new issues, spikes, repeats after quiet spells, many users.
    func events() -> [Backtest.StoredEvent] {
        (0..<300).map { n in
            let offset = Double(n / 20) * 700 + Double(n % 20) * 2.5
            let event = Event(
                eventID: "e\(n)", timestamp: t0, message: "failure in \(["cart", "checkout", "login", "search", "payment", "profile"][(n / 50) % 6])",
                environment: n % 4 == 0 ? "staging" : "production", user: User(id: "u\(n % 7)"))
            return Backtest.StoredEvent(projectID: 1, event: event, receivedAt: t0.addingTimeInterval(offset))
        }
    }

    func ingest(_ events: [Backtest.StoredEvent], into store: any Store, config: FirebellConfig) async throws {
        let processor = BatchProcessor(config: config)
        let fingerprinter = Fingerprinter(rules: config.grouping)
        var start = 0
        var size = 1
        while start < events.count {
            // Batches of varying size, as concurrent requests make them.
            let batch = events[start..<min(start + size, events.count)].map { stored in
                IngestItem(
                    projectID: stored.projectID, event: stored.event, fingerprint: fingerprinter.fingerprint(stored.event).hash,
                    receivedAt: stored.receivedAt)
            }
            _ = try await store.ingest(batch, processor: processor)
            start += size
            size = size % 13 + 1
        }
    }

    func replay(_ store: any Store, config: FirebellConfig) async throws -> BacktestReport {
        var backtest = Backtest(config: config)
        var cursor: EventCursor?
        var pages = 0
        repeat {
            let (page, next) = try await store.storedEvents(since: t0, after: cursor, limit: 37)
            backtest.replay(page)
            cursor = next
            pages += 1
        } while cursor != nil
        #expect(pages > 1)  // paging is exercised
        return backtest.report(since: t0, owed: try await store.owedAlerts(since: t0))
    }

    @Test(arguments: StoreContractTests.Backend.allCases)
    func ingestAndBacktestMakeTheSameDecisionsForTheSameEventsAndConfig(_ backend: StoreContractTests.Backend) async throws {
        try await StoreContractTests().with(backend) { store in
            let config = try config()
            try await ingest(events(), into: store, config: config)
            let report = try await replay(store, config: config)
            #expect(report.events == 300)
            #expect(report.issues == 6)
            let stored = try await store.issues(IssueQuery(limit: 100))
            #expect(stored.count == report.issues)
            for channel in report.channels {
                let (would, did) = (channel.would, channel.did)
                let owed: [Int] = [would.new, would.regression, would.escalation, would.repeat, would.critical]
                let owedThen: [Int] = [did.new, did.regression, did.escalation, did.repeat, did.critical]
                #expect(owed == owedThen, "\(channel.channel)")
            }
            // Every kind of decision was made, or the comparison proves little.
            let chat = try #require(report.channels.first { $0.channel == "chat" })
            #expect(chat.did.new == 6 && chat.did.escalation > 0 && chat.did.repeat > 0 && chat.did.critical > 0)
            // 2/h on the chat channel: alerts beyond it roll up.
            #expect((chat.would.rollUps ?? 0) > 0 && (chat.would.messages ?? 0) < chat.would.alerts)
            #expect(report.rules.map(\.name) == ["production", "new issue", "spike", "many users"])
            #expect(report.rules[0].events == 225 && report.rules[0].points == 225 * 60)
            #expect(report.rules[1].events == 6)
        }
    }

    @Test(arguments: StoreContractTests.Backend.allCases)
    func aChangedRuleShowsWhatItWouldHaveDone(_ backend: StoreContractTests.Backend) async throws {
        try await StoreContractTests().with(backend) { store in
            try await ingest(events(), into: store, config: try config())
            let rows = try await store.deliveries(status: nil, limit: 10_000)
            let issues = try await store.issues(IssueQuery(limit: 100))
            // Without the spike rule nothing escalates and the pager hears less.
            let quieter = try config(Self.yaml.replacingOccurrences(of: "add: 50", with: "add: 0"))
            let report = try await replay(store, config: quieter)
            let chat = try #require(report.channels.first { $0.channel == "chat" })
            #expect(chat.would.escalation < chat.did.escalation)
            #expect(report.rules[2].points == 0 && report.rules[2].events > 0)
            let pager = report.channels.first { $0.channel == "pager" }
            #expect((pager?.would.alerts ?? 0) < (pager?.did.alerts ?? 0))
            // Nothing was written: the outbox and the issues are as ingest left them.
            #expect(try await store.deliveries(status: nil, limit: 10_000) == rows)
            #expect(try await store.issues(IssueQuery(limit: 100)) == issues)
        }
    }
}
