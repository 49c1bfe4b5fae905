import FirebellCore
import Foundation
import Synchronization

/// Per-project `rate_limit`: one token bucket per project, created on first use.
final class RateLimiter: Sendable {
    private let buckets = Mutex<[Int: TokenBucket]>([:])

    /// `nil` when the events may pass; otherwise seconds until they could.
    func admit(project: ProjectConfig, events: Int, now: Date) -> TimeInterval? {
        guard let rate = project.rateLimit else { return nil }
        return buckets.withLock { buckets in
            var bucket = buckets[project.id] ?? TokenBucket(rate: rate, now: now)
            defer { buckets[project.id] = bucket }
            if bucket.take(events, now: now) { return nil }
            return max(1, bucket.wait(for: min(events, Int(bucket.capacity)), now: now))
        }
    }
}
