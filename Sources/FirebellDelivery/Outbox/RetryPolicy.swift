import FirebellCurl
import FirebellStore
import Foundation

/// When to try an owed alert again: exponential backoff with jitter, and the
/// receiver's `Retry-After` honoured on 429/503 (Alertmanager ignores it; we don't).
public struct RetryPolicy: Sendable {
    /// Delay after the first failure; doubles each attempt.
    public var baseDelay: TimeInterval
    /// Backoff never waits longer than this.
    public var maxDelay: TimeInterval
    /// After this many attempts the alert is dead-lettered.
    public var maxAttempts: Int
    /// A receiver's `Retry-After` beyond this is capped, so one odd header cannot park an alert for days.
    public var maxRetryAfter: TimeInterval

    public init(baseDelay: TimeInterval = 1, maxDelay: TimeInterval = 600, maxAttempts: Int = 20, maxRetryAfter: TimeInterval = 3600) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
        self.maxRetryAfter = maxRetryAfter
    }

    /// Backoff before attempt `attempts + 1`; `jitter` in 0...1 spreads retries of many alerts apart.
    public func backoff(afterAttempts attempts: Int, jitter: Double) -> TimeInterval {
        let exponent = Double(max(0, min(attempts - 1, 30)))
        let full = min(maxDelay, baseDelay * pow(2, exponent))
        return full * (0.5 + 0.5 * min(max(jitter, 0), 1))
    }

    /// How an attempt's outcome becomes the row's next state.
    public func result(
        of outcome: Result<ReceiverVerdict, CurlError>, status: Int?, attempts: Int, now: Date, jitter: Double
    ) -> DeliveryResult {
        switch outcome {
        case .success(.accepted):
            return .delivered(status: status ?? 0)
        case .success(.rejected(let reason)):
            return .dead(status: status, error: reason)
        case .success(.retryable(let reason, let retryAfter)):
            guard attempts < maxAttempts else {
                return .dead(status: status, error: "gave up after \(attempts) attempts; last: \(reason)")
            }
            let wanted = retryAfter.flatMap { Self.parseRetryAfter($0, now: now) }.map { min($0, maxRetryAfter) }
            let delay = wanted ?? backoff(afterAttempts: attempts, jitter: jitter)
            return .retry(at: now.addingTimeInterval(delay), status: status, error: reason)
        case .failure(let error):
            guard error.isRetryable else { return .dead(status: nil, error: error.description) }
            guard attempts < maxAttempts else {
                return .dead(status: nil, error: "gave up after \(attempts) attempts; last: \(error.description)")
            }
            return .retry(at: now.addingTimeInterval(backoff(afterAttempts: attempts, jitter: jitter)), status: nil, error: error.description)
        }
    }

    /// `Retry-After` as delay-seconds or an HTTP-date; `nil` when it is neither.
    public static func parseRetryAfter(_ value: String, now: Date) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
