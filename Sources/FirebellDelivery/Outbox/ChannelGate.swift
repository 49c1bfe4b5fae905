import FirebellCore
import FirebellStore
import Foundation

/// What one attempt says about its receiver, apart from how its rows ended: the
/// attempt reports it, the channel's `ChannelGate` decides with it.
enum ReceiverSignal: Sendable, Equatable {
    /// It answered and took the message — or refused the message itself (a 400): it
    /// is there and listening.
    case alive
    /// Unreachable or failing: a timeout, connection refused, a 5xx, 408. `retryAfter`:
    /// the receiver's own `Retry-After`, in seconds.
    case failing(reason: String, retryAfter: TimeInterval?)
    /// 401, 403 or 404: a revoked token or a deleted hook — or a one-off; parks the
    /// channel when it comes `refusalsToPark` times in a row.
    case refused(status: Int, reason: String)
    /// 410 Gone: the receiver says the endpoint is not coming back; parks at once.
    case gone(status: Int, reason: String)
    /// Nothing about the receiver: a 429 (it is up, asking to slow down), a deferral,
    /// the console, an alert that could not be encoded.
    case none
}

/// One channel's circuit breaker and parking: whether its rows may be attempted, and
/// when a probe goes. Pure logic; time is passed in (the scheduler keeps one per
/// configured channel and asks it before every admission).
///
/// ```
///                 failing × failuresToOpen                 probe due
///   ┌────────┐ ───────────────────────────► ┌──────┐ ─────────────────► ┌───────────┐
///   │ closed │                              │ open │                    │ half-open │
///   └────────┘ ◄──────────────────────────┐ └──────┘ ◄───────────────── └───────────┘
///       ▲  │        probe answered alive   │          probe failing:          │
///       │  │                               │          interval × 2 (to a cap)  │
///       │  │ 410, or 401/403/404 × refusalsToPark                             │
///       │  ▼                               └──────────────────────────────────┘
///   ┌────────┐  probe every parkedProbeInterval; stays parked until a probe is
///   │ parked │  taken (2xx) or the config is reloaded
///   └────────┘
/// ```
///
/// While open or parked, no row of the channel is attempted but the probe: rows wait,
/// pending, nothing is dead-lettered or dropped. A row that fails while the breaker is
/// open or the channel parked (it was in flight then, or it is the probe) is *held*:
/// the failure was the receiver's, not the row's, so the attempt is not counted
/// against its `maxAttempts`, and the row is due again at once — the gate, not the
/// row, says when the channel is tried next.
struct ChannelGate: Sendable, Equatable {
    /// When to open, how long to stay open, when to park.
    typealias Policy = OutboxWorker.BreakerSettings

    enum Breaker: Sendable, Equatable {
        case closed
        /// No attempts until the probe at `until`.
        case open(until: Date)
        /// The probe is in flight.
        case halfOpen

        /// For `firebell_channel_breaker_state`: 0 closed, 1 half-open, 2 open.
        var gauge: Int {
            switch self {
            case .closed: 0
            case .halfOpen: 1
            case .open: 2
            }
        }
    }

    /// Why and since when a channel is parked, and when it is probed next.
    struct Parking: Sendable, Equatable {
        /// The receiver's answer that parked it, for the log and the rows' `last_error`.
        var reason: String
        var since: Date
        var probeAt: Date
        var probing = false
    }

    /// A change worth a log line and a gauge update.
    enum Change: Sendable, Equatable {
        case opened(until: Date, failures: Int, reason: String)
        case halfOpened
        case closed
        case parked(reason: String)
        case unparked(why: String)
    }

    private(set) var breaker: Breaker = .closed
    private(set) var parking: Parking?
    /// Failing attempts in a row, while closed.
    private(set) var failures = 0
    /// Failed probes in a row: how far the open interval has grown.
    private(set) var reopenings = 0
    /// 401/403/404 answers in a row.
    private(set) var refusals = 0

    var isParked: Bool { parking != nil }
    /// Closed and not parked: the channel's rows go out as slots allow.
    var admitsAll: Bool { parking == nil && breaker == .closed }

    /// How many units of the channel may start now, given `free` slots and `busy` units
    /// in flight: all free ones when closed; one probe when open or parked and the
    /// probe is due with nothing else of the channel in flight; else none.
    func room(free: Int, busy: Int, now: Date) -> Int {
        if let parking {
            return !parking.probing && busy == 0 && now >= parking.probeAt ? min(free, 1) : 0
        }
        switch breaker {
        case .closed: return free
        case .halfOpen: return 0
        case .open(let until): return busy == 0 && now >= until ? min(free, 1) : 0
        }
    }

    /// A unit of the channel starts: when it is the probe, the breaker is half-open.
    mutating func started() -> [Change] {
        if parking != nil {
            parking?.probing = true
            return []
        }
        guard case .open = breaker else { return [] }
        breaker = .halfOpen
        return [.halfOpened]
    }

    /// An attempt ended with `result` and said `signal` about the receiver. Returns the
    /// result to record (a row the gate holds back is `.held`: pending, not counted as
    /// an attempt) and what changed.
    mutating func finished(
        _ result: DeliveryResult, signal: ReceiverSignal, now: Date, policy: Policy
    ) -> (result: DeliveryResult, changes: [Change]) {
        var changes: [Change] = []
        if parking != nil {
            parking?.probing = false
            switch signal {
            case .alive:
                guard case .delivered = result else {
                    // It answered, but refused this message (a 400): still not known to take alerts.
                    parking?.probeAt = now.addingTimeInterval(policy.parkedProbeInterval)
                    return (result, changes)
                }
                parking = nil
                refusals = 0
                failures = 0
                changes.append(.unparked(why: "a probe was taken"))
                return (result, changes)
            case .none:
                parking?.probeAt = now.addingTimeInterval(policy.parkedProbeInterval)
                return (result, changes)
            case .failing(let reason, _), .refused(_, let reason), .gone(_, let reason):
                parking?.probeAt = now.addingTimeInterval(policy.parkedProbeInterval)
                return (hold(result, now: now, error: parkedError(policy) + "; last probe: " + reason), changes)
            }
        }
        switch signal {
        case .alive:
            failures = 0
            refusals = 0
            reopenings = 0
            if breaker != .closed {
                breaker = .closed
                changes.append(.closed)
            }
            return (result, changes)
        case .none:
            if breaker == .halfOpen {
                // The probe said nothing (a 429): probe again after the same interval.
                breaker = .open(until: now.addingTimeInterval(interval(policy)))
                changes.append(.opened(until: now.addingTimeInterval(interval(policy)), failures: failures, reason: "probe not answered"))
            }
            return (result, changes)
        case .gone(let status, let reason):
            return park("receiver answered \(status) Gone (\(reason))", result, now: now, policy: policy)
        case .refused(let status, let reason):
            // It answered: whatever the breaker feared, the receiver is there.
            failures = 0
            reopenings = 0
            if breaker != .closed {
                breaker = .closed
                changes.append(.closed)
            }
            refusals += 1
            if refusals >= policy.refusalsToPark {
                return park("receiver answered \(status) \(refusals) times in a row (\(reason))", result, now: now, policy: policy)
            }
            return (result, changes)
        case .failing(let reason, let retryAfter):
            refusals = 0
            switch breaker {
            case .closed:
                failures += 1
                guard failures >= policy.failuresToOpen else { return (result, changes) }
                reopenings = 0
            case .halfOpen:
                reopenings += 1
            case .open(let until):
                // In flight when the breaker opened: waits for the probe like the rest.
                return (hold(result, now: now, error: openError(until) + "; last: " + reason), changes)
            }
            let until = now.addingTimeInterval(max(interval(policy), retryAfter ?? 0))
            breaker = .open(until: until)
            changes.append(.opened(until: until, failures: failures, reason: reason))
            return (hold(result, now: now, error: openError(until) + "; last: " + reason), changes)
        }
    }

    /// A reloaded config: parking ends (the operator may have fixed the URL or token);
    /// the breaker too when the channel's config changed.
    mutating func reloaded(changed: Bool) -> [Change] {
        var changes: [Change] = []
        if parking != nil {
            parking = nil
            changes.append(.unparked(why: "the config was reloaded"))
        }
        refusals = 0
        if changed {
            failures = 0
            reopenings = 0
            if breaker != .closed {
                breaker = .closed
                changes.append(.closed)
            }
        }
        return changes
    }

    /// The open interval after `reopenings` failed probes: doubling, capped.
    func interval(_ policy: Policy) -> TimeInterval {
        min(policy.maxOpenInterval, policy.openInterval * pow(2, Double(min(reopenings, 20))))
    }

    private mutating func park(
        _ reason: String, _ result: DeliveryResult, now: Date, policy: Policy
    ) -> (result: DeliveryResult, changes: [Change]) {
        let probeAt = now.addingTimeInterval(policy.parkedProbeInterval)
        parking = Parking(reason: reason, since: now, probeAt: probeAt)
        breaker = .closed
        failures = 0
        reopenings = 0
        refusals = 0
        return (hold(result, now: now, error: parkedError(policy)), [.parked(reason: reason)])
    }

    /// `last_error` of a row a parked channel holds back.
    private func parkedError(_ policy: Policy) -> String {
        "channel parked: \(parking?.reason ?? "")" + "; probed every \(Self.duration(policy.parkedProbeInterval)) until a probe succeeds or the config is reloaded"
    }

    private func openError(_ until: Date) -> String {
        "circuit open after \(max(failures, 1)) failures in a row; next probe at \(Timestamps.format(until))"
    }

    /// The row waits, pending, for the channel: whatever the attempt made of it (a retry
    /// later, or dead after its attempts), the failure was the receiver's, so the attempt
    /// is not counted. It is due again at once: the gate, not the row, says when the
    /// channel is tried next, so a successful probe or a reload lets every held row out.
    private func hold(_ result: DeliveryResult, now: Date, error: String) -> DeliveryResult {
        let status: Int?
        switch result {
        case .delivered, .deferred, .held: return result
        case .retry(_, let code, _), .dead(let code, _): status = code
        }
        return .held(until: now, status: status, error: String(error.prefix(1000)))
    }

    static func duration(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds)
        if whole % 3600 == 0 { return "\(whole / 3600)h" }
        if whole % 60 == 0 { return "\(whole / 60)m" }
        return "\(whole)s"
    }
}
