import Foundation

/// Everything a condition may look at, precomputed by the caller so that
/// evaluating rules stays pure (no store, no clock).
public struct RuleContext: Sendable {
    public var event: Event
    /// The severity being routed; `nil` while scoring.
    public var severity: Severity?
    public var isNewIssue: Bool
    /// The issue was resolved and this event reopened it.
    public var isRegression: Bool
    /// Window (seconds) → events of this issue within it, this one included.
    /// Needed for every window in ``FirebellConfig/eventWindows``.
    public var eventsInWindow: [TimeInterval: Int]
    /// Window (seconds) → distinct users (``User/identity``) of this issue within it.
    /// Needed for every window in ``FirebellConfig/userWindows``.
    public var usersInWindow: [TimeInterval: Int]

    public init(
        event: Event,
        severity: Severity? = nil,
        isNewIssue: Bool = false,
        isRegression: Bool = false,
        eventsInWindow: [TimeInterval: Int] = [:],
        usersInWindow: [TimeInterval: Int] = [:]
    ) {
        self.event = event
        self.severity = severity
        self.isNewIssue = isNewIssue
        self.isRegression = isRegression
        self.eventsInWindow = eventsInWindow
        self.usersInWindow = usersInWindow
    }

    /// Events in the window; when the caller gave no count, at least this
    /// event is known to be in it.
    func events(in window: TimeInterval) -> Int {
        eventsInWindow[window] ?? 1
    }

    /// Distinct users in the window; without a count, just this event's user, if any.
    func users(in window: TimeInterval) -> Int {
        usersInWindow[window] ?? (event.user?.identity == nil ? 0 : 1)
    }
}
