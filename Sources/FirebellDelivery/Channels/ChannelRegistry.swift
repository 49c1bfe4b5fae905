import FirebellCore
import Foundation

/// One line per integration: which encoder serves a configured channel type.
public enum ChannelRegistry {
    /// What only an encoder can check (mail addresses, SMTP URLs), as `check-config` errors.
    public static func validate(_ config: FirebellConfig) -> [ConfigError] {
        config.channels.compactMap { channel in
            let problem: String?
            do {
                switch channel.type {
                case .email:
                    _ = try EmailChannel(
                        url: channel.url ?? "", from: channel.from ?? "", to: channel.to, username: channel.username,
                        password: channel.password, starttls: channel.starttls, timeout: channel.timeout)
                case .sendgrid:
                    _ = try SendGridChannel(apiKey: channel.apiKey ?? "", from: channel.from ?? "", to: channel.to, baseURL: channel.url, timeout: channel.timeout)
                case .mailgun:
                    _ = try MailgunChannel(
                        apiKey: channel.apiKey ?? "", domain: channel.domain ?? "", region: channel.region,
                        from: channel.from ?? "", to: channel.to, baseURL: channel.url, timeout: channel.timeout)
                case .postmark:
                    _ = try PostmarkChannel(serverToken: channel.serverToken ?? "", from: channel.from ?? "", to: channel.to, baseURL: channel.url, timeout: channel.timeout)
                default:
                    break
                }
                problem = nil
            } catch {
                problem = "\(error)"
            }
            return problem.map {
                ConfigError(file: config.sourcePath, line: channel.line ?? 0, column: channel.column ?? 0, message: "channels.\(channel.name): \($0)")
            }
        }
    }

    /// The encoder for `config`, or `nil` when its required keys are missing or invalid
    /// (the loader and `validate` report those first).
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
        case .discord: config.url.map { DiscordChannel(url: $0, timeout: config.timeout) }
        case .teams: config.url.map { TeamsChannel(url: $0, timeout: config.timeout) }
        case .mattermost: config.url.map { MattermostChannel(url: $0, timeout: config.timeout) }
        case .google_chat: config.url.map { GoogleChatChannel(url: $0, timeout: config.timeout) }
        case .pagerduty: config.routingKey.map { PagerDutyChannel(routingKey: $0, baseURL: config.url, timeout: config.timeout) }
        case .email: try? EmailChannel(
            url: config.url ?? "", from: config.from ?? "", to: config.to, username: config.username,
            password: config.password, starttls: config.starttls, timeout: config.timeout)
        case .sendgrid: try? SendGridChannel(
            apiKey: config.apiKey ?? "", from: config.from ?? "", to: config.to, baseURL: config.url, timeout: config.timeout)
        case .mailgun: try? MailgunChannel(
            apiKey: config.apiKey ?? "", domain: config.domain ?? "", region: config.region,
            from: config.from ?? "", to: config.to, baseURL: config.url, timeout: config.timeout)
        case .postmark: try? PostmarkChannel(
            serverToken: config.serverToken ?? "", from: config.from ?? "", to: config.to, baseURL: config.url, timeout: config.timeout)
        case .webhook: config.url.map { WebhookChannel(url: $0, secret: config.secret, timeout: config.timeout) }
        }
    }
}
