import Foundation

/// The kinds of receiver Firebell can deliver to; the raw value is the config's `type:`.
public enum ChannelType: String, Sendable, CaseIterable {
    case console, slack, discord, teams, mattermost, google_chat, telegram, webhook, pagerduty, email, sendgrid, mailgun, postmark

    /// Channels that send email rather than a chat message or webhook.
    public var isMail: Bool {
        switch self {
        case .email, .sendgrid, .mailgun, .postmark: true
        default: false
        }
    }
}

/// One entry of `channels:`.
///
/// A flat bag of every key any channel type takes; the loader has already
/// checked that exactly the keys valid for `type` are present, so each
/// encoder reads only its own keys and may rely on its required ones.
public struct ChannelConfig: Sendable, Equatable {
    /// The key under `channels:`; routes refer to it.
    public var name: String
    public var type: ChannelType
    /// Webhook URL; for `email` the `smtp://`/`smtps://` server; for API
    /// channels (`pagerduty`, `telegram`, the mail APIs, token-mode `slack`)
    /// an optional override of the API base URL.
    public var url: String?
    /// Slack bot token or Telegram bot token.
    public var token: String?
    /// Slack channel (with `token`).
    public var channel: String?
    /// `webhook`: Standard Webhooks signing secret (`whsec_…` is base64, else raw bytes).
    public var secret: String?
    /// Telegram chat id (with `token`).
    public var chatID: String?
    /// PagerDuty Events v2 integration key.
    public var routingKey: String?
    /// SendGrid / Mailgun API key.
    public var apiKey: String?
    /// Mailgun sending domain.
    public var domain: String?
    /// Mailgun region: `us` (default) or `eu`.
    public var region: String?
    /// Postmark server token.
    public var serverToken: String?
    /// Mail sender, e.g. `Firebell <alerts@example.com>`.
    public var from: String?
    /// Mail recipients; empty for non-mail channels.
    public var to: [String]
    /// SMTP login for `email`; `nil` (or an unset variable) sends without AUTH.
    public var username: String?
    public var password: String?
    /// `email` over `smtp://`: whether STARTTLS is required; `nil` means the default (required).
    public var starttls: Bool?
    /// Optional Mustache template replacing the channel's default message.
    public var template: String?
    /// Where the channel is defined in the file (1-based), for errors found after loading.
    public var line: Int?
    public var column: Int?
    /// Where `template` starts in the file (1-based), so a template that does not
    /// compile is reported at its line by `check-config`.
    public var templateLine: Int?
    public var templateColumn: Int?
    /// Whether resolve notifications are sent (default true).
    public var sendResolved: Bool
    /// Per-request timeout in seconds (default 10).
    public var timeout: TimeInterval

    public static let defaultTimeout: TimeInterval = 10

    public init(
        name: String,
        type: ChannelType,
        url: String? = nil,
        token: String? = nil,
        channel: String? = nil,
        secret: String? = nil,
        chatID: String? = nil,
        routingKey: String? = nil,
        apiKey: String? = nil,
        domain: String? = nil,
        region: String? = nil,
        serverToken: String? = nil,
        from: String? = nil,
        to: [String] = [],
        username: String? = nil,
        password: String? = nil,
        starttls: Bool? = nil,
        template: String? = nil,
        sendResolved: Bool = true,
        timeout: TimeInterval = ChannelConfig.defaultTimeout
    ) {
        self.name = name
        self.type = type
        self.url = url
        self.token = token
        self.channel = channel
        self.secret = secret
        self.chatID = chatID
        self.routingKey = routingKey
        self.apiKey = apiKey
        self.domain = domain
        self.region = region
        self.serverToken = serverToken
        self.from = from
        self.to = to
        self.username = username
        self.password = password
        self.starttls = starttls
        self.template = template
        self.sendResolved = sendResolved
        self.timeout = timeout
    }
}
