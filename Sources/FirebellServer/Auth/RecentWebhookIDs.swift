import Foundation
import Synchronization

/// The `webhook-id`s of signed requests taken in the last few minutes, per project, so
/// a captured signed request cannot be replayed within its ±5 minute window. Standard
/// Webhooks makes the id the message's idempotency key: a sender resends a message it
/// thinks failed with the same id, so an id is only kept once its request was
/// accepted (`release` frees it when the request failed, and the resend is taken).
///
/// Bounded: at most `capacity` ids across all projects, each forgotten when its
/// timestamp leaves the window (its signature would no longer verify anyway).
final class RecentWebhookIDs: Sendable {
    enum Verdict: Equatable {
        /// First time in the window: held for this request.
        case fresh
        /// Taken (or being taken) already.
        case replayed
        /// `capacity` ids are in the window: retry after this many seconds.
        case full(retryAfter: Int)
    }

    private struct Key: Hashable {
        var project: Int
        var id: String
    }

    private struct State {
        var expiries: [Key: Date] = [:]
        /// No entry expires before this; purging earlier would free nothing.
        var nextExpiry = Date.distantFuture
        var insertsSincePurge = 0
    }

    /// Signed requests are accepted this far from their `webhook-timestamp` (Standard Webhooks: 5 minutes).
    static let window: TimeInterval = 300
    static let defaultCapacity = 100_000
    /// Longer ids are refused (400): the cache stores ids, so their size is bounded too.
    static let maxIDLength = 256

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = RecentWebhookIDs.defaultCapacity) {
        self.capacity = capacity
    }

    /// Holds `id` for `project` unless it was seen within the window.
    func reserve(project: Int, id: String, timestamp: Date, now: Date) -> Verdict {
        let key = Key(project: project, id: id)
        let expiry = timestamp.addingTimeInterval(Self.window)
        return state.withLock { state in
            if let held = state.expiries[key], held > now { return .replayed }
            state.insertsSincePurge += 1
            if state.expiries.count >= capacity || state.insertsSincePurge >= 4096 {
                Self.purge(&state, now: now)
            }
            if state.expiries.count >= capacity {
                return .full(retryAfter: max(1, Int(state.nextExpiry.timeIntervalSince(now).rounded(.up))))
            }
            state.expiries[key] = expiry
            state.nextExpiry = min(state.nextExpiry, expiry)
            return .fresh
        }
    }

    /// Forgets `id` again: its request was not accepted, so a resend must be taken.
    func release(project: Int, id: String) {
        _ = state.withLock { $0.expiries.removeValue(forKey: Key(project: project, id: id)) }
    }

    var count: Int { state.withLock { $0.expiries.count } }

    private static func purge(_ state: inout State, now: Date) {
        state.insertsSincePurge = 0
        guard now >= state.nextExpiry else { return }
        state.expiries = state.expiries.filter { $0.value > now }
        state.nextExpiry = state.expiries.values.min() ?? .distantFuture
    }
}
