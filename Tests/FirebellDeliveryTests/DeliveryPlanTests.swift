import FirebellCore
import FirebellStore
import Foundation
import Testing

@testable import FirebellDelivery

struct DeliveryPlanTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let rate = Rate(count: 3, period: 60)

    func rows(_ n: Int, digest: TimeInterval? = nil) -> [OutboxEntry] {
        (1...n).map { id in
            OutboxEntry(
                id: Int64(id), issueID: Int64(id), channel: "c", alert: ChannelEncoderTests.alert(title: "issue \(id)"),
                status: .pending, attempts: 1, nextAttemptAt: now, createdAt: now, digest: digest)
        }
    }

    func describe(_ units: [DeliveryUnit]) -> [String] {
        units.map { unit in
            switch unit {
            case .single(let entry): "single \(entry.id)"
            case .rollUp(let entries, _): "rollup \(entries.map(\.id))"
            case .deferred(let entries, let until): "deferred \(entries.map(\.id)) \(Int(until.timeIntervalSince(now)))s"
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
}
