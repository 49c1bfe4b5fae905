import Foundation
import Testing

@testable import FirebellCore

/// The pure batch processor: decisions from a snapshot, no store, time passed in.
struct BatchProcessorTests {
    static let yaml = """
        projects:
          - { id: 1, name: checkout, keys: [k] }
          - { id: 2, name: cart, keys: [k2] }
        severity:
          critical_at: 100
          rules:
            - name: new issue
              when: { new_issue: true }
              add: 20
            - name: came back
              when: { regression: true }
              add: 20
            - name: spike
              when: { events_in: { window: 5m, over: 3 } }
              add: 100
            - name: many users
              when: { users_in: { window: 1h, over: 2 } }
              add: 40
        channels:
          a: { type: console }
          b: { type: console }
        routes:
          - when: { severity: critical }
            notify: [a, b]
          - when: { severity: minor }
            notify: [a]
            digest: 1h
        alerting:
          repeat_after: 10m
        """

    let config: FirebellConfig
    let processor: BatchProcessor
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    init() throws {
        config = try ConfigLoader.parse(yaml: Self.yaml, path: "b.yaml", environment: [:])
        processor = BatchProcessor(config: config)
    }

    func item(_ id: String, fingerprint: String = "f", project: Int = 1, user: String? = nil, at offset: TimeInterval) -> IngestItem {
        IngestItem(
            projectID: project, event: Event(eventID: id, timestamp: t0, message: "boom", user: user.map { User(id: $0) }),
            fingerprint: fingerprint, receivedAt: t0.addingTimeInterval(offset))
    }

    /// A stream with repeats, spikes, quiet spells, users and retried event ids, over three issues.
    func stream() -> [IngestItem] {
        var items: [IngestItem] = []
        var offset: TimeInterval = 0
        for n in 0..<400 {
            // Bursts of events a few ms apart, then gaps of minutes (windows open and close).
            offset += n % 25 == 0 ? 420 : Double(n % 7) * 0.013 + 0.001
            let fingerprint = ["f", "g", "h"][n % 3 == 0 ? 0 : (n % 5 == 0 ? 2 : 1)]
            let project = n % 11 == 0 ? 2 : 1
            let id = n % 13 == 0 && n > 0 ? "e\(n - 1)" : "e\(n)"  // a reporter's retry
            items.append(item(id, fingerprint: fingerprint, project: project, user: n % 4 == 0 ? nil : "u\(n % 9)", at: offset))
        }
        return items
    }

    /// Runs `items` in batches of `size`; returns the state and every batch's outcomes and deliveries, with ids.
    func replay(_ items: [IngestItem], batchesOf size: Int) -> (state: ReplayState, outcomes: [String], deliveries: [String]) {
        var state = ReplayState()
        var outcomes: [String] = []
        var deliveries: [String] = []
        var start = 0
        while start < items.count {
            let batch = Array(items[start..<min(start + size, items.count)])
            let (change, ids) = state.run(batch, processor: processor)
            for outcome in change.outcomes {
                switch outcome {
                case .stored(let issue, let alert, let score):
                    outcomes.append("\(ids[issue] ?? 0) \(alert.map { "\($0)" } ?? "-") \(score.explanation)")
                case .duplicate:
                    outcomes.append("duplicate")
                }
            }
            for delivery in change.deliveries {
                deliveries.append("\(ids[delivery.issue] ?? 0) \(delivery.channel) \(delivery.alert.kind) \(delivery.due.timeIntervalSince1970) \(delivery.alert.eventsSinceLastAlert)")
            }
            start += size
        }
        return (state, outcomes, deliveries)
    }

    @Test func theSameEventsSplitIntoBatchesDifferentlyMakeTheSameDecisions() {
        let items = stream()
        let whole = replay(items, batchesOf: items.count)
        // The stream makes every kind of decision, or the comparison proves little.
        #expect(whole.outcomes.contains { $0.contains("duplicate") })
        #expect(whole.outcomes.contains { $0.contains(" new ") })
        #expect(whole.outcomes.contains { $0.contains(" escalation ") })
        #expect(whole.outcomes.contains { $0.contains(" repeat ") })
        #expect(whole.outcomes.contains { $0.contains("spike +100") })
        #expect(whole.outcomes.contains { $0.contains("many users +40") })
        for size in [1, 2, 7, 64] {
            let split = replay(items, batchesOf: size)
            #expect(split.outcomes == whole.outcomes, "batches of \(size)")
            #expect(split.deliveries == whole.deliveries, "batches of \(size)")
            #expect(split.state.records == whole.state.records, "batches of \(size)")
        }
    }

    @Test func anEventExactlyOneWindowOldNoLongerCounts() {
        var state = ReplayState()
        // Three events, then a fourth exactly 5 minutes after the first: 3 in the window, not 4.
        _ = state.run([item("a", at: 0), item("b", at: 1), item("c", at: 2)], processor: processor)
        let (change, _) = state.run([item("d", at: 300)], processor: processor)
        guard case .stored(_, _, let score) = change.outcomes.first else { Issue.record("not stored"); return }
        #expect(!score.hits.contains { $0.name == "spike" })
    }

    @Test func anEventJustInsideTheWindowStillCounts() {
        var state = ReplayState()
        _ = state.run([item("a", at: 0), item("b", at: 1), item("c", at: 2)], processor: processor)
        let (change, _) = state.run([item("d", at: 299.998)], processor: processor)
        guard case .stored(_, _, let score) = change.outcomes.first else { Issue.record("not stored"); return }
        #expect(score.hits.contains { $0.name == "spike" })
    }

    @Test func usersCountInTheirWindowUpToItsEdge() {
        var state = ReplayState()
        var (change, _) = state.run([item("a", user: "1", at: 0), item("b", user: "2", at: 10), item("c", user: "3", at: 20)], processor: processor)
        // Two distinct users are not more than 2; the third user's event is "many users".
        let hits = change.outcomes.map { outcome -> Bool in
            if case .stored(_, _, let score) = outcome { return score.hits.contains { $0.name == "many users" } }
            return false
        }
        #expect(hits == [false, false, true])
        (change, _) = state.run([item("d", user: "4", at: 3600)], processor: processor)
        guard case .stored(_, _, let late) = change.outcomes.first else { Issue.record("not stored"); return }
        // At 3600 s user 1 is exactly an hour old: users 2, 3, 4 remain, still over 2.
        #expect(late.hits.contains { $0.name == "many users" })
        (change, _) = state.run([item("e", user: "4", at: 3610.001)], processor: processor)
        guard case .stored(_, _, let later) = change.outcomes.first else { Issue.record("not stored"); return }
        // Now user 2 is out too: users 3 and 4 are not more than 2.
        #expect(!later.hits.contains { $0.name == "many users" })
    }

    @Test func anIssueKeepsOnlyWhatItsRulesCanAskForHoweverLongItsHistory() {
        var state = ReplayState()
        let items = (0..<20_000).map { n in item("e\(n)", user: "user-\(n)", at: Double(n) * 0.01) }
        _ = state.run(items, processor: processor)
        let record = try! #require(state.records[IssueKey(projectID: 1, fingerprint: "f")])
        // over 3 → 4 events kept; over 2 → 3 users kept.
        #expect(record.windows.events.reduce(0) { $0 + $1.count } == 4)
        #expect(record.windows.users.count == 3)
        #expect(record.issue.count == 20_000)
        #expect(record.issue.userCount == 20_000)
    }

    @Test func aDuplicateInTheSameBatchOrAnEarlierOneIsCountedOnce() {
        var state = ReplayState()
        _ = state.run([item("a", at: 0)], processor: processor)
        let (change, _) = state.run([item("a", at: 1), item("b", at: 2), item("b", at: 3)], processor: processor)
        #expect(change.outcomes.map { if case .duplicate = $0 { "dup" } else { "stored" } } == ["dup", "stored", "dup"])
        #expect(change.events.count == 1)
        #expect(state.records[IssueKey(projectID: 1, fingerprint: "f")]?.issue.count == 2)
    }

    @Test func digestRoutesAreDueAtTheEndOfTheirPeriodAndOthersAtOnce() {
        var state = ReplayState()
        let (change, _) = state.run([item("a", at: 10)], processor: processor)
        // A new minor issue (score 20): route a, digest 1h.
        #expect(change.deliveries.count == 1)
        let delivery = try! #require(change.deliveries.first)
        #expect(delivery.digest == 3600)
        #expect(delivery.due == RollUp.digestDue(after: t0.addingTimeInterval(10), period: 3600))
        let (spike, _) = state.run([item("b", at: 11), item("c", at: 12), item("d", at: 13)], processor: processor)
        // The fourth event in 5 minutes escalates: critical goes to a and b at once.
        #expect(spike.deliveries.map(\.channel) == ["a", "b"])
        #expect(spike.deliveries.allSatisfy { $0.digest == nil && $0.due == t0.addingTimeInterval(13) })
    }

    @Test func theRequestNamesEachKeyOnce() {
        let request = processor.request(for: [
            item("a", user: "1", at: 0), item("a", user: "1", at: 1), item("b", fingerprint: "g", user: "1", at: 2),
        ])
        #expect(request.events.count == 2)
        #expect(request.issues.count == 2)
        #expect(request.users.count == 2)
    }
}

struct IssueWindowsTests {
    let limits = WindowLimits(eventWindows: [60, 300], userWindows: [3600], events: 5, users: 3)

    @Test func storedBytesReadBackTheSame() {
        var windows = IssueWindows()
        for n in 0..<40 {
            windows.record(at: Date(timeIntervalSince1970: 1_800_000_000 + Double(n) * 0.7), user: n % 2 == 0 ? "ü-\(n % 7)" : nil, limits: limits)
        }
        #expect(!windows.events.isEmpty && !windows.users.isEmpty)
        #expect(IssueWindows(bytes: windows.encoded()) == windows)
        #expect(IssueWindows(bytes: []) == nil)
        #expect(IssueWindows(bytes: [1, 200]) == nil)
        #expect(IssueWindows(bytes: windows.encoded().dropLast()) == nil)
    }

    @Test func anEventOutOfOrderIsPlacedByItsTime() {
        var windows = IssueWindows()
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        windows.record(at: t.addingTimeInterval(10), user: nil, limits: limits)
        windows.record(at: t, user: nil, limits: limits)
        #expect(windows.events.map(\.millisecond) == [1_800_000_000_000, 1_800_000_010_000])
        // At t + 65 s only the later one is within a minute.
        #expect(windows.events(in: 60, at: t.addingTimeInterval(65), cap: 5) == 1)
        #expect(windows.events(in: 300, at: t.addingTimeInterval(65), cap: 5) == 2)
    }

    @Test func noWindowRulesKeepNothing() {
        var windows = IssueWindows()
        windows.record(at: Date(), user: "u", limits: WindowLimits())
        #expect(windows.isEmpty)
    }
}
