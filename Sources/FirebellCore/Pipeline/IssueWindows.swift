import Foundation

/// An issue's recent events and users, as far as its `events_in` / `users_in` rules
/// reach (``WindowLimits`` says how far and why that is exact): what the rules count
/// in, kept with the issue so a batch never re-reads the issue's history.
///
/// Times are whole milliseconds. An event counts in a window when it is *later* than
/// `now - window`, so an event exactly one window old no longer counts. Pure: time
/// is passed in.
public struct IssueWindows: Sendable, Equatable {
    /// Events in one millisecond.
    public struct Tick: Sendable, Equatable {
        public var millisecond: Int64
        public var count: Int
    }

    /// A user, when last seen.
    public struct Sighting: Sendable, Equatable {
        public var user: String
        public var millisecond: Int64
    }

    /// Oldest first; their counts add up to at most a few more than `WindowLimits.events`.
    public private(set) var events: [Tick] = []
    /// Least recently seen first; at most `WindowLimits.users`.
    public private(set) var users: [Sighting] = []
    /// The sum of `events`' counts.
    private var total = 0

    public init() {}

    public init(events: [Tick], users: [Sighting]) {
        self.events = events.sorted { $0.millisecond < $1.millisecond }
        self.users = users.sorted { $0.millisecond < $1.millisecond }
        total = self.events.reduce(0) { $0 + $1.count }
    }

    public var isEmpty: Bool { events.isEmpty && users.isEmpty }

    static func millisecond(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Adds one event (and its user), then forgets what no rule can ask for any more.
    public mutating func record(at date: Date, user: String?, limits: WindowLimits) {
        let now = Self.millisecond(date)
        recordEvent(now, limits)
        if let user { recordUser(user, now, limits) } else { pruneUsers(now, limits) }
    }

    private mutating func recordEvent(_ now: Int64, _ limits: WindowLimits) {
        guard limits.events > 0 else {
            events = []
            total = 0
            return
        }
        // Events arrive nearly in order: the place is at or near the end.
        var index = events.endIndex
        while index > events.startIndex, events[index - 1].millisecond > now { index -= 1 }
        if index > events.startIndex, events[index - 1].millisecond == now {
            events[index - 1].count += 1
        } else {
            events.insert(Tick(millisecond: now, count: 1), at: index)
        }
        total += 1
        let horizon = (events.last?.millisecond ?? now) - Self.milliseconds(limits.eventHorizon)
        var drop = 0
        var kept = total
        // Older than every window, or not needed to reach the cap with newer ones.
        while drop < events.count, events[drop].millisecond <= horizon || kept - events[drop].count >= limits.events {
            kept -= events[drop].count
            drop += 1
        }
        if drop > 0 {
            events.removeFirst(drop)
            total = kept
        }
    }

    private mutating func recordUser(_ user: String, _ now: Int64, _ limits: WindowLimits) {
        guard limits.users > 0 else {
            users = []
            return
        }
        if let known = users.lastIndex(where: { $0.user == user }) {
            if users[known].millisecond >= now { return pruneUsers(now, limits) }
            users.remove(at: known)
        }
        var index = users.endIndex
        while index > users.startIndex, users[index - 1].millisecond > now { index -= 1 }
        users.insert(Sighting(user: user, millisecond: now), at: index)
        pruneUsers(now, limits)
    }

    private mutating func pruneUsers(_ now: Int64, _ limits: WindowLimits) {
        guard limits.users > 0 else {
            users = []
            return
        }
        let horizon = max(users.last?.millisecond ?? now, now) - Self.milliseconds(limits.userHorizon)
        var drop = 0
        while drop < users.count, users[drop].millisecond <= horizon || users.count - drop > limits.users { drop += 1 }
        if drop > 0 { users.removeFirst(drop) }
    }

    /// Events later than `date - window` (exact up to `cap`, at least `cap` beyond).
    public func events(in window: TimeInterval, at date: Date, cap: Int) -> Int {
        let cutoff = Self.millisecond(date) - Self.milliseconds(window)
        var count = 0
        for tick in events.reversed() {
            guard tick.millisecond > cutoff, count < cap else { break }
            count += tick.count
        }
        return count
    }

    /// Distinct users seen later than `date - window` (exact up to `cap`).
    public func users(in window: TimeInterval, at date: Date, cap: Int) -> Int {
        let cutoff = Self.millisecond(date) - Self.milliseconds(window)
        var count = 0
        for sighting in users.reversed() {
            guard sighting.millisecond > cutoff, count < cap else { break }
            count += 1
        }
        return count
    }

    static func milliseconds(_ interval: TimeInterval) -> Int64 {
        Int64((interval * 1000).rounded())
    }
}
