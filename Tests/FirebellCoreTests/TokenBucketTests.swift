import Foundation
import Testing

@testable import FirebellCore

struct TokenBucketTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

    @Test func aBurstPassesThenTokensComeBackEvenly() {
        var bucket = TokenBucket(rate: Rate(count: 2, period: 60), now: t0)
        let taken = [bucket.take(now: t0), bucket.take(now: t0), bucket.take(now: t0)]
        #expect(taken == [true, true, false])
        let wait = bucket.wait(now: t0)
        #expect(wait == 30)
        let later = bucket.take(now: at(30))
        #expect(later)
    }

    /// A batch of more events than the burst used to be refused forever: it never fit.
    @Test func aBatchLargerThanTheBurstPassesOnAFullBucketAndLeavesItInDebt() {
        var bucket = TokenBucket(rate: Rate(count: 10, period: 10), now: t0)
        let small = bucket.take(3, now: t0)
        // Not full: the big batch waits until the bucket is full again.
        let bigTooEarly = bucket.take(25, now: t0)
        let wait = bucket.wait(for: 10, now: t0)
        let big = bucket.take(25, now: at(3))
        // 15 tokens of debt: nothing passes for 15 s, then one token per second.
        let inDebt = bucket.take(now: at(17))
        let afterDebt = bucket.take(now: at(19))
        #expect([small, bigTooEarly, big, inDebt, afterDebt] == [true, false, true, false, true])
        #expect(wait == 3)
    }
}
