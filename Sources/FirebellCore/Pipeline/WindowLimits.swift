import Foundation

/// How much of an issue's recent past ``IssueWindows`` keeps: exactly what the
/// config's `events_in` and `users_in` rules can ask of it, and no more.
///
/// A rule only asks whether a window holds *more than* `over`. So an issue keeps
/// its newest `over + 1` events (and distinct users) within the longest window: if
/// the true count in a window is at most that cap, all of those events are among
/// the kept ones and the count is exact; if it is larger, the kept ones alone reach
/// the cap, which is more than any `over`. Decisions are therefore exact, and the
/// state of an issue is bounded by the config, not by its history.
public struct WindowLimits: Sendable, Equatable {
    /// `events_in` windows, in seconds.
    public var eventWindows: Set<TimeInterval>
    /// `users_in` windows, in seconds.
    public var userWindows: Set<TimeInterval>
    /// Events kept per issue: one more than the largest `events_in` `over` (0: none).
    public var events: Int
    /// Distinct users kept per issue: one more than the largest `users_in` `over` (0: none).
    public var users: Int

    /// The largest `over` an `events_in` or `users_in` rule may use: an issue keeps
    /// that many recent event times (or users) in memory and in its row.
    public static let maxOver = 10_000

    public init(eventWindows: Set<TimeInterval> = [], userWindows: Set<TimeInterval> = [], events: Int = 0, users: Int = 0) {
        self.eventWindows = eventWindows
        self.userWindows = userWindows
        self.events = events
        self.users = users
    }

    public init(_ severity: SeverityConfig) {
        let conditions = severity.rules.map(\.when)
        let events = conditions.flatMap(\.eventThresholds)
        let users = conditions.flatMap(\.userThresholds)
        self.init(
            eventWindows: Set(events.map(\.window)), userWindows: Set(users.map(\.window)),
            events: events.map { $0.over + 1 }.max() ?? 0, users: users.map { $0.over + 1 }.max() ?? 0)
    }

    /// The longest `events_in` window.
    var eventHorizon: TimeInterval { eventWindows.max() ?? 0 }
    /// The longest `users_in` window.
    var userHorizon: TimeInterval { userWindows.max() ?? 0 }
}
