import FirebellCore
import FirebellCurl
import Foundation

/// Google Chat incoming webhook (`url`): one text message in Chat's own markup
/// (`*bold*`, `<url|text>` links).
///
/// Follow-ups stay together without any stored state: every alert of an issue carries
/// `thread.threadKey = "firebell-issue-<id>"` and the URL asks for
/// `messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD`, so the first alert starts
/// the thread and repeats, escalations and the resolve reply in it. Roll-ups go top-level,
/// except an incident's follow-up, which replies in the thread of the incident's first page.
///
/// Untrusted text is inert. Chat markup has no escape character, so each markup character
/// in event text gets a zero-width space that breaks the sequence while showing the same:
/// after `<` (no `<users/all>` mention, no `<url|text>` link), after `&` (no entity), after
/// `]` (no `[text](url)` link where Markdown syntax applies), before `>` (no quote), and on
/// both sides of `*`, `_`, `~` and backticks (no bold, italic, strikethrough or code span).
public struct GoogleChatChannel: ChannelEncoder {
    /// Message text limit, in characters (measured here in UTF-16 code units, never fewer).
    static let textLimit = 4096
    static let headlineBudget = 1000
    static let whyBudget = 800
    static let valueBudget = 500
    static let frameBudget = 300

    static let replyOption = "messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"

    public var url: String
    public var timeout: TimeInterval

    public init(url: String, timeout: TimeInterval) {
        self.url = url
        self.timeout = timeout
    }

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        let text = AlertText(alert, baseURL: context.baseURL)
        var head = [
            "*" + fit(oneLine(text.headline), Self.headlineBudget, Self.escape) + "*",
            text.whatHappened,
        ]
        if let deploy = text.deployLine {
            head.append(fit(oneLine(deploy), Self.valueBudget, Self.escape))
        }
        for fact in text.facts {
            let budget = fact.label == "Why" ? Self.whyBudget : Self.valueBudget
            head.append("*\(fact.label):* " + fit(oneLine(fact.value), budget, Self.escape))
        }
        // The issue's own links before Firebell's, in the same `<url|text>` form (`AlertLink`
        // encodes `|` and `>`, so a URL cannot end the link).
        let tail = (text.links.map { "<\($0.url)|\($0.title)>" } + ["<\(text.link)|Open issue #\(alert.issueID) in Firebell>"])
            .joined(separator: " · ")
        var lines = head
        if !alert.topFrames.isEmpty {
            // The frames get what the text limit leaves after everything else.
            let fixed = (head + ["*Top frames:*", tail]).joined(separator: "\n").utf16.count + 2
            let frames = alert.topFrames.map { fit(oneLine($0), Self.frameBudget, Self.escape) }
            if fixed + Truncation.marker.utf16.count < Self.textLimit {
                lines += ["*Top frames:*", fitLines(frames, limit: Self.textLimit - fixed)]
            }
        }
        lines.append(tail)
        let payload = GoogleChatPayload(
            text: fitLines(lines, limit: Self.textLimit),
            thread: .init(threadKey: Self.threadKey(alert.issueID)))
        return try post(Self.threadedURL(url), payload)
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        let entries = rollUpEntries(rollUp, baseURL: context.baseURL)
        let headline = "*" + fit(oneLine(rollUp.headline), Self.headlineBudget, Self.escape) + "*"
        let room = Self.textLimit - headline.utf16.count - 1
        let share = max(60, room / max(1, entries.count) - 1)
        let lines = entries.map { entry -> String in
            guard let link = entry.link else { return Self.escape(entry.text) }
            return "• " + fit(oneLine(entry.text), share - link.utf16.count - 12, Self.escape) + " <\(link)|open>"
        }
        let text = headline + "\n" + fitLines(lines, limit: room)
        if let page = rollUp.incident?.firstPage {
            // An incident's follow-up replies in the thread of its first page's issue.
            return try post(Self.threadedURL(url), GoogleChatPayload(text: text, thread: .init(threadKey: Self.threadKey(page.issueID))))
        }
        return try post(url, GoogleChatPayload(text: text, thread: nil))
    }

    /// A `template` replaces the `text` (cut to the text limit); the `thread` and the reply
    /// option in the URL stay, so templated alerts of an issue still land in its thread.
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        ChannelTemplate.replacingJSON(in: message, at: ["text"], with: fit(rendered, Self.textLimit) { String($0) })
    }

    private func post(_ url: String, _ payload: GoogleChatPayload) throws -> ChannelMessage {
        .http(HTTPRequest(
            method: "POST", url: url, headers: [(name: "Content-Type", value: "application/json; charset=UTF-8")],
            body: try ChannelJSON.encode(payload), timeout: timeout))
    }

    /// One thread per issue; the key is Firebell's own, so it is the same for every alert of the issue.
    static func threadKey(_ issueID: Int64) -> String {
        "firebell-issue-\(issueID)"
    }

    /// The webhook URL (its `key` and `token` kept) asking to reply in the thread named by
    /// the body's `threadKey`, or start it. A `threadKey` query parameter (the deprecated
    /// way) or another reply option in the configured URL is replaced.
    static func threadedURL(_ url: String) -> String {
        let parts = url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query = parts.count > 1
            ? parts[1].split(separator: "&").map(String.init).filter {
                !$0.isEmpty && !$0.hasPrefix("messageReplyOption=") && !$0.hasPrefix("threadKey=")
            }
            : []
        return String(parts[0]) + "?" + (query + [replyOption]).joined(separator: "&")
    }

    static let zeroWidthSpace = "\u{200B}"

    static func escape(_ text: String) -> String {
        text.map(escape).joined()
    }

    static func escape(_ character: Character) -> String {
        switch character {
        case "<", "&", "]": String(character) + zeroWidthSpace
        case ">": zeroWidthSpace + ">"
        case "*", "_", "~", "`": zeroWidthSpace + String(character) + zeroWidthSpace
        case "\r\n", "\r": "\n"
        default: String(character)
        }
    }
}

struct GoogleChatPayload: Encodable {
    var text: String
    var thread: Thread?

    struct Thread: Encodable {
        var threadKey: String
    }
}
