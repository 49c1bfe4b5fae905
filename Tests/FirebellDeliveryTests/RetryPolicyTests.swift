import FirebellCurl
import FirebellStore
import Foundation
import Testing

@testable import FirebellDelivery

struct RetryPolicyTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let policy = RetryPolicy(baseDelay: 1, maxDelay: 600, maxAttempts: 5)

    func response(_ status: Int, _ headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: Array("answer".utf8))
    }

    func result(_ response: HTTPResponse, attempts: Int = 1, jitter: Double = 1) -> DeliveryResult {
        policy.result(of: .success(HTTPVerdict.standard(response)), status: response.status, attempts: attempts, now: now, jitter: jitter)
    }

    @Test func successIsDelivered() {
        #expect(result(response(200)) == .delivered(status: 200))
        #expect(result(response(204)) == .delivered(status: 204))
    }

    @Test func serverErrorsRetryWithGrowingBackoff() {
        #expect(result(response(500), attempts: 1) == .retry(at: now.addingTimeInterval(1), status: 500, error: "HTTP 500: answer"))
        #expect(result(response(502), attempts: 3) == .retry(at: now.addingTimeInterval(4), status: 502, error: "HTTP 502: answer"))
        // Jitter only shortens, down to half.
        #expect(policy.backoff(afterAttempts: 3, jitter: 0) == 2)
        #expect(policy.backoff(afterAttempts: 40, jitter: 1) == 600)
    }

    @Test func retryAfterIsHonouredOn429And503() {
        #expect(result(response(429, [(name: "Retry-After", value: "30")])) == .retry(at: now.addingTimeInterval(30), status: 429, error: "HTTP 429: answer"))
        let date = "Fri, 15 Jan 2027 08:00:30 GMT"
        let expected = RetryPolicy.parseRetryAfter(date, now: now)
        #expect(expected != nil)
        guard case .retry(let at, 503, _) = result(response(503, [(name: "retry-after", value: date)])) else {
            Testing.Issue.record("not a retry")
            return
        }
        #expect(at == now.addingTimeInterval(min(expected!, 3600)))
        #expect(RetryPolicy.parseRetryAfter("soon", now: now) == nil)
        #expect(RetryPolicy.parseRetryAfter("Thu, 01 Jan 2026 00:00:00 GMT", now: now) == 0)
    }

    @Test func otherClientErrorsAreDeadLetteredWithTheAnswer() {
        #expect(result(response(404)) == .dead(status: 404, error: "HTTP 404: answer"))
        #expect(result(response(400)) == .dead(status: 400, error: "HTTP 400: answer"))
    }

    @Test func retriesStopAfterMaxAttempts() {
        guard case .dead(500, let error) = result(response(500), attempts: 5) else {
            Testing.Issue.record("expected dead")
            return
        }
        #expect(error.contains("gave up after 5 attempts"))
    }

    @Test func connectionErrorsRetryButTLSFailuresDoNot() {
        let refused = CurlError(code: 7, message: "connection refused", kind: .connect)
        #expect(policy.result(of: .failure(refused), status: nil, attempts: 1, now: now, jitter: 1)
            == .retry(at: now.addingTimeInterval(1), status: nil, error: refused.description))
        let tls = CurlError(code: 60, message: "bad certificate", kind: .tls)
        #expect(policy.result(of: .failure(tls), status: nil, attempts: 1, now: now, jitter: 1) == .dead(status: nil, error: tls.description))
    }
}
