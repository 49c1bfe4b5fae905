import FirebellCore
import FirebellCurl
import Foundation

/// Slack incoming webhook (`url`): Block Kit message with a plain-text fallback.
///
/// Untrusted text is escaped as Slack asks: `&`, `<` and `>` only, which is what
/// keeps `<!channel>` or `<https://evil|click>` inside an error message inert.
public struct SlackChannel: ChannelEncoder {
    /// Slack rejects section text over 3,000 characters.
    static let sectionLimit = 3000
    /// And header text over 150.
    static let headerLimit = 150

    public var url: String
    public var timeout: TimeInterval

    public init(url: String, timeout: TimeInterval) {
        self.url = url
        self.timeout = timeout
    }

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        let content = SlackContent(alert, baseURL: context.baseURL)
        return try post(SlackPayload(text: content.text, blocks: content.blocks))
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        let content = SlackContent(rollUp, baseURL: context.baseURL)
        return try post(SlackPayload(text: content.text, blocks: content.blocks))
    }

    private func post(_ payload: SlackPayload) throws -> ChannelMessage {
        .http(HTTPRequest(
            method: "POST", url: url, headers: [(name: "Content-Type", value: "application/json; charset=utf-8")],
            body: try ChannelJSON.encode(payload), timeout: timeout))
    }

    /// Slack's three control characters; nothing else needs escaping in mrkdwn.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }
}

struct SlackPayload: Encodable {
    var text: String
    var blocks: [SlackBlock]
}

enum SlackBlock: Encodable {
    case header(String)
    case section(String)
    /// Up to 10 mrkdwn elements.
    case context([String])

    private struct Text: Encodable {
        var type: String
        var text: String
    }

    private enum CodingKeys: String, CodingKey { case type, text, elements }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .header(let text):
            try c.encode("header", forKey: .type)
            try c.encode(Text(type: "plain_text", text: text), forKey: .text)
        case .section(let text):
            try c.encode("section", forKey: .type)
            try c.encode(Text(type: "mrkdwn", text: text), forKey: .text)
        case .context(let texts):
            try c.encode("context", forKey: .type)
            try c.encode(texts.prefix(10).map { Text(type: "mrkdwn", text: $0) }, forKey: .elements)
        }
    }
}
