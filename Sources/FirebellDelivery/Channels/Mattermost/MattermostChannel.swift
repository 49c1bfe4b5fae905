import FirebellCore
import FirebellCurl
import Foundation

/// Mattermost incoming webhook (`url`): the headline as the post's `text`, the details as
/// one message attachment coloured by severity.
///
/// Untrusted text is inert:
/// - Mattermost expands Slack's `<!channel>`, `<!here>`, `<!all>` and `<@id>` in webhook
///   text and attachments, and turns `<url|text>` into a link, so `<`, `>` and `&` are
///   sent as HTML entities (Markdown shows them as the characters; nothing is expanded);
/// - the server finds `@channel`, `@here`, `@all` and `@user` mentions by splitting text at
///   characters that cannot be part of a name, so a zero-width space after every `@` makes
///   each one a lone `@` plus a plain word: shown the same, notifying nobody;
/// - every other Markdown character is backslash-escaped, so `[click](https://evil)` stays text.
///
/// Incoming webhooks cannot thread or edit: every alert is a new post.
public struct MattermostChannel: ChannelEncoder {
    /// The post `text` limit (16,383 runes; measured here in UTF-16 code units, never fewer).
    static let textLimit = 16_383
    /// Attachment text is kept to 4,000, which older servers and every client show whole.
    static let attachmentTextLimit = 4000
    static let headlineBudget = 2000
    static let whyBudget = 1000
    static let valueBudget = 1000
    static let frameBudget = 300

    static let criticalColor = "#D93025"
    static let minorColor = "#F29900"
    static let resolvedColor = "#1E8E3E"

    public var url: String
    public var timeout: TimeInterval

    public init(url: String, timeout: TimeInterval) {
        self.url = url
        self.timeout = timeout
    }

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        let text = AlertText(alert, baseURL: context.baseURL)
        var lines: [String] = []
        if let deploy = text.deployLine {
            lines.append(fit(oneLine(deploy), Self.valueBudget, Self.escape))
        }
        lines.append("**Why:** " + fit(oneLine(alert.explanation), Self.whyBudget, Self.escape))
        if let release = alert.release {
            lines.append("**Release:** " + fit(oneLine(release), Self.valueBudget, Self.escape))
        }
        if let culprit = alert.culprit {
            lines.append("**Culprit:** " + fit(oneLine(culprit), Self.valueBudget, Self.escape))
        }
        if !text.links.isEmpty {
            // Markdown links, as the roll-up's: the titles are Firebell's, the URLs made safe by `AlertLink`.
            lines.append("**Links:** " + text.links.map { "[\($0.title)](\($0.url))" }.joined(separator: " · "))
        }
        if !alert.topFrames.isEmpty {
            lines.append("**Top frames**")
            lines += alert.topFrames.map { "- " + fit(oneLine($0), Self.frameBudget, Self.escape) }
        }
        let attachment = MattermostAttachment(
            fallback: fit(oneLine(text.headline), Self.headlineBudget, Self.plain),
            color: alert.kind == .resolved ? Self.resolvedColor : (alert.severity == .critical ? Self.criticalColor : Self.minorColor),
            title: text.whatHappened, titleLink: text.link,
            text: fitLines(lines, limit: Self.attachmentTextLimit),
            fields: [
                .init(title: "Events", value: "\(alert.count)"),
                .init(title: "Users", value: "\(alert.userCount)"),
                .init(title: "First seen", value: Timestamps.format(alert.firstSeen)),
                .init(title: "Last seen", value: Timestamps.format(alert.lastSeen)),
            ],
            footer: "Firebell issue #\(alert.issueID)")
        return try post(MattermostPayload(
            text: "**" + fit(oneLine(text.headline), Self.headlineBudget, Self.escape) + "**", attachments: [attachment]))
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        let entries = rollUpEntries(rollUp, baseURL: context.baseURL)
        let share = max(60, Self.attachmentTextLimit / max(1, entries.count) - 1)
        let lines = entries.map { entry -> String in
            guard let link = entry.link else { return "- " + Self.escape(entry.text) }
            return "- " + fit(oneLine(entry.text), share - link.utf16.count - 12, Self.escape) + " [Open](\(link))"
        }
        let attachment = MattermostAttachment(
            fallback: fit(oneLine(rollUp.headline), Self.headlineBudget, Self.plain),
            color: rollUp.severity == .critical ? Self.criticalColor : Self.minorColor,
            title: nil, titleLink: nil, text: fitLines(lines, limit: Self.attachmentTextLimit), fields: [], footer: nil)
        return try post(MattermostPayload(
            text: "**" + fit(oneLine(rollUp.headline), Self.headlineBudget, Self.escape) + "**", attachments: [attachment]))
    }

    /// A `template` replaces the post's `text` (cut to the post limit) and drops the attachment.
    /// Its text is the template author's: Mustache HTML-escapes `{{title}}` (so `<!channel>`
    /// stays inert), but an `@here` the template writes, or lets through, notifies.
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        ChannelTemplate.replacingJSON(in: message, at: ["text"], with: fit(rendered, Self.textLimit) { String($0) }, removing: ["attachments"])
    }

    private func post(_ payload: MattermostPayload) throws -> ChannelMessage {
        .http(HTTPRequest(
            method: "POST", url: url, headers: [(name: "Content-Type", value: "application/json")],
            body: try ChannelJSON.encode(payload), timeout: timeout))
    }

    static let zeroWidthSpace = "\u{200B}"

    /// Mattermost Markdown with mentions and Slack-style `<…>` sequences made inert.
    static func escape(_ text: String) -> String {
        text.map(escape).joined()
    }

    static func escape(_ character: Character) -> String {
        switch character {
        case "&": return "&amp;"
        case "<": return "&lt;"
        case ">": return "&gt;"
        case "@": return "@" + zeroWidthSpace
        case "\\", "*", "_", "[", "]", "(", ")", "#", "+", "-", ".", "!", "`", "|", "~", "{", "}":
            return "\\" + String(character)
        case "\r\n", "\r":
            return "\n"
        default:
            return String(character)
        }
    }

    /// The attachment `fallback` is plain text (notifications, non-Markdown clients): only
    /// mentions and `<…>` sequences need breaking there.
    static func plain(_ character: Character) -> String {
        switch character {
        case "@", "<": String(character) + zeroWidthSpace
        default: String(character)
        }
    }
}

struct MattermostPayload: Encodable {
    var text: String
    var attachments: [MattermostAttachment]
}

struct MattermostAttachment: Encodable {
    var fallback: String
    var color: String
    var title: String?
    var titleLink: String?
    var text: String
    var fields: [Field]
    var footer: String?

    struct Field: Encodable {
        var short = true
        var title: String
        var value: String

        init(title: String, value: String) {
            self.title = title
            self.value = value
        }
    }

    private enum CodingKeys: String, CodingKey {
        case fallback, color, title, titleLink = "title_link", text, fields, footer
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(fallback, forKey: .fallback)
        try c.encode(color, forKey: .color)
        try c.encodeIfPresent(title, forKey: .title)
        try c.encodeIfPresent(titleLink, forKey: .titleLink)
        try c.encode(text, forKey: .text)
        if !fields.isEmpty { try c.encode(fields, forKey: .fields) }
        try c.encodeIfPresent(footer, forKey: .footer)
    }
}
