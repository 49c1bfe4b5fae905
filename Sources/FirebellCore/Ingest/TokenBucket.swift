import Foundation

/// A token bucket: bursts of up to `capacity`, refilled evenly over `period`.
/// Used for project `rate_limit` (and `channel_rate`). Time is passed in.
public struct TokenBucket: Sendable, Equatable {
    public let capacity: Double
    public let refillPerSecond: Double
    /// Tokens there at `updated` (negative: in debt); kept as is by a store.
    public private(set) var tokens: Double
    public private(set) var updated: Date

    /// A full bucket.
    public init(rate: Rate, now: Date) {
        self.init(rate: rate, tokens: Double(max(rate.count, 1)), updated: now)
    }

    /// A bucket as it was stored (`tokens` at `updated`).
    public init(rate: Rate, tokens: Double, updated: Date) {
        capacity = Double(max(rate.count, 1))
        refillPerSecond = Double(max(rate.count, 1)) / max(rate.period, 0.001)
        self.tokens = min(tokens, capacity)
        self.updated = updated
    }

    /// Takes `count` tokens if there are enough; otherwise takes none. A count larger
    /// than the whole bucket (a batch of more events than the burst) is taken once the
    /// bucket is full, leaving it in debt that refills before anything else passes: the
    /// average rate holds, and such a batch waits for a full bucket instead of never fitting.
    public mutating func take(_ count: Int = 1, now: Date) -> Bool {
        refill(now)
        guard tokens >= min(Double(count), capacity) else { return false }
        tokens -= Double(count)
        return true
    }

    /// Whole tokens there now.
    public mutating func available(now: Date) -> Int {
        refill(now)
        return Int(tokens.rounded(.down))
    }

    /// Seconds until `count` tokens will be there (0 if they are now).
    public mutating func wait(for count: Int = 1, now: Date) -> TimeInterval {
        refill(now)
        let missing = Double(count) - tokens
        return missing <= 0 ? 0 : missing / refillPerSecond
    }

    private mutating func refill(_ now: Date) {
        let elapsed = max(0, now.timeIntervalSince(updated))
        tokens = min(capacity, tokens + elapsed * refillPerSecond)
        updated = now
    }
}
