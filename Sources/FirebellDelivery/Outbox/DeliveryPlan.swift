import FirebellCore
import FirebellStore
import Foundation

/// How claimed rows of one channel go out.
enum DeliveryUnit: Sendable {
    /// One alert, one message.
    case single(OutboxEntry)
    /// Several alerts, one message.
    case rollUp([OutboxEntry], RollUp.Reason)
    /// Over `channel_rate`: wait for a token, then go out in a roll-up.
    case deferred([OutboxEntry], until: Date)

    var entries: [OutboxEntry] {
        switch self {
        case .single(let entry): [entry]
        case .rollUp(let entries, _), .deferred(let entries, _): entries
        }
    }
}

/// Decides, per channel, which claimed rows go alone, which together, and which wait —
/// the `channel_rate` token bucket (burst N, refilled evenly over the period), route
/// digests and incident follow-ups. Nothing is dropped: rows that wait stay in the outbox.
enum DeliveryPlan {
    /// - Parameters:
    ///   - rows: claimed rows of one channel, oldest first.
    ///   - bucket: the channel's bucket, `nil` when `channel_rate` is not set.
    static func plan(_ rows: [OutboxEntry], bucket: inout TokenBucket?, rate: Rate?, now: Date) -> [DeliveryUnit] {
        var units = followUps(rows, bucket: &bucket, now: now)
        let rows = rows.filter { $0.incidentID == nil || $0.digest != nil }
        let digests = Dictionary(grouping: rows.filter { $0.digest != nil }, by: { $0.digest! })
        for period in digests.keys.sorted() {
            let group = digests[period]!
            if take(1, from: &bucket, now: now) {
                units.append(.rollUp(group, .digest(period)))
            } else {
                units.append(.deferred(group, until: nextToken(bucket, now: now)))
            }
        }

        let immediate = rows.filter { $0.digest == nil }
        guard !immediate.isEmpty else { return units }
        guard var limited = bucket, let rate else {
            return units + immediate.map(DeliveryUnit.single)
        }
        let tokens = limited.available(now: now)
        if immediate.count <= tokens {
            _ = limited.take(immediate.count, now: now)
            units += immediate.map(DeliveryUnit.single)
        } else if tokens >= 1 {
            // The burst is spent on all but the last token; that one carries everything else.
            _ = limited.take(tokens, now: now)
            units += immediate.prefix(tokens - 1).map(DeliveryUnit.single)
            let rest = Array(immediate.dropFirst(tokens - 1))
            units.append(rest.count == 1 ? .single(rest[0]) : .rollUp(rest, .channelRate(rate)))
        } else {
            units.append(.deferred(immediate, until: now.addingTimeInterval(limited.wait(for: 1, now: now))))
        }
        bucket = limited
        return units
    }

    /// An incident's due follow-ups on the channel go out together, as one update that
    /// names every issue in them (one message, one token), however many joined.
    private static func followUps(_ rows: [OutboxEntry], bucket: inout TokenBucket?, now: Date) -> [DeliveryUnit] {
        let incidents = Dictionary(grouping: rows.filter { $0.incidentID != nil && $0.digest == nil }, by: { $0.incidentID! })
        return incidents.keys.sorted().map { id in
            let group = incidents[id]!
            guard take(1, from: &bucket, now: now) else { return .deferred(group, until: nextToken(bucket, now: now)) }
            return .rollUp(group, .incident(RollUp.IncidentThread(incidentID: id)))
        }
    }

    private static func take(_ count: Int, from bucket: inout TokenBucket?, now: Date) -> Bool {
        guard var limited = bucket else { return true }
        defer { bucket = limited }
        return limited.take(count, now: now)
    }

    private static func nextToken(_ bucket: TokenBucket?, now: Date) -> Date {
        guard var limited = bucket else { return now }
        return now.addingTimeInterval(limited.wait(for: 1, now: now))
    }
}
