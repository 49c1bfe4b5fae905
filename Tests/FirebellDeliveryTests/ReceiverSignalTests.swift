import FirebellCurl
import FirebellStore
import Foundation
import Testing

@testable import FirebellDelivery

/// What an attempt makes of a receiver's answer: the row's result and what it says
/// about the receiver, for the channel's breaker and parking. Pure: answers as a
/// receiver gives them, time passed in.
struct ReceiverSignalTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let policy = RetryPolicy(baseDelay: 1, maxDelay: 600, maxAttempts: 5, maxRetryAfter: 3600)
    let breaker = OutboxWorker.BreakerSettings()

    func judge(_ status: Int, _ headers: [(name: String, value: String)] = [], attempts: Int = 1) -> OutboxAttempt.Report {
        let response = HTTPResponse(status: status, headers: headers, body: Array("answer".utf8))
        return OutboxAttempt.judge(
            response, verdict: HTTPVerdict.standard(response), attempts: attempts, policy: policy, breaker: breaker, now: now,
            jitter: 1)
    }

    @Test func unhealthyAnswersAreFailuresOfTheReceiver() {
        for status in [500, 502, 503, 504, 408] {
            guard case .failing = judge(status).signal else { Issue.record("\(status): \(judge(status).signal)"); continue }
        }
        #expect(judge(200).signal == .alive)
    }

    @Test func fourTwentyNineSaysNothingAboutTheReceiver() {
        let report = judge(429, [(name: "Retry-After", value: "30")])
        #expect(report.signal == .none)
        #expect(report.result == .retry(at: now.addingTimeInterval(30), status: 429, error: "HTTP 429: answer"))
    }

    @Test func aRetryAfterReachesTheBreakerCappedAsTheRetryPolicyCapsIt() {
        #expect(judge(503, [(name: "Retry-After", value: "120")]).signal == .failing(reason: "HTTP 503: answer", retryAfter: 120))
        #expect(judge(503, [(name: "Retry-After", value: "86400")]).signal == .failing(reason: "HTTP 503: answer", retryAfter: 3600))
    }

    @Test func goneParksAndRefusalsAreRetriedInsteadOfDeadLettered() {
        #expect(judge(410).signal == .gone(status: 410, reason: "HTTP 410: answer"))
        for status in [401, 403, 404] {
            let report = judge(status)
            #expect(report.signal == .refused(status: status, reason: "HTTP \(status): answer"))
            #expect(report.result == .retry(at: now.addingTimeInterval(1), status: status, error: "HTTP \(status): answer"))
        }
        // A 400 is the message's fault: dead at once, and the receiver is alive.
        let bad = judge(400)
        #expect(bad.signal == .alive && bad.result == .dead(status: 400, error: "HTTP 400: answer"))
    }

    @Test func aRowAtItsLastAttemptGetsEnoughTriesForItsChannelToPark() {
        // Five attempts would dead-letter a 503 now…
        guard case .dead = judge(503, attempts: 5).result else { Issue.record("a 503 at the last attempt was not dead"); return }
        // …but a refusal then may be its channel's: three more tries, enough for three in a row.
        for attempts in 5..<8 {
            guard case .retry = judge(401, attempts: attempts).result else { Issue.record("dead at \(attempts)"); return }
        }
        // A row refused while the channel takes other alerts does die, after those.
        guard case .dead(401, let error) = judge(401, attempts: 8).result else { Issue.record("never dead"); return }
        #expect(error.hasPrefix("gave up after 8 attempts"))
    }

    @Test func noAnswerAtAllIsAFailureWhenItMeansTheReceiverIsUnhealthy() {
        for kind in [CurlError.Kind.timeout, .connect, .resolve, .send, .receive, .other] {
            let error = CurlError(code: 7, message: "no", kind: kind)
            #expect(OutboxAttempt.signal(error) == .failing(reason: error.description, retryAfter: nil))
        }
        // Our own shutdown, a bad certificate or a bad URL is not the receiver's health.
        for kind in [CurlError.Kind.cancelled, .tls, .badRequest, .authentication, .rejected] {
            #expect(OutboxAttempt.signal(CurlError(code: 42, message: "no", kind: kind)) == .none)
        }
    }

    @Test func testTimingsComeOnlyFromTheTestVariableAndABadOneIsRefused() {
        let short = OutboxWorker.BreakerSettings(testOverrides: "open=500ms, max_open=2s,parked_probe=1s,failures=2,refusals=4")
        #expect(short == OutboxWorker.BreakerSettings(
            failuresToOpen: 2, openInterval: 0.5, maxOpenInterval: 2, refusalsToPark: 4, parkedProbeInterval: 1))
        #expect(OutboxWorker.BreakerSettings(testOverrides: "open=soon") == nil)
        #expect(OutboxWorker.BreakerSettings(testOverrides: "opened=1s") == nil)
        #expect(OutboxWorker.BreakerSettings(testOverrides: "failures=0") == nil)
    }
}
