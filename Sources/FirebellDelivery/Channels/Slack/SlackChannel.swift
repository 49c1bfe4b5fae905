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
        let text = AlertText(alert, baseURL: context.baseURL)
        var lines = ["*\(Self.escape(text.whatHappened))*"]
        lines += text.facts.map { "*\($0.label):* \(Self.escape($0.value))" }
        var blocks: [SlackBlock] = [
            .header(Truncation.cut(Self.escape(text.headline), to: Self.headerLimit)),
            .section(Truncation.cut(lines.joined(separator: "\n"), to: Self.sectionLimit)),
        ]
        if !alert.topFrames.isEmpty {
            let frames = alert.topFrames.map(Self.escape).joined(separator: "\n")
            blocks.append(.section(Truncation.cut("*Top frames*\n```\n\(frames)\n```", to: Self.sectionLimit)))
        }
        blocks.append(.context("<\(text.link)|Open issue #\(alert.issueID) in Firebell>"))
        return try post(SlackPayload(text: Truncation.cut(Self.escape(text.headline), to: Self.sectionLimit), blocks: blocks))
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        let lines = rollUp.lines(baseURL: context.baseURL).map(Self.escape).joined(separator: "\n")
        return try post(SlackPayload(
            text: Truncation.cut(Self.escape(rollUp.headline), to: Self.sectionLimit),
            blocks: [
                .header(Truncation.cut(Self.escape(rollUp.headline), to: Self.headerLimit)),
                .section(Truncation.cut(lines, to: Self.sectionLimit)),
            ]))
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
    case context(String)

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
        case .context(let text):
            try c.encode("context", forKey: .type)
            try c.encode([Text(type: "mrkdwn", text: text)], forKey: .elements)
        }
    }
}
