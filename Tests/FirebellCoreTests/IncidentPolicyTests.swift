import Foundation
import Testing

@testable import FirebellCore

/// The incident state machine with time passed in: joining and ending, and the
/// follow-ups' throttle, each at its edges.
struct IncidentPolicyTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let policy = IncidentPolicy(window: 60, update: 10)
    let route = IncidentPolicy.route(for: ["slack", "pager", "slack"])

    func alert(_ kind: AlertKind = .new, _ severity: Severity = .critical, issue: Int64 = 1, at offset: TimeInterval) -> Alert {
        Alert(
            kind: kind, issueID: issue, projectID: 1, projectName: "checkout", severity: severity, title: "boom \(issue)",
            culprit: nil, level: .error, environment: "production", release: nil, score: 120, explanation: "",
            count: 1, eventsSinceLastAlert: 1, userCount: 0, firstSeen: t0, lastSeen: t0, topFrames: [],
            createdAt: t0.addingTimeInterval(offset))
    }

    /// Opens an incident with a page at `t0`.
    func opened() -> Incident {
        guard case .opens(let incident, nil) = policy.decide(alert(at: 0), route: route, open: nil, newID: -1, now: t0) else {
            Issue.record("the first critical page did not open an incident")
            return Incident(id: 0, route: route, openedAt: t0, firstPage: alert(at: 0), lastJoinedAt: t0)
        }
        return incident
    }

    func decide(_ alert: Alert, open: Incident?) -> IncidentPolicy.Decision {
        policy.decide(alert, route: route, open: open, newID: -2, now: alert.createdAt)
    }

    /// The incident and due time of a join, or nil when it did not join.
    func joined(_ decision: IncidentPolicy.Decision) -> (incident: Incident, due: TimeInterval)? {
        guard case .joins(let incident, let due) = decision else { return nil }
        return (incident, due.timeIntervalSince(t0))
    }

    @Test func aRouteIsItsChannelsSortedOnce() {
        #expect(route == "pager,slack")
    }

    @Test func theFirstCriticalPageOpensAnIncidentAndGoesAtOnce() {
        let incident = opened()
        #expect(incident.id == -1 && incident.route == route && incident.openedAt == t0 && incident.issueCount == 1)
        #expect(incident.firstPage.issueID == 1 && incident.lastUpdateDue == nil)
    }

    @Test func criticalNewEscalationAndRegressionJoinJustBeforeTheWindowEnds() {
        let open = opened()
        for kind in [AlertKind.new, .escalation, .regression] {
            let join = joined(decide(alert(kind, issue: 2, at: 59.999), open: open))
            #expect(join?.incident.id == open.id, "\(kind)")
            #expect(join?.incident.issueCount == 2 && join?.incident.lastJoinedAt == t0.addingTimeInterval(59.999))
        }
    }

    @Test func atTheWindowsEndTheIncidentHasEndedQuietlyAndTheNextPageOpensAnother() {
        let open = opened()
        guard case .opens(let next, let ended?) = decide(alert(issue: 2, at: 60), open: open) else {
            Issue.record("a page exactly one window after the last join still joined")
            return
        }
        #expect(next.id == -2 && next.openedAt == t0.addingTimeInterval(60) && next.firstPage.issueID == 2)
        #expect(ended.id == open.id && ended.endReason == .quiet && ended.endedAt == t0.addingTimeInterval(60))
        #expect(open.status(at: t0.addingTimeInterval(59.999), window: 60) == .open)
        #expect(open.status(at: t0.addingTimeInterval(60), window: 60) == .ended)
    }

    @Test func eachJoinKeepsTheIncidentOpenAnotherWindow() {
        var open = opened()
        open = joined(decide(alert(issue: 2, at: 50), open: open))!.incident
        // 100 s after the page, but 50 s after the last join: still the same incident.
        #expect(joined(decide(alert(issue: 3, at: 100), open: open)) != nil)
        #expect(open.end(window: 60) == t0.addingTimeInterval(110))
    }

    @Test func anIncidentEndedByResolvingIsNotJoinedAndNotEndedAgain() {
        var open = opened()
        open.endedAt = t0.addingTimeInterval(5)
        open.endReason = .resolved
        guard case .opens(_, let ended) = decide(alert(issue: 2, at: 6), open: open) else {
            Issue.record("joined an ended incident")
            return
        }
        #expect(ended == nil)
    }

    @Test func minorAlertsRepeatsAndResolvesGoAloneAndLeaveTheIncidentAsItIs() {
        let open = opened()
        #expect(decide(alert(.new, .minor, issue: 2, at: 1), open: open) == .alone)
        #expect(decide(alert(.repeat, issue: 2, at: 1), open: open) == .alone)
        #expect(decide(alert(.resolved, issue: 2, at: 1), open: open) == .alone)
        #expect(decide(alert(.flapping, issue: 2, at: 1), open: open) == .alone)
    }

    @Test func aPageWithoutImmediateChannelsOpensNothing() {
        #expect(policy.decide(alert(at: 0), route: "", open: nil, newID: -1, now: t0) == .alone)
    }

    @Test func aZeroWindowPagesEveryIssueAlone() {
        let off = IncidentPolicy(window: 0, update: 10)
        #expect(!off.isOn)
        #expect(off.decide(alert(at: 0), route: route, open: nil, newID: -1, now: t0) == .alone)
    }

    @Test func followUpsAreDueOneUpdateAfterThePageAndPileUpUntilThen() {
        var open = opened()
        let first = joined(decide(alert(issue: 2, at: 1), open: open))!
        #expect(first.due == 10)
        open = first.incident
        // Just before the update is due: the same update.
        let second = joined(decide(alert(issue: 3, at: 9.999), open: open))!
        #expect(second.due == 10)
        open = second.incident
        // At the moment it is due it may be on its way: the next one, an update later.
        let third = joined(decide(alert(issue: 4, at: 10), open: open))!
        #expect(third.due == 20)
        open = third.incident
        #expect(joined(decide(alert(issue: 5, at: 19.5), open: open))!.due == 20)
    }

    @Test func afterAQuietSpellAFollowUpGoesAtOnceButNeverSoonerThanAnUpdateAfterThePrevious() {
        var open = opened()
        open = joined(decide(alert(issue: 2, at: 1), open: open))!.incident  // due 10
        let late = joined(decide(alert(issue: 3, at: 25), open: open))!
        #expect(late.due == 25)
        open = late.incident
        // 25 was the last update: the next one no sooner than 35.
        #expect(joined(decide(alert(issue: 4, at: 30), open: open))!.due == 35)
        // A first join long after the page goes at once.
        #expect(joined(decide(alert(issue: 2, at: 45), open: opened()))!.due == 45)
    }
}
