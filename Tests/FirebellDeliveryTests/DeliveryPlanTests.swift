import FirebellCore
import FirebellStore
import Foundation
import Testing

@testable import FirebellDelivery

struct DeliveryPlanTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let rate = Rate(count: 3, period: 60)

    func rows(_ n: Int, from first: Int = 1, digest: TimeInterval? = nil, severity: Severity = .critical, heldBack: Bool = false) -> [OutboxEntry] {
        (first..<first + n).map { id in
            var alert = ChannelEncoderTests.alert(title: "issue \(id)")
            alert.severity = severity
            alert.issueID = Int64(id)
            return OutboxEntry(
                id: Int64(id), issueID: Int64(id), channel: "c", alert: alert,
                status: .pending, attempts: 1, nextAttemptAt: now, createdAt: now, digest: digest, heldBack: heldBack)
        }
    }

    func describe(_ units: [DeliveryUnit]) -> [String] {
        units.map { unit in
            switch unit {
            case .single(let entry): "single \(entry.id)"
            case .rollUp(let entries, _): "rollup \(entries.map(\.id))"
            case .deferred(let entries, let until): "deferred \(entries.map(\.id)) \(Int(until.timeIntervalSince(now).rounded()))s"
            }
        }
    }

    @Test func withoutChannelRateEveryAlertGoesAlone() {
        var bucket: TokenBucket? = nil
        #expect(describe(DeliveryPlan.plan(rows(5), bucket: &bucket, rate: nil, now: now)) == ["single 1", "single 2", "single 3", "single 4", "single 5"])
    }

    @Test func aBurstWithinTheRateGoesAloneAndSpendsTokens() {
        var bucket: TokenBucket? = TokenBucket(rate: rate, now: now)
        #expect(describe(DeliveryPlan.plan(rows(3), bucket: &bucket, rate: rate, now: now)) == ["single 1", "single 2", "single 3"])
        #expect(bucket?.available(now: now) == 0)
    }

    @Test func pastTheRateTheLastTokenCarriesARollUpOfTheRest() {
        var bucket: TokenBucket? = TokenBucket(rate: rate, now: now)
        #expect(describe(DeliveryPlan.plan(rows(10), bucket: &bucket, rate: rate, now: now))
            == ["single 1", "single 2", "rollup [3, 4, 5, 6, 7, 8, 9, 10]"])
    }

    @Test func withNoTokenLeftAlertsWaitForTheNextOne() {
        var bucket: TokenBucket? = TokenBucket(rate: rate, now: now)
        _ = DeliveryPlan.plan(rows(3), bucket: &bucket, rate: rate, now: now)
        // 3/min refills one token every 20 s.
        #expect(describe(DeliveryPlan.plan(rows(2), bucket: &bucket, rate: rate, now: now.addingTimeInterval(5))) == ["deferred [1, 2] 20s"])  // 15 s after t+5
        // When it is there, everything queued goes as one roll-up.
        #expect(describe(DeliveryPlan.plan(rows(4), bucket: &bucket, rate: rate, now: now.addingTimeInterval(20))) == ["rollup [1, 2, 3, 4]"])
    }

    @Test func digestRowsGoOutAsOneSummaryPerPeriod() {
        var bucket: TokenBucket? = nil
        let units = DeliveryPlan.plan(rows(2, digest: 3600) + rows(1), bucket: &bucket, rate: nil, now: now)
        #expect(describe(units) == ["rollup [1, 2]", "single 1"])
        guard case .rollUp(_, .digest(3600)) = units[0] else {
            Testing.Issue.record("not a digest")
            return
        }
    }

    @Test func digestDueTimesAlignToThePeriod() {
        let t = Date(timeIntervalSince1970: 7200 + 1234)
        #expect(RollUp.digestDue(after: t, period: 3600) == Date(timeIntervalSince1970: 10800))
        #expect(RollUp.digestDue(after: Date(timeIntervalSince1970: 10800), period: 3600) == Date(timeIntervalSince1970: 14400))
    }

    @Test func rollUpNamesTwentyAndCountsTheRest() {
        let alerts = (1...23).map { ChannelEncoderTests.alert(title: "issue \($0)") }
        let rollUp = RollUp(alerts: alerts, reason: .channelRate(Rate(count: 20, period: 60)))
        let lines = rollUp.lines(baseURL: "http://x")
        #expect(lines.count == 21)
        #expect(lines.last == "and 3 more")
        #expect(rollUp.headline == "[CRITICAL] 23 alerts held back by channel_rate 20/min")
        #expect(RollUp(alerts: [alerts[0]], reason: .digest(3600)).headline == "[CRITICAL] Digest: 1 alert in the last 1h")
    }

    @Test func theCriticalReserveIsAThirdOfTheBurstAndNeverTheWholeBucket() {
        #expect([1, 2, 3, 4, 6, 20, 60].map { Rate(count: $0, period: 60).criticalReserve } == [0, 1, 1, 2, 2, 7, 20])
    }

    @Test func minorAlertsLeaveTheReserveAndACriticalOneAfterThemStillGoesAtOnce() {
        let rate = Rate(count: 6, period: 60)  // reserve 2
        var bucket: TokenBucket? = TokenBucket(rate: rate, now: now)
        // Four tokens above the reserve: three alone, the fourth carries the rest.
        #expect(describe(DeliveryPlan.plan(rows(10, severity: .minor), bucket: &bucket, rate: rate, now: now))
            == ["single 1", "single 2", "single 3", "rollup [4, 5, 6, 7, 8, 9, 10]"])
        // A second later: the reserve is there for the critical alert.
        let later = now.addingTimeInterval(1)
        #expect(describe(DeliveryPlan.plan(rows(1, from: 11), bucket: &bucket, rate: rate, now: later)) == ["single 11"])
        // Minor alerts now wait until the bucket is above the reserve again: 1.1 tokens, 3
        // needed at 0.1/s, so 19 s after the second one (20 s after the start).
        #expect(describe(DeliveryPlan.plan(rows(2, from: 12, severity: .minor), bucket: &bucket, rate: rate, now: later))
            == ["deferred [12, 13] 20s"])
    }

    @Test func criticalAlertsArePlannedBeforeMinorOnesWhateverTheirOrder() {
        let rate = Rate(count: 3, period: 60)  // reserve 1
        var bucket: TokenBucket? = TokenBucket(rate: rate, now: now)
        let mixed = rows(3, severity: .minor) + rows(2, from: 4)
        #expect(describe(DeliveryPlan.plan(mixed, bucket: &bucket, rate: rate, now: now)) == ["single 4", "single 5", "deferred [1, 2, 3] 20s"])
    }

    @Test func criticalAlertsBeyondTheRateRollUpLikeAnyOthers() {
        let rate = Rate(count: 2, period: 60)
        var bucket: TokenBucket? = TokenBucket(rate: rate, now: now)
        #expect(describe(DeliveryPlan.plan(rows(4), bucket: &bucket, rate: rate, now: now)) == ["single 1", "rollup [2, 3, 4]"])
    }

    @Test func alertsHeldBackBeforeGoOutTogetherInOneRollUpEvenWithTokensToSpare() {
        var bucket: TokenBucket? = TokenBucket(rate: rate, now: now)
        let held = rows(2, heldBack: true) + rows(1, from: 3)
        #expect(describe(DeliveryPlan.plan(held, bucket: &bucket, rate: rate, now: now)) == ["rollup [1, 2, 3]"])
        #expect(bucket?.available(now: now) == 2)
    }

    @Test func aRollUpSaysHowEachIssueStandsWhenItIsSent() {
        var alerts = rows(3, severity: .minor).map(\.alert)
        alerts.append(alerts[0])  // a second alert of issue 1
        var resolved = FirebellCore.Issue.sample(id: 1)
        resolved.status = .resolved
        var escalated = FirebellCore.Issue.sample(id: 2)
        escalated.severity = .critical
        escalated.count = 40
        let current = RollUp(alerts: alerts, reason: .digest(3600)).current([1: resolved, 2: escalated, 3: FirebellCore.Issue.sample(id: 3)])
        #expect(current.alerts.map(\.issueID) == [1, 2, 3])
        #expect(current.alerts.map(\.kind) == [.resolved, .escalation, .new])
        #expect(current.alerts[1].count == 40)
        // It was paged on its own when it escalated: the digest itself stays minor.
        #expect(current.severity == .minor)
        #expect(current.lines(baseURL: "http://x")[0].contains("(resolved,"))
    }
}

extension FirebellCore.Issue {
    /// A minor open issue, as the store would return it.
    static func sample(id: Int64) -> FirebellCore.Issue {
        let alert = ChannelEncoderTests.alert()
        return FirebellCore.Issue(
            id: id, projectID: 1, fingerprint: "f\(id)", title: alert.title, culprit: nil, level: .error, status: .open,
            severity: .minor, explanation: "", score: 10, count: 3, userCount: 1, firstSeen: alert.firstSeen, lastSeen: alert.lastSeen,
            environment: nil, release: nil, topFrames: [], lastAlertAt: nil, eventsSinceAlert: 0)
    }
}
