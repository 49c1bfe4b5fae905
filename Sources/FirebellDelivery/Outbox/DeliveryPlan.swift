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
///
/// Critical alerts never wait behind minor ones: they are planned first and may take
/// every token, while minor alerts (and digests) leave `Rate.criticalReserve` tokens
/// in the bucket. Rows held back earlier (`OutboxEntry.heldBack`) go out together in one
/// roll-up as soon as their class has a token, with whatever of that class joined them.
///
/// An incident's due follow-ups on the channel are one update naming every issue in
/// them (one message, one critical token), planned before anything else.
enum DeliveryPlan {
    /// - Parameters:
    ///   - rows: claimed rows of one channel, oldest first.
    ///   - bucket: the channel's bucket, `nil` when `channel_rate` is not set.
    static func plan(_ rows: [OutboxEntry], bucket: inout TokenBucket?, rate: Rate?, now: Date) -> [DeliveryUnit] {
        var units = followUps(rows.filter { $0.incidentID != nil && $0.digest == nil }, bucket: &bucket, now: now)
        let rows = rows.filter { $0.incidentID == nil || $0.digest != nil }
        guard var limited = bucket, let rate else {
            return units + digests(rows).map { .rollUp($0.rows, .digest($0.period)) } + rows.filter { $0.digest == nil }.map(DeliveryUnit.single)
        }
        defer { bucket = limited }
        let immediate = rows.filter { $0.digest == nil }
        units += spend(immediate.filter { $0.alert.severity == .critical }, keeping: 0, bucket: &limited, rate: rate, now: now)
        units += spend(immediate.filter { $0.alert.severity != .critical }, keeping: rate.criticalReserve, bucket: &limited, rate: rate, now: now)
        for digest in digests(rows) {
            let keeping = RollUp(alerts: digest.rows.map(\.alert), reason: .digest(digest.period)).severity == .critical ? 0 : rate.criticalReserve
            if limited.available(now: now) > keeping, limited.take(1, now: now) {
                units.append(.rollUp(digest.rows, .digest(digest.period)))
            } else {
                units.append(.deferred(digest.rows, until: now.addingTimeInterval(limited.wait(for: keeping + 1, now: now))))
            }
        }
        return units
    }

    /// An incident's follow-ups, one update per incident. Critical: they may take the
    /// bucket's last token (`Rate.criticalReserve` is kept for them too).
    private static func followUps(_ rows: [OutboxEntry], bucket: inout TokenBucket?, now: Date) -> [DeliveryUnit] {
        let incidents = Dictionary(grouping: rows, by: { $0.incidentID ?? 0 })
        return incidents.keys.sorted().map { id in
            let group = incidents[id]!
            if var limited = bucket {
                defer { bucket = limited }
                guard limited.take(1, now: now) else {
                    return .deferred(group, until: now.addingTimeInterval(limited.wait(for: 1, now: now)))
                }
            }
            return .rollUp(group, .incident(RollUp.IncidentThread(incidentID: id)))
        }
    }

    /// A route digest's rows of one period each (their summary), shortest period first.
    private static func digests(_ rows: [OutboxEntry]) -> [(period: TimeInterval, rows: [OutboxEntry])] {
        let groups = Dictionary(grouping: rows.filter { $0.digest != nil }, by: { $0.digest! })
        return groups.keys.sorted().map { ($0, groups[$0]!) }
    }

    /// One class of immediate rows (oldest first) on the tokens above `keeping`: alone
    /// while tokens last, the rest in one roll-up on the last token; all in one roll-up
    /// when some were held back before; deferred until a token is there when none is.
    private static func spend(_ rows: [OutboxEntry], keeping: Int, bucket: inout TokenBucket, rate: Rate, now: Date) -> [DeliveryUnit] {
        guard !rows.isEmpty else { return [] }
        let tokens = bucket.available(now: now) - keeping
        guard tokens >= 1 else {
            return [.deferred(rows, until: now.addingTimeInterval(bucket.wait(for: keeping + 1, now: now)))]
        }
        if rows.contains(where: \.heldBack) || rows.count > tokens {
            // The burst is spent on all but the last token; that one carries everything else.
            let alone = rows.contains(where: \.heldBack) ? 0 : tokens - 1
            _ = bucket.take(alone + 1, now: now)
            let rest = Array(rows.dropFirst(alone))
            return rows.prefix(alone).map(DeliveryUnit.single) + [rest.count == 1 ? .single(rest[0]) : .rollUp(rest, .channelRate(rate))]
        }
        _ = bucket.take(rows.count, now: now)
        return rows.map(DeliveryUnit.single)
    }
}
