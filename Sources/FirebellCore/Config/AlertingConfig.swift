import Foundation

/// The `alerting:` section: how often an issue and a channel may speak.
public struct AlertingConfig: Sendable, Equatable {
    /// An ongoing issue alerts again at most this often (event-driven).
    public var repeatAfter: TimeInterval
    /// Per-channel token bucket; past it alerts collapse into a roll-up. `nil` means unlimited.
    public var channelRate: Rate?

    public static let defaultRepeatAfter: TimeInterval = 3600

    public init(repeatAfter: TimeInterval = AlertingConfig.defaultRepeatAfter, channelRate: Rate? = nil) {
        self.repeatAfter = repeatAfter
        self.channelRate = channelRate
    }
}
