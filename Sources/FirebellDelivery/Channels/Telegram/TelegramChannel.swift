import FirebellCore
import FirebellCurl
import Foundation

/// Telegram Bot API `sendMessage` (`token` + `chat_id`), formatted with `parse_mode: HTML`.
///
/// HTML rather than MarkdownV2: in HTML mode untrusted text needs only `&`, `<` and `>`
/// replaced by entities (and `"` inside an attribute), the same three everywhere.
/// MarkdownV2 has eighteen characters to escape, with other rules inside `pre` and
/// inside link URLs, and one character missed makes Telegram refuse the whole message
/// ("can't parse entities"), which here means a lost alert. With HTML, a title like
/// `[click](https://evil)` or `*bold*` is just text.
public struct TelegramChannel: ChannelEncoder {
    public static let defaultBaseURL = "https://api.telegram.org"

    public var token: String
    /// A numeric chat id (`-1001234567890`) or `@channelusername`.
    public var chatID: String
    public var baseURL: String
    public var timeout: TimeInterval

    /// `baseURL` overrides `https://api.telegram.org` (the config's optional `url`).
    public init(token: String, chatID: String, baseURL: String? = nil, timeout: TimeInterval = ChannelConfig.defaultTimeout) {
        self.token = token
        self.chatID = chatID
        self.baseURL = baseURL ?? Self.defaultBaseURL
        self.timeout = timeout
    }

    /// Caps per part, so one over-long part cannot crowd out the rest; `TelegramHTML`
    /// still holds the whole message to Telegram's 4,096.
    static let headlineLimit = 300
    static let explanationLimit = 1000
    static let factLimit = 300
    static let framesLimit = 1500

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        let text = AlertText(alert, baseURL: context.baseURL)
        var body: [TelegramHTML.Part] = [
            .bold(Self.cut(text.headline, Self.headlineLimit)), .text("\n" + text.whatHappened + "\n"),
        ]
        if let deploy = text.deployLine {
            body.append(.text(Self.cut(oneLine(deploy), Self.factLimit) + "\n"))
        }
        for fact in text.facts {
            let limit = fact.label == "Why" ? Self.explanationLimit : Self.factLimit
            body += [.text("\n"), .bold("\(fact.label):"), .text(" " + Self.cut(fact.value, limit))]
        }
        if !alert.topFrames.isEmpty {
            body += [.text("\n\n"), .bold("Top frames"), .text("\n"), .pre(Self.cut(alert.topFrames.joined(separator: "\n"), Self.framesLimit))]
        }
        // The issue's own links, then Firebell's: the tail always fits whole.
        var tail: [TelegramHTML.Part] = [.text("\n\n")]
        for link in text.links {
            tail += [.link(href: link.url, label: link.title), .text(" · ")]
        }
        tail.append(.link(href: text.link, label: "Open issue #\(alert.issueID) in Firebell"))
        return try send(TelegramHTML.render(body, tail: tail))
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        let headline = Self.cut(rollUp.headline, Self.headlineLimit)
        let lines = rollUp.lines(baseURL: context.baseURL)
        // Each line gets its share of the message, so every alert is named even when titles are long.
        let share = max(80, (TelegramHTML.textLimit - headline.utf16.count) / max(lines.count, 1) - 1)
        var body: [TelegramHTML.Part] = [.bold(headline)]
        for line in lines {
            body.append(.text("\n" + Self.cut(line, share)))
        }
        return try send(TelegramHTML.render(body, tail: []))
    }

    /// Telegram answers `{"ok": true, …}` or `{"ok": false, "error_code": N, "description": …,
    /// "parameters": {"retry_after": s}}`: 429 (flood control) and 5xx are retried after
    /// `retry_after`; any other error is rejected with Telegram's description.
    public func verdict(on response: HTTPResponse) -> ReceiverVerdict {
        guard let answer = try? JSONDecoder().decode(TelegramAnswer.self, from: Data(response.body)) else {
            return HTTPVerdict.standard(response)
        }
        if answer.ok, (200..<300).contains(response.status) { return .accepted }
        let code = answer.errorCode ?? response.status
        var reason = "Telegram \(code): \(answer.description.map { String($0.prefix(500)) } ?? "no description")"
        if Self.isTransient(code) || Self.isTransient(response.status) {
            let retryAfter = answer.parameters?.retryAfter.map(String.init) ?? response.header("Retry-After")
            return .retryable(reason: reason, retryAfter: retryAfter)
        }
        if let chat = answer.parameters?.migrateToChatID {
            reason += " (the group became the supergroup \(chat); set chat_id to it)"
        }
        return .rejected(reason: reason)
    }

    static func isTransient(_ code: Int) -> Bool {
        code == 408 || code == 425 || code == 429 || (500..<600).contains(code)
    }

    static func cut(_ text: String, _ limit: Int) -> String {
        TelegramHTML.cut(text, toUTF16: limit)
    }

    private func send(_ html: String) throws -> ChannelMessage {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        return .http(HTTPRequest(
            method: "POST", url: "\(base)/bot\(token)/sendMessage",
            headers: [(name: "Content-Type", value: "application/json")],
            body: try ChannelJSON.encode(TelegramMessage(chatID: chatID, text: html)), timeout: timeout))
    }
}

/// The `sendMessage` body. Link previews are off both ways Telegram has spelled it
/// (`link_preview_options` since Bot API 7.0; `disable_web_page_preview` before,
/// still honoured), so the issue link does not unfurl.
struct TelegramMessage: Encodable {
    var chatID: String
    var text: String
    var parseMode = "HTML"
    var disableWebPagePreview = true
    var linkPreviewOptions = LinkPreviewOptions()

    struct LinkPreviewOptions: Encodable {
        var isDisabled = true

        private enum CodingKeys: String, CodingKey { case isDisabled = "is_disabled" }
    }

    private enum CodingKeys: String, CodingKey {
        case chatID = "chat_id", text, parseMode = "parse_mode", disableWebPagePreview = "disable_web_page_preview"
        case linkPreviewOptions = "link_preview_options"
    }
}

/// `{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 5", "parameters": {"retry_after": 5}}`
struct TelegramAnswer: Decodable {
    var ok: Bool
    var errorCode: Int?
    var description: String?
    var parameters: Parameters?

    struct Parameters: Decodable {
        var retryAfter: Int?
        var migrateToChatID: Int64?

        private enum CodingKeys: String, CodingKey { case retryAfter = "retry_after", migrateToChatID = "migrate_to_chat_id" }
    }

    private enum CodingKeys: String, CodingKey { case ok, errorCode = "error_code", description, parameters }
}
