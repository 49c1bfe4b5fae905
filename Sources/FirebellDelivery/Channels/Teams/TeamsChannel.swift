import FirebellCore
import FirebellCurl
import Foundation

/// Microsoft Teams through a Workflows webhook (`url`; Power Automate "Post to a channel
/// when a webhook request is received"): a `message` carrying one Adaptive Card 1.4.
/// The Office 365 connectors this replaces are retired.
///
/// Untrusted text is inert: Adaptive Card `TextBlock` and `FactSet` text is a Markdown
/// subset, so every Markdown character in it is backslash-escaped and
/// `[click](https://evil)` shows as written. Teams only mentions people named in
/// `msteams.entities`, which Firebell never sends, so `@here` is just text.
///
/// Teams has no threading for Workflows posts: every alert is a new message.
public struct TeamsChannel: ChannelEncoder {
    /// Teams refuses messages over about 28 KB; the whole body is kept under this many bytes.
    static let payloadLimit = 27_000

    /// Per-part character budgets before any shrinking (UTF-16 code units, after escaping).
    static let headlineBudget = 2000
    static let factBudget = 2000
    static let framesBudget = 8000
    static let rollUpBudget = 20_000

    /// Facts whose values Firebell writes itself (numbers, timestamps): shown unescaped.
    static let ownFacts: Set<String> = ["Events", "Users", "First seen", "Last seen"]

    public var url: String
    public var timeout: TimeInterval

    public init(url: String, timeout: TimeInterval) {
        self.url = url
        self.timeout = timeout
    }

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        let text = AlertText(alert, baseURL: context.baseURL)
        let style = alert.kind == .resolved ? "good" : (alert.severity == .critical ? "attention" : "warning")
        // Halve every budget until the card fits the payload limit (it does at once unless the text is huge).
        return try fitted { divisor in
            var head: [TeamsElement] = [
                .text(fit(oneLine(text.headline), Self.headlineBudget / divisor, Self.escape), bold: true, size: "Medium"),
                .text(Self.escape(text.whatHappened), bold: false, size: nil),
            ]
            if let deploy = text.deployLine {
                head.append(.text(fit(oneLine(deploy), Self.factBudget / divisor, Self.escape), bold: false, size: nil))
            }
            var body: [TeamsElement] = [
                .container(style: style, items: head),
                .facts(text.facts.map { fact in
                    // Counts and timestamps are Firebell's own; everything else may come from an event.
                    let value = Self.ownFacts.contains(fact.label) ? fact.value : fit(oneLine(fact.value), Self.factBudget / divisor, Self.escape)
                    return (title: fact.label, value: value)
                }),
            ]
            if !alert.topFrames.isEmpty {
                let budget = Self.framesBudget / divisor
                let lines = alert.topFrames.map { "- " + fit(oneLine($0), budget - 2, Self.escape) }
                body.append(.text("Top frames", bold: true, size: nil))
                body.append(.monospace(fitLines(lines, limit: budget)))
            }
            let open = TeamsCard.OpenURL(title: "Open issue #\(alert.issueID) in Firebell", url: text.link)
            return TeamsCard(body: body, actions: [open] + text.links.map { .init(title: $0.title, url: $0.url) })
        }
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        let entries = rollUpEntries(rollUp, baseURL: context.baseURL)
        let style = rollUp.severity == .critical ? "attention" : "warning"
        return try fitted { divisor in
            let budget = Self.rollUpBudget / divisor
            let share = max(60, budget / max(1, entries.count) - 1)
            let lines = entries.map { entry -> String in
                guard let link = entry.link else { return "- " + Self.escape(entry.text) }
                return "- " + fit(oneLine(entry.text), share - link.utf16.count - 12, Self.escape) + " [Open](\(link))"
            }
            return TeamsCard(
                body: [
                    .container(style: style, items: [
                        .text(fit(oneLine(rollUp.headline), Self.headlineBudget / divisor, Self.escape), bold: true, size: "Medium"),
                    ]),
                    .text(fitLines(lines, limit: budget), bold: false, size: nil),
                ],
                actions: [])
        }
    }

    /// A `template` becomes the card's only `TextBlock` (Adaptive Card Markdown, as the template
    /// writes it), cut until the message fits; the "Open issue" button and the issue's links stay.
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        guard case .http(var request) = message,
              var object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
              var attachments = object["attachments"] as? [[String: Any]], !attachments.isEmpty,
              var card = attachments[0]["content"] as? [String: Any]
        else { return message }
        var budget = Self.rollUpBudget
        while budget > 0 {
            card["body"] = [["type": "TextBlock", "text": fit(rendered, budget) { String($0) }, "wrap": true] as [String: Any]]
            attachments[0]["content"] = card
            object["attachments"] = attachments
            guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
                return message
            }
            if data.count <= Self.payloadLimit {
                request.body = Array(data)
                return .http(request)
            }
            budget /= 2
        }
        return message
    }

    /// Builds the card with budgets divided by 1, 2, 4, … until the encoded message fits.
    private func fitted(_ card: (Int) -> TeamsCard) throws -> ChannelMessage {
        var divisor = 1
        var body = try ChannelJSON.encode(TeamsMessage(card: card(divisor)))
        while body.count > Self.payloadLimit, divisor < 1024 {
            divisor *= 2
            body = try ChannelJSON.encode(TeamsMessage(card: card(divisor)))
        }
        return .http(HTTPRequest(
            method: "POST", url: url, headers: [(name: "Content-Type", value: "application/json")],
            body: body, timeout: timeout))
    }

    /// Adaptive Card Markdown, backslash-escaped: emphasis, links, lists, headings, quotes,
    /// code, tables, strikethrough, HTML-ish brackets and entities.
    static func escape(_ text: String) -> String {
        text.map(escape).joined()
    }

    static func escape(_ character: Character) -> String {
        switch character {
        case "\\", "*", "_", "[", "]", "(", ")", "#", "+", "-", ".", "!", "`", ">", "<", "|", "~", "{", "}", "&":
            return "\\" + String(character)
        case "\r\n", "\r":
            return "\n"
        default:
            return String(character)
        }
    }
}

/// `{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": card}]}`
struct TeamsMessage: Encodable {
    var card: TeamsCard

    private enum CodingKeys: String, CodingKey { case type, attachments }
    private enum AttachmentKeys: String, CodingKey { case contentType, contentUrl, content }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("message", forKey: .type)
        var attachments = c.nestedUnkeyedContainer(forKey: .attachments)
        var attachment = attachments.nestedContainer(keyedBy: AttachmentKeys.self)
        try attachment.encode("application/vnd.microsoft.card.adaptive", forKey: .contentType)
        try attachment.encodeNil(forKey: .contentUrl)
        try attachment.encode(card, forKey: .content)
    }
}

struct TeamsCard: Encodable {
    var body: [TeamsElement]
    var actions: [OpenURL]

    struct OpenURL: Encodable {
        var type = "Action.OpenUrl"
        var title: String
        var url: String

        init(title: String, url: String) {
            self.title = title
            self.url = url
        }
    }

    private enum CodingKeys: String, CodingKey {
        case schema = "$schema", type, version, msteams, body, actions
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("http://adaptivecards.io/schemas/adaptive-card.json", forKey: .schema)
        try c.encode("AdaptiveCard", forKey: .type)
        try c.encode("1.4", forKey: .version)
        try c.encode(["width": "Full"], forKey: .msteams)
        try c.encode(body, forKey: .body)
        if !actions.isEmpty { try c.encode(actions, forKey: .actions) }
    }
}

enum TeamsElement: Encodable {
    case container(style: String, items: [TeamsElement])
    /// Escaped Markdown text.
    case text(String, bold: Bool, size: String?)
    case monospace(String)
    case facts([(title: String, value: String)])

    private enum CodingKeys: String, CodingKey {
        case type, style, bleed, items, text, wrap, weight, size, fontType, spacing, facts
    }

    private struct Fact: Encodable {
        var title: String
        var value: String
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .container(let style, let items):
            try c.encode("Container", forKey: .type)
            try c.encode(style, forKey: .style)
            try c.encode(true, forKey: .bleed)
            try c.encode(items, forKey: .items)
        case .text(let text, let bold, let size):
            try c.encode("TextBlock", forKey: .type)
            try c.encode(text, forKey: .text)
            try c.encode(true, forKey: .wrap)
            if bold { try c.encode("Bolder", forKey: .weight) }
            try c.encodeIfPresent(size, forKey: .size)
        case .monospace(let text):
            try c.encode("TextBlock", forKey: .type)
            try c.encode(text, forKey: .text)
            try c.encode(true, forKey: .wrap)
            try c.encode("Monospace", forKey: .fontType)
            try c.encode("None", forKey: .spacing)
        case .facts(let facts):
            try c.encode("FactSet", forKey: .type)
            try c.encode(facts.map { Fact(title: $0.title, value: $0.value.isEmpty ? " " : $0.value) }, forKey: .facts)
        }
    }
}
