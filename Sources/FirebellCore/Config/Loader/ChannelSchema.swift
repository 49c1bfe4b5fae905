import Foundation

/// Which keys each channel type takes and which it needs (DESIGN "Channel
/// keys"). One line per type, so adding a receiver is one line here.
struct ChannelSchema {
    /// Keys this type accepts besides the common ones.
    let keys: [String]
    /// Alternatives; the channel is complete when every key of one of them is set.
    let required: [[String]]

    static let commonKeys = ["type", "template", "send_resolved", "timeout"]
    private static let mail = ["from", "to"]

    static func of(_ type: ChannelType) -> ChannelSchema {
        switch type {
        case .console: ChannelSchema(keys: [], required: [])
        case .slack: ChannelSchema(keys: ["url", "token", "channel"], required: [["url"], ["token", "channel"]])
        case .discord, .teams, .mattermost, .google_chat: ChannelSchema(keys: ["url"], required: [["url"]])
        case .webhook: ChannelSchema(keys: ["url", "secret"], required: [["url"]])
        // `url` on API channels overrides the service's endpoint (a proxy or a test receiver).
        case .telegram: ChannelSchema(keys: ["token", "chat_id", "url"], required: [["token", "chat_id"]])
        case .pagerduty: ChannelSchema(keys: ["routing_key", "url"], required: [["routing_key"]])
        case .email:
            ChannelSchema(keys: ["url"] + mail + ["username", "password", "starttls"], required: [["url"] + mail])
        case .sendgrid: ChannelSchema(keys: ["api_key"] + mail + ["url"], required: [["api_key"] + mail])
        case .mailgun:
            ChannelSchema(keys: ["api_key", "domain", "region"] + mail + ["url"], required: [["api_key", "domain"] + mail])
        case .postmark: ChannelSchema(keys: ["server_token"] + mail + ["url"], required: [["server_token"] + mail])
        }
    }

    var allowedKeys: [String] { ["type"] + keys + Self.commonKeys.dropFirst() }

    /// "url, or token and channel" for messages.
    var requirementText: String {
        required.map { alternative in
            alternative.count <= 1
                ? alternative.joined()
                : alternative.dropLast().joined(separator: ", ") + " and " + alternative.last!
        }.joined(separator: ", or ")
    }
}
