import Foundation
import Testing

@testable import FirebellCore

/// Deploy context (`alerting.deploy_window`): which alerts say "N new issues since
/// <release> (first seen M min ago)", decided by the batch processor from the releases
/// in its snapshot, with the time passed in.
struct DeployContextTests {
    static func yaml(deployWindow: String? = nil) -> String {
        """
        projects:
          - { id: 1, name: shop, keys: [k] }
          - { id: 2, name: admin, keys: [k2] }
        severity:
          critical_at: 100
          rules:
            - name: spike
              when: { events_in: { window: 5m, over: 2 } }
              add: 100
        channels:
          a: { type: console }
        routes:
          - notify: [a]
        alerting:
          repeat_after: 1m
        """ + (deployWindow.map { "\n  deploy_window: \($0)\n" } ?? "\n")
    }

    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func processor(deployWindow: String? = nil) throws -> BatchProcessor {
        BatchProcessor(config: try ConfigLoader.parse(yaml: Self.yaml(deployWindow: deployWindow), path: "d.yaml", environment: [:]))
    }

    func item(
        _ id: String, fingerprint: String, release: String? = "shop@2.0.0", project: Int = 1, at offset: TimeInterval
    ) -> IngestItem {
        IngestItem(
            projectID: project, event: Event(eventID: id, timestamp: t0, message: "boom \(fingerprint)", release: release),
            fingerprint: fingerprint, receivedAt: t0.addingTimeInterval(offset))
    }

    /// The alert each item owes (nil for none), batch by batch through one replay state.
    func alerts(_ batches: [[IngestItem]], processor: BatchProcessor, state: inout ReplayState) -> [Alert?] {
        batches.flatMap { batch in
            let (change, _) = state.run(batch, processor: processor)
            var byIssue: [IssueKey: [Alert]] = [:]
            for delivery in change.deliveries { byIssue[delivery.issue, default: []].append(delivery.alert) }
            return change.outcomes.map { outcome -> Alert? in
                guard case .stored(let issue, let kind, _) = outcome, kind != nil else { return nil }
                return byIssue[issue]?.removeFirst()
            }
        }
    }

    func alerts(_ batches: [[IngestItem]], processor: BatchProcessor) -> [Alert?] {
        var state = ReplayState()
        return alerts(batches, processor: processor, state: &state)
    }

    // MARK: What the page says

    @Test func eachNewIssueOfAFreshReleaseCountsTheIssuesItBrought() throws {
        let alerts = alerts([
            [item("e1", fingerprint: "a", at: 0)],
            [item("e2", fingerprint: "b", at: 60), item("e3", fingerprint: "a", at: 61)],
            [item("e4", fingerprint: "c", at: 250)],
        ], processor: try processor())
        #expect(alerts.map { $0?.deploy?.newIssues } == [1, 2, nil, 3])
        let third = try #require(alerts[3]?.deploy)
        #expect(third == DeployContext(release: "shop@2.0.0", firstSeen: t0, newIssues: 3))
        #expect(AlertText(alerts[3]!, baseURL: "http://x").deployLine == "3 new issues since shop@2.0.0 (first seen 4 min ago)")
        #expect(AlertText(alerts[0]!, baseURL: "http://x").deployLine == "1 new issue since shop@2.0.0 (first seen just now)")
    }

    @Test func aReleaseFirstSeenJustInsideTheWindowIsFreshAndAtItsEdgeIsNot() throws {
        let processor = try processor()
        let stored = ReleaseRecord(firstSeen: t0, lastSeen: t0, newIssues: 4)
        let key = ReleaseKey(projectID: 1, version: "shop@2.0.0")
        let inside = processor.process([item("e1", fingerprint: "a", at: 1799)], snapshot: BatchSnapshot(releases: [key: stored]))
        #expect(inside.deliveries.first?.alert.deploy == DeployContext(release: "shop@2.0.0", firstSeen: t0, newIssues: 5))
        #expect(inside.deliveries.first.map { AlertText($0.alert, baseURL: "").deployLine }
            == "5 new issues since shop@2.0.0 (first seen 29 min ago)")
        let edge = processor.process([item("e1", fingerprint: "a", at: 1800)], snapshot: BatchSnapshot(releases: [key: stored]))
        #expect(edge.deliveries.count == 1)
        #expect(edge.deliveries.first?.alert.deploy == nil)
        // Still counted: the release's row goes on adding up.
        #expect(edge.releases == [ReleaseChange(key: key, firstSeen: t0.addingTimeInterval(1800), lastSeen: t0.addingTimeInterval(1800), newIssues: 1)])
    }

    @Test func aConfiguredWindowIsUsed() throws {
        let processor = try processor(deployWindow: "2m")
        let stored = ReleaseRecord(firstSeen: t0, lastSeen: t0)
        let key = ReleaseKey(projectID: 1, version: "shop@2.0.0")
        let inside = processor.process([item("e1", fingerprint: "a", at: 119)], snapshot: BatchSnapshot(releases: [key: stored]))
        let past = processor.process([item("e1", fingerprint: "a", at: 120)], snapshot: BatchSnapshot(releases: [key: stored]))
        #expect(inside.deliveries.first?.alert.deploy != nil)
        #expect(past.deliveries.first?.alert.deploy == nil)
    }

    @Test func aZeroWindowTurnsItOff() throws {
        let alerts = alerts([[item("e1", fingerprint: "a", at: 0), item("e2", fingerprint: "b", at: 1)]], processor: try processor(deployWindow: "0s"))
        #expect(alerts.count == 2)
        #expect(alerts.allSatisfy { $0 != nil && $0?.deploy == nil })
    }

    @Test func anEventWithoutAReleaseSaysNothingAndTouchesNoRelease() throws {
        let processor = try processor()
        let items = [item("e1", fingerprint: "a", release: nil, at: 0), item("e2", fingerprint: "b", release: "", at: 1)]
        #expect(processor.request(for: items).releases.isEmpty)
        let change = processor.process(items, snapshot: BatchSnapshot())
        #expect(change.deliveries.count == 2)
        #expect(change.deliveries.allSatisfy { $0.alert.deploy == nil })
        #expect(change.releases.isEmpty)
    }

    @Test func twoProjectsWithTheSameReleaseNameCountApart() throws {
        let alerts = alerts([
            [item("e1", fingerprint: "a", at: 0), item("e2", fingerprint: "b", at: 10)],
            // Project 2 names its release alike 40 minutes later: fresh for it, and its first.
            [item("e3", fingerprint: "a", project: 2, at: 2400)],
            [item("e4", fingerprint: "c", at: 2410)],
        ], processor: try processor())
        #expect(alerts[2]?.deploy == DeployContext(release: "shop@2.0.0", firstSeen: t0.addingTimeInterval(2400), newIssues: 1))
        #expect(alerts[3]?.deploy == nil)  // project 1's is 40 min old
        #expect(alerts[1]?.deploy?.newIssues == 2)
    }

    @Test func aRegressionSaysSoButIsNoNewIssue() throws {
        let processor = try processor()
        var state = ReplayState()
        _ = alerts([[item("e1", fingerprint: "a", release: "shop@1.0.0", at: 0)]], processor: processor, state: &state)
        let id = try #require(state.records[IssueKey(projectID: 1, fingerprint: "a")]?.issue.id)
        _ = state.update(id: id) { issue in
            issue.status = .resolved
            issue.resolvedAt = self.t0.addingTimeInterval(10)
        }
        let alerts = alerts([
            [item("e2", fingerprint: "b", at: 3600)],
            [item("e3", fingerprint: "a", at: 3660)],
        ], processor: processor, state: &state)
        #expect(alerts[1]?.kind == .regression)
        #expect(alerts[1]?.deploy == DeployContext(release: "shop@2.0.0", firstSeen: t0.addingTimeInterval(3600), newIssues: 1))
        #expect(state.releases[ReleaseKey(projectID: 1, version: "shop@2.0.0")]?.newIssues == 1)
    }

    @Test func repeatsAndEscalationsSayNothing() throws {
        let alerts = alerts([
            [item("e1", fingerprint: "a", at: 0)],
            [item("e2", fingerprint: "a", at: 1), item("e3", fingerprint: "a", at: 2)],  // spike: escalation
            [item("e4", fingerprint: "a", at: 400)],  // past repeat_after: a repeat
        ], processor: try processor())
        #expect(alerts.map { $0?.kind } == [.new, nil, .escalation, .repeat])
        #expect(alerts.map { $0?.deploy == nil } == [false, true, true, true])
    }

    // MARK: What the store is asked and told

    @Test func theBatchAsksForEachReleaseOnceAndMergesWhatItSaw() throws {
        let processor = try processor()
        let items = [
            item("e1", fingerprint: "a", release: "shop@2.0.0", at: 5),
            item("e2", fingerprint: "b", release: "shop@1.9.0", at: 3),
            item("e3", fingerprint: "a", release: "shop@2.0.0", at: 9),
            item("e4", fingerprint: "c", release: "shop@2.0.0", project: 2, at: 7),
        ]
        let request = processor.request(for: items)
        #expect(request.releases == [
            ReleaseKey(projectID: 1, version: "shop@2.0.0"), ReleaseKey(projectID: 1, version: "shop@1.9.0"),
            ReleaseKey(projectID: 2, version: "shop@2.0.0"),
        ])
        let stored = ReleaseRecord(firstSeen: t0.addingTimeInterval(-60), lastSeen: t0, newIssues: 2)
        let change = processor.process(items, snapshot: BatchSnapshot(releases: [ReleaseKey(projectID: 1, version: "shop@2.0.0"): stored]))
        // The batch's own sightings, in key order, for the store to merge: new issues as a delta.
        #expect(change.releases == [
            ReleaseChange(key: ReleaseKey(projectID: 1, version: "shop@1.9.0"), firstSeen: t0.addingTimeInterval(3), lastSeen: t0.addingTimeInterval(3), newIssues: 1),
            ReleaseChange(key: ReleaseKey(projectID: 1, version: "shop@2.0.0"), firstSeen: t0.addingTimeInterval(5), lastSeen: t0.addingTimeInterval(9), newIssues: 1),
            ReleaseChange(key: ReleaseKey(projectID: 2, version: "shop@2.0.0"), firstSeen: t0.addingTimeInterval(7), lastSeen: t0.addingTimeInterval(7), newIssues: 1),
        ])
        #expect(change.deliveries[0].alert.deploy == DeployContext(release: "shop@2.0.0", firstSeen: t0.addingTimeInterval(-60), newIssues: 3))
        #expect(stored.merging(change.releases[1]) == ReleaseRecord(firstSeen: t0.addingTimeInterval(-60), lastSeen: t0.addingTimeInterval(9), newIssues: 3))
    }

    @Test func aDuplicateEventChangesNoRelease() throws {
        let processor = try processor()
        let items = [item("e1", fingerprint: "a", at: 0)]
        let change = processor.process(items, snapshot: BatchSnapshot(knownEvents: [items[0].eventKey]))
        #expect(change.releases.isEmpty)
    }

    // MARK: Words

    @Test func theLineCountsInWordsAndMinutesFromTheAlert() {
        let first = Date(timeIntervalSince1970: 1_000_000)
        let line = { (count: Int, seconds: TimeInterval) in
            DeployContext(release: "shop@2.0.0", firstSeen: first, newIssues: count).summary(at: first.addingTimeInterval(seconds))
        }
        #expect(line(7, 4 * 60 + 59) == "7 new issues since shop@2.0.0 (first seen 4 min ago)")
        #expect(line(1, 59) == "1 new issue since shop@2.0.0 (first seen just now)")
        #expect(line(0, 60) == "No new issues since shop@2.0.0 (first seen 1 min ago)")
        #expect(line(2, -5) == "2 new issues since shop@2.0.0 (first seen just now)")  // another node's clock ahead
        #expect(line(3, 3 * 3600) == "3 new issues since shop@2.0.0 (first seen 3 h ago)")
    }

    @Test func aResolveSaysNothingOfADeploy() {
        var alert = Alert(
            kind: .resolved, issueID: 1, projectID: 1, projectName: "shop", severity: .minor, title: "t", culprit: nil,
            level: .error, environment: nil, release: "shop@2.0.0", score: 0, explanation: "", count: 1,
            eventsSinceLastAlert: 0, userCount: 0, firstSeen: t0, lastSeen: t0, topFrames: [], createdAt: t0,
            deploy: DeployContext(release: "shop@2.0.0", firstSeen: t0, newIssues: 1))
        #expect(AlertText(alert, baseURL: "").deployLine == nil)
        alert.kind = .new
        #expect(AlertText(alert, baseURL: "").plain.contains("\n1 new issue since shop@2.0.0 (first seen just now)\n"))
    }

    // MARK: Config

    @Test func theWindowDefaultsToHalfAnHourAndZeroIsAllowed() throws {
        #expect(try ConfigFixture.load(Self.yaml()).alerting.deployWindow == 1800)
        #expect(try ConfigFixture.load(Self.yaml(deployWindow: "0s")).alerting.deployWindow == 0)
        #expect(try ConfigFixture.load(Self.yaml(deployWindow: "10m")).alerting.deployWindow == 600)
    }
}
