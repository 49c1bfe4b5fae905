import Foundation

/// Decides whether an event makes its issue alert: the state machine of DESIGN §4.
///
/// ```
///            first event             event after resolve (flapping: quiet)
///   (none) ─────────────► open ◄──────────────────────── resolved
///                          │  severity rises → escalation
///                          │  repeat_after passed → repeat
///                          ▼
///                        muted ── until / N events elapsed ──► open
/// ```
/// Muted issues never alert. When a mute ends (its time or its event count), the
/// issue is open again as if it had never been muted: an issue that got worse while
/// muted escalates at once, one that did not waits out `repeat_after` like any open
/// issue. Pure: time is passed in.
public struct AlertPolicy: Sendable {
    /// An ongoing issue alerts again at most this often (event-driven).
    public var repeatAfter: TimeInterval
    /// When regressions stop paging (`alerting.flapping`).
    public var flapping: AlertingConfig.Flapping

    public init(repeatAfter: TimeInterval, flapping: AlertingConfig.Flapping = .default) {
        self.repeatAfter = repeatAfter
        self.flapping = flapping
    }

    /// What the policy decided for one event.
    public struct Decision: Sendable, Equatable {
        /// `nil` when nothing is owed.
        public var kind: AlertKind?
        /// Events since the previous alert, this one included (for repeat messages).
        public var eventsSinceLastAlert: Int
        /// An escalation that happened while the issue was muted, announced when the mute ended.
        public var whileMuted = false
    }

    /// "resolved and back 4 times in 38 min", for the message that says an issue is flapping.
    public static func flappingSummary(_ issue: Issue) -> String {
        let times = issue.regressions ?? []
        let span = (times.last ?? .distantPast).timeIntervalSince(times.first ?? .distantPast)
        let minutes = max(1, Int((span / 60).rounded(.up)))
        return "resolved and back \(times.count) times in \(minutes) min"
    }

    /// Applies one event's score to `issue` (whose counters already include the event)
    /// and decides the alert. `previousStatus` is `nil` for a brand-new issue.
    public func apply(score: ScoreResult, to issue: inout Issue, previousStatus: IssueStatus?, now: Date) -> Decision {
        issue.eventsSinceAlert += 1
        let sinceLast = issue.eventsSinceAlert

        switch previousStatus {
        case nil:
            take(score, into: &issue)
            return alerted(.new, &issue, sinceLast, now)
        case .resolved?:
            // Resolving reset the severity: the regression starts from this event's score.
            issue.status = .open
            issue.resolvedAt = nil
            issue.resolvedBy = nil
            issue.mute = nil
            take(score, into: &issue)
            return regressed(&issue, sinceLast, now)
        case .muted?:
            // Severity still rises while muted, so the issue is right when the mute ends.
            _ = raise(score, into: &issue)
            if muteStillHolds(&issue, now: now) {
                return Decision(kind: nil, eventsSinceLastAlert: sinceLast)
            }
            let mutedAt = issue.mute?.severity
            issue.status = .open
            issue.mute = nil
            // Worse than when it was muted: the page it would have had, now.
            if let mutedAt, issue.severity > mutedAt {
                var decision = alerted(.escalation, &issue, sinceLast, now)
                decision.whileMuted = true
                return decision
            }
            return repeatWhenDue(&issue, sinceLast, now)
        case .open?:
            if raise(score, into: &issue) {
                return alerted(.escalation, &issue, sinceLast, now)
            }
            return repeatWhenDue(&issue, sinceLast, now)
        }
    }

    /// A regression pages, unless the issue is flapping: the one that makes it regress
    /// more than `flapping.max` times within `flapping.window` says so instead, and the
    /// ones after it stay quiet until one comes a whole window after the previous.
    private func regressed(_ issue: inout Issue, _ sinceLast: Int, _ now: Date) -> Decision {
        let previous = issue.regressions?.last
        let recent = (issue.regressions ?? []).filter { now.timeIntervalSince($0) < flapping.window }
        issue.regressions = Array((recent + [now]).suffix(flapping.max + 1))
        if issue.flappingSince != nil {
            if let previous, now.timeIntervalSince(previous) < flapping.window {
                return Decision(kind: nil, eventsSinceLastAlert: sinceLast)
            }
            issue.flappingSince = nil
            issue.regressions = [now]
        }
        if issue.regressions!.count > flapping.max {
            issue.flappingSince = now
            return alerted(.flapping, &issue, sinceLast, now)
        }
        return alerted(.regression, &issue, sinceLast, now)
    }

    /// A repeat if the last alert is `repeat_after` ago or more, else nothing.
    private func repeatWhenDue(_ issue: inout Issue, _ sinceLast: Int, _ now: Date) -> Decision {
        if let last = issue.lastAlertAt, now.timeIntervalSince(last) < repeatAfter {
            return Decision(kind: nil, eventsSinceLastAlert: sinceLast)
        }
        return alerted(.repeat, &issue, sinceLast, now)
    }

    /// Sets the issue's severity from `score` unconditionally (new issue or regression).
    private func take(_ score: ScoreResult, into issue: inout Issue) {
        issue.severity = score.severity
        issue.score = score.score
        issue.explanation = score.explanation
    }

    /// Severity only rises while open. Returns true when it rose.
    private func raise(_ score: ScoreResult, into issue: inout Issue) -> Bool {
        guard score.severity > issue.severity else { return false }
        take(score, into: &issue)
        return true
    }

    /// Counts this event against the mute; false once the mute is over.
    private func muteStillHolds(_ issue: inout Issue, now: Date) -> Bool {
        guard let mute = issue.mute else { return true }
        if let until = mute.until, now >= until { return false }
        if let remaining = mute.remainingEvents {
            if remaining <= 0 { return false }
            issue.mute?.remainingEvents = remaining - 1
        }
        return true
    }

    private func alerted(_ kind: AlertKind, _ issue: inout Issue, _ sinceLast: Int, _ now: Date) -> Decision {
        issue.lastAlertAt = now
        issue.eventsSinceAlert = 0
        return Decision(kind: kind, eventsSinceLastAlert: sinceLast)
    }
}
