import Foundation
import FirebellCore

extension OutboxWorker {
    /// What the worker needs from the config; replaced on reload.
    public struct Settings: Sendable {
        public var channels: [String: ChannelConfig]
        public var baseURL: String
        public var channelRate: Rate?
        /// Compiled channel templates (check-config refuses ones that do not compile).
        public var templates: [String: ChannelTemplate]

        public init(config: FirebellConfig) {
            templates = Dictionary(uniqueKeysWithValues: config.channels.compactMap { channel in
                channel.template.flatMap { try? ChannelTemplate($0) }.map { (channel.name, $0) }
            })
            channels = Dictionary(config.channels.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            baseURL = config.server.baseURL
            channelRate = config.alerting.channelRate
        }
    }
}

extension OutboxWorker {
    /// Each channel's circuit breaker and parking (see `ChannelGate`). Fixed defaults,
    /// documented in docs/configuration.md; tests shorten them.
    public struct BreakerSettings: Sendable, Equatable {
        /// Consecutive failing attempts (timeouts, refused connections, 5xx) that open the breaker.
        public var failuresToOpen: Int
        /// How long the breaker first stays open before a half-open probe; doubles after
        /// each failed probe, up to `maxOpenInterval`. A longer `Retry-After` wins.
        public var openInterval: TimeInterval
        public var maxOpenInterval: TimeInterval
        /// Consecutive 401/403/404 answers that park the channel (410 parks at once).
        public var refusalsToPark: Int
        /// How often a parked channel is probed.
        public var parkedProbeInterval: TimeInterval

        public init(
            failuresToOpen: Int = 5, openInterval: TimeInterval = 30, maxOpenInterval: TimeInterval = 300,
            refusalsToPark: Int = 3, parkedProbeInterval: TimeInterval = 300
        ) {
            self.failuresToOpen = failuresToOpen
            self.openInterval = openInterval
            self.maxOpenInterval = maxOpenInterval
            self.refusalsToPark = refusalsToPark
            self.parkedProbeInterval = parkedProbeInterval
        }
    }
}
