import Foundation

extension Mute {
    /// A mute from the API body or CLI flags: nothing → forever; `for` a duration;
    /// `until` an RFC 3339 time; `events` N more events. At most one of them.
    public static func requested(for duration: String?, until: String?, events: Int?, now: Date) throws(IngestError) -> Mute {
        let given = [duration != nil, until != nil, events != nil].filter { $0 }.count
        guard given <= 1 else {
            throw IngestError("give at most one of 'for', 'until' and 'events' (none mutes forever)")
        }
        if let duration {
            guard let seconds = Units.duration(duration), seconds > 0 else {
                throw IngestError("'for': '\(duration)' is not a duration (use an integer with ms, s, m, h or d, e.g. 2h)")
            }
            return Mute(until: now.addingTimeInterval(seconds))
        }
        if let until {
            guard let date = Timestamps.parse(until) else {
                throw IngestError("'until': '\(until)' is not an RFC 3339 time (e.g. 2026-12-01T09:00:00Z)")
            }
            guard date > now else {
                throw IngestError("'until': \(until) is not in the future; a mute that ended already would mute nothing")
            }
            return Mute(until: date)
        }
        if let events {
            guard events > 0 else { throw IngestError("'events' must be a positive integer, got \(events)") }
            return Mute(remainingEvents: events)
        }
        return .forever
    }
}
