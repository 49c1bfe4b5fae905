import FirebellCore
import Foundation

/// One line per integration: which encoder serves a configured channel type.
public enum ChannelRegistry {
    /// The encoder for `config`, or `nil` when this build has no encoder for its type yet.
    public static func encoder(for config: ChannelConfig) -> (any ChannelEncoder)? {
        switch config.type {
        case .console: ConsoleChannel()
        case .slack: config.url.map { SlackChannel(url: $0, timeout: config.timeout) }
        case .webhook: config.url.map { WebhookChannel(url: $0, secret: config.secret, timeout: config.timeout) }
        default: nil
        }
    }
}
