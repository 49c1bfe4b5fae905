import FirebellCore
import Foundation

extension OutboxWorker {
    /// What the worker needs from the config; replaced on reload.
    public struct Settings: Sendable {
        public var channels: [String: ChannelConfig]
        public var baseURL: String
        public var channelRate: Rate?
        /// Compiled channel templates (check-config refuses ones that do not compile).
        public var templates: [String: ChannelTemplate]
        /// `storage.lease`: how long a claim holds at least (the scheduler's `lease`).
        public var lease: TimeInterval

        public init(config: FirebellConfig) {
            templates = Dictionary(uniqueKeysWithValues: config.channels.compactMap { channel in
                channel.template.flatMap { try? ChannelTemplate($0) }.map { (channel.name, $0) }
            })
            channels = Dictionary(config.channels.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            baseURL = config.server.baseURL
            channelRate = config.alerting.channelRate
            lease = config.storage.lease
        }
    }
}
