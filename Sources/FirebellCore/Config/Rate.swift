import Foundation

/// A count per period, written `600/min`, `5/s` or `100/h` in the config.
public struct Rate: Sendable, Equatable, CustomStringConvertible {
    public var count: Int
    /// The period in seconds.
    public var period: TimeInterval

    public init(count: Int, period: TimeInterval) {
        self.count = count
        self.period = period
    }

    /// The config spelling, e.g. `600/min`.
    public var description: String {
        switch period {
        case 1: "\(count)/s"
        case 60: "\(count)/min"
        case 3600: "\(count)/h"
        default: "\(count)/\(period)s"
        }
    }
}

extension Rate {
    /// The tokens of a `channel_rate` bucket only critical alerts may take: a third of
    /// the burst, at least one, and never the whole bucket (a burst of 1 keeps none).
    /// Minor alerts take tokens only while more than this many are left, so a critical
    /// alert finds one at once unless critical alerts themselves spent them; over time
    /// minor alerts still get the whole rate, since the bucket refills past the reserve.
    public var criticalReserve: Int {
        guard count >= 2 else { return 0 }
        return min(count - 1, max(1, (count + 2) / 3))
    }
}
