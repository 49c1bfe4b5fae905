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
