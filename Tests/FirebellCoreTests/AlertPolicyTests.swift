import Foundation
import Testing

@testable import FirebellCore

/// The alert decisions of DESIGN §4, driven through `IssueProcessor` with a clock we move by hand.
struct AlertPolicyTests {
    static let yaml = """
        projects:
          - { id: 1, name: checkout, keys: [k] }
        severity:
          critical_at: 100
          rules:
            - name: production errors
              when: { environment: production }
              add: 60
            - name: new issue
              when: { new_issue: true }
              add: 20
            - name: came back
              when: { regression: true }
              add: 20
            - name: spike
              when: { events_in: { window: 5m, over: 3 } }
              add: 50
        channels:
          a: { type: console }
          b: { type: console }
        routes:
          - when: { severity: critical }
            notify: [a, b]
          - when: { severity: [minor, critical] }
            notify: [a]
        alerting:
          repeat_after: 1h
        """

    let processor: IssueProcessor
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    init() throws {
        processor = IssueProcessor(config: try ConfigLoader.parse(yaml: Self.yaml, path: "test.yaml", environment: [:]))
    }

    func event(_ environment: String = "production") -> Event {
        Event(eventID: UUID().uuidString, timestamp: start, message: "boom", environment: environment)
    }

    /// Feeds one event as the store would, returning the decision; `events` is the 5m window count.
    func feed(_ issue: FirebellCore.Issue?, at now: Date, events: Int = 1, environment: String = "production") -> IssueDecision {
        processor.process(
            event(environment), fingerprint: "f", projectID: 1, existing: issue,
            stats: IssueStats(eventsInWindow: [300: events], userCount: 0), now: now)
    }

    @Test func firstEventOfAnIssueAlertsAsNew() {
        let decision = feed(nil, at: start)
        #expect(decision.alert?.kind == .new)
        #expect(decision.issue.severity == .minor)  // 60 + 20 = 80 < 100
        #expect(decision.alert?.explanation == "score 80 < 100: production errors +60, new issue +20")
        #expect(decision.alert?.projectName == "checkout")
        #expect(decision.routes.map(\.channel) == ["a"])
    }

    @Test func repeatedEventDoesNotAlertAgainWithinRepeatAfter() {
        var issue = feed(nil, at: start).issue
        for minute in 1...59 {
            let decision = feed(issue, at: start.addingTimeInterval(Double(minute) * 60))
            #expect(decision.alert == nil)
            issue = decision.issue
        }
        #expect(issue.count == 60)
        #expect(issue.eventsSinceAlert == 59)
    }

    @Test func firstEventAfterRepeatAfterAlertsWithTheCountSinceTheLastAlert() {
        var issue = feed(nil, at: start).issue
        issue = feed(issue, at: start.addingTimeInterval(10)).issue
        issue = feed(issue, at: start.addingTimeInterval(20)).issue
        let decision = feed(issue, at: start.addingTimeInterval(3600))
        #expect(decision.alert?.kind == .repeat)
        #expect(decision.alert?.eventsSinceLastAlert == 3)
        #expect(AlertText(decision.alert!, baseURL: "http://x").whatHappened.contains("3 more events since the last alert"))
        #expect(decision.issue.eventsSinceAlert == 0)
        // And the clock for the next repeat starts again.
        #expect(feed(decision.issue, at: start.addingTimeInterval(3601)).alert == nil)
    }

    @Test func eventAfterResolveIsARegressionAndStartsSeverityAgain() {
        var issue = feed(nil, at: start, events: 10).issue
        issue = feed(issue, at: start.addingTimeInterval(1), events: 10).issue
        #expect(issue.severity == .critical)  // spike: 60 + 50 = 110
        issue.status = .resolved
        let decision = feed(issue, at: start.addingTimeInterval(60), environment: "staging")
        #expect(decision.alert?.kind == .regression)
        #expect(decision.issue.status == .open)
        // staging, regression +20 only: resolving reset the severity.
        #expect(decision.issue.severity == .minor)
        #expect(decision.issue.explanation.contains("came back +20"))
    }

    @Test func minorToCriticalIsAnEscalationEvenWithinRepeatAfter() {
        let first = feed(nil, at: start, events: 1)
        #expect(first.issue.severity == .minor)
        let spike = feed(first.issue, at: start.addingTimeInterval(30), events: 4)
        #expect(spike.alert?.kind == .escalation)
        #expect(spike.issue.severity == .critical)
        #expect(spike.routes.map(\.channel) == ["a", "b"])  // a once, though two routes name it
        #expect(spike.alert?.explanation.hasPrefix("score 110 ≥ 100") == true)
    }

    @Test func severityOnlyRisesWhileOpen() {
        let spike = feed(feed(nil, at: start).issue, at: start.addingTimeInterval(1), events: 4)
        let calm = feed(spike.issue, at: start.addingTimeInterval(2), events: 1, environment: "staging")
        #expect(calm.alert == nil)
        #expect(calm.issue.severity == .critical)
    }

    /// Muted as the store mutes it: the severity it had is kept with the mute.
    func muted(_ issue: FirebellCore.Issue, _ mute: Mute) -> FirebellCore.Issue {
        var issue = issue
        issue.status = .muted
        issue.mute = mute
        issue.mute?.severity = issue.severity
        return issue
    }

    @Test func mutedIssueNeverAlertsUntilTheMuteEnds() {
        let issue = muted(feed(nil, at: start).issue, Mute(until: start.addingTimeInterval(7200)))
        let quiet = feed(issue, at: start.addingTimeInterval(3700))
        #expect(quiet.alert == nil)
        let after = feed(quiet.issue, at: start.addingTimeInterval(7300))
        #expect(after.alert?.kind == .repeat)
        #expect(after.alert?.eventsSinceLastAlert == 2)
        #expect(after.issue.status == .open)
    }

    @Test func anIssueThatGotWorseWhileMutedEscalatesWhenTheMuteEnds() {
        let issue = muted(feed(nil, at: start).issue, Mute(until: start.addingTimeInterval(600)))
        let escalated = feed(issue, at: start.addingTimeInterval(300), events: 9)
        #expect(escalated.alert == nil)
        #expect(escalated.issue.severity == .critical)
        // Within repeat_after of the last alert, and still it goes: it would have paged.
        let after = feed(escalated.issue, at: start.addingTimeInterval(700))
        #expect(after.alert?.kind == .escalation)
        #expect(after.alert?.severity == .critical)
        #expect(after.alert?.explanation.hasPrefix("became critical while muted; score ") == true)
        #expect(after.issue.explanation.hasPrefix("score "))
        #expect(after.routes.map(\.channel) == ["a", "b"])
    }

    @Test func aMuteEndingByTimeWaitsForRepeatAfterLikeAnyOpenIssue() {
        // Alerted at start, muted for 10 minutes: the first event after the mute is
        // 11 minutes after the last alert, so it waits until the hour is up.
        let issue = muted(feed(nil, at: start).issue, Mute(until: start.addingTimeInterval(600)))
        let early = feed(issue, at: start.addingTimeInterval(660))
        #expect(early.alert == nil)
        #expect(early.issue.status == .open && early.issue.mute == nil)
        let due = feed(early.issue, at: start.addingTimeInterval(3600))
        #expect(due.alert?.kind == .repeat)
    }

    @Test func aMuteEndingByItsEventCountWaitsForRepeatAfterToo() {
        var issue = muted(feed(nil, at: start).issue, Mute(remainingEvents: 1))
        issue = feed(issue, at: start.addingTimeInterval(1)).issue
        let ended = feed(issue, at: start.addingTimeInterval(2))
        #expect(ended.alert == nil)
        #expect(ended.issue.status == .open)
    }

    @Test func muteForNEventsAbsorbsExactlyN() {
        var issue = muted(feed(nil, at: start).issue, Mute(remainingEvents: 2))
        for second in 1...2 {
            let decision = feed(issue, at: start.addingTimeInterval(Double(second) * 4000))
            #expect(decision.alert == nil)
            issue = decision.issue
        }
        let third = feed(issue, at: start.addingTimeInterval(12000))
        #expect(third.alert?.kind == .repeat)
        #expect(third.alert?.eventsSinceLastAlert == 3)
    }

    @Test func muteForeverHolds() {
        var issue = feed(nil, at: start).issue
        issue.status = .muted
        issue.mute = .forever
        #expect(feed(issue, at: start.addingTimeInterval(1e7), events: 100).alert == nil)
    }

    // MARK: Flapping (alerting.flapping: max 3 within 1h by default)

    func resolved(_ issue: FirebellCore.Issue, at now: Date) -> FirebellCore.Issue {
        var issue = issue
        issue.status = .resolved
        issue.resolvedAt = now
        return issue
    }

    /// New at `start`, then resolved and back at each of `minutes`; the decisions of the comebacks.
    func comebacks(_ minutes: [Double]) -> [IssueDecision] {
        var issue = feed(nil, at: start).issue
        var decisions: [IssueDecision] = []
        for minute in minutes {
            let at = start.addingTimeInterval(minute * 60)
            let decision = feed(resolved(issue, at: at.addingTimeInterval(-1)), at: at)
            decisions.append(decision)
            issue = decision.issue
        }
        return decisions
    }

    @Test func theComebackPastMaxWithinTheWindowSaysFlappingOnceThenTheRestAreQuiet() {
        let decisions = comebacks([1, 2, 3, 41, 42, 43])
        #expect(decisions.map(\.alert?.kind) == [.regression, .regression, .regression, .flapping, nil, nil])
        #expect(decisions[3].alert?.explanation.hasPrefix("flapping: resolved and back 4 times in 40 min; score ") == true)
        #expect(decisions[3].issue.flappingSince == start.addingTimeInterval(41 * 60))
        // Quiet, but open: the issue is back.
        #expect(decisions[5].issue.status == .open)
        #expect(decisions[5].issue.regressions?.count == 4)
    }

    @Test func aComebackAWholeWindowAfterThePreviousPagesAgainAndEndsTheFlapping() {
        let decisions = comebacks([1, 2, 3, 4, 63, 124])
        #expect(decisions.map(\.alert?.kind) == [.regression, .regression, .regression, .flapping, nil, .regression])
        #expect(decisions[5].issue.flappingSince == nil)
        #expect(decisions[5].issue.regressions == [start.addingTimeInterval(124 * 60)])
    }

    @Test func comebacksSpreadWiderThanTheWindowNeverFlap() {
        // Four comebacks, but never four within one hour (the window is open at its end).
        let decisions = comebacks([1, 21, 41, 61, 81, 101])
        #expect(decisions.allSatisfy { $0.alert?.kind == .regression })
        #expect(decisions.allSatisfy { $0.issue.flappingSince == nil })
    }

    @Test func flappingIsConfigurable() throws {
        let config = try ConfigLoader.parse(
            yaml: Self.yaml.replacingOccurrences(of: "  repeat_after: 1h", with: "  repeat_after: 1h\n  flapping: { max: 1, window: 10m }"),
            path: "test.yaml", environment: [:])
        #expect(config.alerting.flapping == AlertingConfig.Flapping(max: 1, window: 600))
        let processor = IssueProcessor(config: config)
        var issue = processor.process(event(), fingerprint: "f", projectID: 1, existing: nil,
                                      stats: IssueStats(eventsInWindow: [300: 1], userCount: 0), now: start).issue
        var kinds: [AlertKind?] = []
        for minute in [1.0, 2.0] {
            let at = start.addingTimeInterval(minute * 60)
            let decision = processor.process(event(), fingerprint: "f", projectID: 1, existing: resolved(issue, at: at),
                                             stats: IssueStats(eventsInWindow: [300: 1], userCount: 0), now: at)
            kinds.append(decision.alert?.kind)
            issue = decision.issue
        }
        #expect(kinds == [.regression, .flapping])
    }
}
