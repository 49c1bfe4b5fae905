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
    /// the receiver's own `Retry-After`, in seconds (already capped by the retry policy).
    case failing(reason: String, retryAfter: TimeInterval?)
    /// 401, 403 or 404: a revoked token or a deleted hook — or a one-off; parks the
    /// channel when it comes `refusalsToPark` times in a row.
    case refused(status: Int, reason: String)
    /// 410 Gone: the receiver says the endpoint is not coming back; parks at once.
    case gone(status: Int, reason: String)
    /// Nothing about the receiver: a 429 (it is up, asking to slow down), a deferral,
    /// the console, an alert that could not be encoded, the curl loop shutting down.
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
///   ┌────────┐  probe every parkedProbeInterval; stays parked until an alert is
///   │ parked │  delivered (the probe, 2xx) or the config is reloaded
///   └────────┘
/// ```
///
/// While open or parked, no row of the channel is attempted but the probe: rows wait,
/// pending, nothing is dead-lettered or dropped. A row that fails while the breaker is
/// open or the channel parked (it was in flight then, or it is the probe) is *held*:
/// the failure was the receiver's, not the row's, so the attempt is not counted
/// against its `maxAttempts`, and the row is due again at once — the gate, not the
/// row, says when the channel is tried next, so a successful probe or a reload lets
/// every held row out without waiting.
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

    /// Why a channel is parked, and when it is probed next.
    struct Parking: Sendable, Equatable {
        /// The receiver's answer that parked it, for the log and the rows' `last_error`.
        var reason: String
        var probeAt: Date
        /// The probe is in flight.
        var probing = false
    }

    /// A change worth a log line and a gauge update.
    enum Change: Sendable, Equatable {
        /// Closed → open: `failures` in a row.
        case opened(until: Date, failures: Int, reason: String)
        /// Half-open → open: the probe failed too.
        case reopened(until: Date, reason: String)
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

    /// A unit of the channel starts: when the channel is open or parked, it is the probe.
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
        if let parked = parking {
            return finishedWhileParked(parked, result, signal: signal, now: now, policy: policy)
        }
        var changes: [Change] = []
        switch signal {
        case .alive:
            failures = 0
            refusals = 0
            reopenings = 0
            close(&changes)
            return (result, changes)
        case .none:
            if breaker == .halfOpen {
                // The probe said nothing about the receiver (a 429, a deferral): probe again
                // after the same interval.
                let until = now.addingTimeInterval(interval(policy))
                breaker = .open(until: until)
                changes.append(.reopened(until: until, reason: "the probe's answer said nothing about the receiver"))
            }
            return (result, changes)
        case .gone(let status, let reason):
            return park("receiver answered \(status) Gone (\(reason))", result, now: now, policy: policy, changes: changes)
        case .refused(let status, let reason):
            // It answered: whatever the breaker feared, the receiver is there.
            failures = 0
            reopenings = 0
            close(&changes)
            refusals += 1
            if refusals >= policy.refusalsToPark {
                return park(
                    "receiver answered \(status) \(refusals) times in a row (\(reason))", result, now: now, policy: policy,
                    changes: changes)
            }
            return (result, changes)
        case .failing(let reason, let retryAfter):
            refusals = 0
            let until: Date
            switch breaker {
            case .closed:
                failures += 1
                guard failures >= policy.failuresToOpen else { return (result, changes) }
                reopenings = 0
                until = now.addingTimeInterval(max(interval(policy), retryAfter ?? 0))
                changes.append(.opened(until: until, failures: failures, reason: reason))
            case .halfOpen:
                reopenings += 1
                until = now.addingTimeInterval(max(interval(policy), retryAfter ?? 0))
                changes.append(.reopened(until: until, reason: reason))
            case .open(let probeAt):
                // In flight when the breaker opened: waits for the probe like the rest.
                return (hold(result, now: now, error: openError(probeAt) + "; last: " + reason), changes)
            }
            breaker = .open(until: until)
            return (hold(result, now: now, error: openError(until) + "; last: " + reason), changes)
        }
    }

    /// Parked: a delivered alert unparks; the probe's other answers set the next probe;
    /// a failure of any kind holds the row.
    private mutating func finishedWhileParked(
        _ parked: Parking, _ result: DeliveryResult, signal: ReceiverSignal, now: Date, policy: Policy
    ) -> (result: DeliveryResult, changes: [Change]) {
        // Only the probe says when to probe next; a row that was in flight when the channel
        // parked (no probe starts while one is) does not push the probe back.
        let probe = parked.probing
        parking?.probing = false
        if probe { parking?.probeAt = now.addingTimeInterval(policy.parkedProbeInterval) }
        switch signal {
        case .alive:
            guard case .delivered = result else {
                // It answered, but refused this message (a 400): that is the row's own fault,
                // and the receiver is still not known to take alerts.
                return (result, [])
            }
            parking = nil
            refusals = 0
            failures = 0
            return (result, [.unparked(why: "an alert was delivered")])
        case .none:
            return (result, [])
        case .failing(let reason, _), .refused(_, let reason), .gone(_, let reason):
            return (hold(result, now: now, error: parkedError(policy) + "; last: " + reason), [])
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
            close(&changes)
        }
        return changes
    }

    /// The open interval after `reopenings` failed probes: doubling, capped.
    func interval(_ policy: Policy) -> TimeInterval {
        min(policy.maxOpenInterval, policy.openInterval * pow(2, Double(min(reopenings, 20))))
    }

    private mutating func close(_ changes: inout [Change]) {
        guard breaker != .closed else { return }
        breaker = .closed
        changes.append(.closed)
    }

    private mutating func park(
        _ reason: String, _ result: DeliveryResult, now: Date, policy: Policy, changes: [Change]
    ) -> (result: DeliveryResult, changes: [Change]) {
        var changes = changes
        // Parking supersedes the breaker: one probe per parked interval, whatever it said.
        close(&changes)
        parking = Parking(reason: reason, probeAt: now.addingTimeInterval(policy.parkedProbeInterval))
        failures = 0
        reopenings = 0
        refusals = 0
        changes.append(.parked(reason: reason))
        return (hold(result, now: now, error: parkedError(policy)), changes)
    }

    /// `last_error` of a row a parked channel holds back.
    private func parkedError(_ policy: Policy) -> String {
        "channel parked: \(parking?.reason ?? ""); probed every \(Self.duration(policy.parkedProbeInterval)) until an alert is delivered or the config is reloaded"
    }

    private func openError(_ until: Date) -> String {
        "circuit open after \(max(failures, 1)) failures in a row; next probe at \(Timestamps.format(until))"
    }

    /// The row waits, pending, for the channel: whatever the attempt made of it (a retry
    /// later, or dead after its attempts), the failure was the receiver's.
    private func hold(_ result: DeliveryResult, now: Date, error: String) -> DeliveryResult {
        let status: Int?
        switch result {
        case .delivered, .deferred, .held: return result
        case .retry(_, let code, _), .dead(let code, _): status = code
        }
        return .held(until: now, status: status, error: String(error.prefix(1000)))
    }

    /// An interval as the config writes one: `30s`, `5m`, `1h`, `500ms`.
    static func duration(_ seconds: TimeInterval) -> String {
        let milliseconds = Int((seconds * 1000).rounded())
        guard milliseconds % 1000 == 0 else { return "\(milliseconds)ms" }
        let whole = milliseconds / 1000
        if whole > 0, whole % 3600 == 0 { return "\(whole / 3600)h" }
        if whole > 0, whole % 60 == 0 { return "\(whole / 60)m" }
        return "\(whole)s"
    }
}
