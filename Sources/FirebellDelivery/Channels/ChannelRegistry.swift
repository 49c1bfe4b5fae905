import FirebellCore
import Foundation

/// One line per integration: which encoder serves a configured channel type.
public enum ChannelRegistry {
    /// The encoder for `config`, or `nil` when this build has no encoder for its type yet.
    public static func encoder(for config: ChannelConfig) -> (any ChannelEncoder)? {
        switch config.type {
        case .console: ConsoleChannel()
        case .slack:
            // Token mode (threads and in-place updates) when a token and channel are given; else the incoming webhook.
            if let token = config.token, let channel = config.channel {
                SlackAPIChannel(token: token, channel: channel, baseURL: config.url, timeout: config.timeout)
            } else {
                config.url.map { SlackChannel(url: $0, timeout: config.timeout) }
            }
        case .telegram: config.token.flatMap { token in
            config.chatID.map { TelegramChannel(token: token, chatID: $0, baseURL: config.url, timeout: config.timeout) }
        }
        case .pagerduty: config.routingKey.map { PagerDutyChannel(routingKey: $0, baseURL: config.url, timeout: config.timeout) }
        case .webhook: config.url.map { WebhookChannel(url: $0, secret: config.secret, timeout: config.timeout) }
        default: nil
        }
    }
}
