import FirebellCore
import FirebellCurl
import Foundation

/// Discord execute-webhook (`url`): the headline as `content`, the details as one embed
/// coloured by severity.
///
/// Untrusted text is inert twice over: every message sends `allowed_mentions: {"parse": []}`,
/// so `@everyone`, `@here`, role and user mentions never ping, and Discord markdown is
/// backslash-escaped, so `[click](https://evil)` cannot become a masked link.
///
/// Follow-ups stay together: the first alert is posted with `?wait=true`, so the answer
/// carries the message and `threadReference(from:)` keeps its id; a repeat or resolve of
/// that issue then edits the message in place (`PATCH {url}/messages/{id}`) instead of
/// posting a new one. An escalation or regression is news the on-call must hear, and an
/// edit notifies nobody, so those are posted anew. If someone deleted the first message,
/// the edit gets "Unknown Message" (`threadGone`) and the worker posts the alert anew,
/// which becomes the message later follow-ups edit.
public struct DiscordChannel: ChannelEncoder {
    /// Discord's limits, in characters (measured here in UTF-16 code units, never fewer).
    static let contentLimit = 2000
    static let titleLimit = 256
    static let descriptionLimit = 4096
    static let fieldNameLimit = 256
    static let fieldValueLimit = 1024
    static let fieldCountLimit = 25
    static let embedTotalLimit = 6000
    static let embedCountLimit = 10

    /// Embed colours: red, amber, green.
    static let criticalColor = 0xD93025
    static let minorColor = 0xF29900
    static let resolvedColor = 0x1E8E3E

    public var url: String
    public var timeout: TimeInterval

    public init(url: String, timeout: TimeInterval) {
        self.url = url
        self.timeout = timeout
    }

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        let text = AlertText(alert, baseURL: context.baseURL)
        let color = alert.kind == .resolved ? Self.resolvedColor : (alert.severity == .critical ? Self.criticalColor : Self.minorColor)

        var fields: [DiscordEmbed.Field] = [
            .init(name: "Events", value: "\(alert.count)", inline: true),
            .init(name: "Users", value: "\(alert.userCount)", inline: true),
            .init(name: "First seen", value: Timestamps.format(alert.firstSeen), inline: true),
            .init(name: "Last seen", value: Timestamps.format(alert.lastSeen), inline: true),
        ]
        if let release = alert.release {
            fields.append(.init(name: "Release", value: Self.field(oneLine(release)), inline: true))
        }
        if let culprit = alert.culprit {
            fields.append(.init(name: "Culprit", value: Self.field(oneLine(culprit)), inline: false))
        }
        if !alert.topFrames.isEmpty {
            let lines = alert.topFrames.map { "• " + fit(oneLine($0), Self.fieldValueLimit - 2, Self.escape) }
            let frames = fitLines(lines, limit: Self.fieldValueLimit)
            fields.append(.init(name: "Top frames", value: frames, inline: false))
        }
        // Masked links: the titles are Firebell's, the URLs made safe by `AlertLink`.
        let links = text.links.map { "[\($0.title)](\($0.url))" }.filter { $0.utf16.count <= Self.fieldValueLimit }
        if !links.isEmpty {
            fields.append(.init(name: "Links", value: fitLines(links, limit: Self.fieldValueLimit), inline: false))
        }

        var embed = DiscordEmbed(
            title: fit(text.whatHappened, Self.titleLimit, Self.escape), url: text.link, description: nil, color: color,
            fields: fields, footer: .init(text: "Firebell issue #\(alert.issueID)"),
            timestamp: Timestamps.format(alert.createdAt))
        // The explanation gets whatever the 6,000-character budget leaves, up to the description limit.
        let room = min(Self.descriptionLimit, Self.embedTotalLimit - embed.textLength)
        // The deploy line first, so a long explanation is what gets cut.
        let why = fit((text.deployLine.map { oneLine($0) + "\n" } ?? "") + "Why: " + alert.explanation, room, Self.escape)
        embed.description = why.isEmpty ? nil : why

        let payload = DiscordPayload(content: fit(oneLine(text.headline), Self.contentLimit, Self.escape), embeds: [embed])
        if let id = context.threadReference, Self.isSnowflake(id), alert.kind == .repeat || alert.kind == .resolved {
            return try request("PATCH", Self.editURL(url, messageID: id), payload)
        }
        return try request("POST", Self.postURL(url), payload)
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        let entries = rollUpEntries(rollUp, baseURL: context.baseURL)
        // Every listed issue keeps a line: each gets an equal share of the description.
        let share = max(80, (Self.descriptionLimit - Truncation.marker.utf16.count) / max(1, entries.count) - 1)
        let lines = entries.map { entry -> String in
            guard let link = entry.link else { return Self.escape(entry.text) }
            return "• " + fit(oneLine(entry.text), share - link.utf16.count - 3, Self.escape) + " " + link
        }
        let embed = DiscordEmbed(
            title: nil, url: nil, description: fitLines(lines, limit: Self.descriptionLimit),
            color: rollUp.severity == .critical ? Self.criticalColor : Self.minorColor, fields: [], footer: nil, timestamp: nil)
        let payload = DiscordPayload(content: fit(oneLine(rollUp.headline), Self.contentLimit, Self.escape), embeds: [embed])
        return try request("POST", url, payload)
    }

    /// A `template` replaces the `content` (cut to Discord's limit) and drops the embed;
    /// the method, URL (`?wait=true` or the edit of the first message) and the empty
    /// `allowed_mentions` stay, so a template can neither lose the thread nor ping anyone.
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        ChannelTemplate.replacingJSON(in: message, at: ["content"], with: fit(rendered, Self.contentLimit) { String($0) }, removing: ["embeds"])
    }

    /// `HTTPVerdict.standard`, except that a 429 without a `Retry-After` header still
    /// honours the `retry_after` (seconds) Discord puts in its JSON body.
    public func verdict(on response: HTTPResponse) -> ReceiverVerdict {
        let verdict = HTTPVerdict.standard(response)
        guard response.status == 429, case .retryable(let reason, nil) = verdict,
              let body = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let seconds = (body["retry_after"] as? NSNumber)?.doubleValue, seconds.isFinite, seconds >= 0
        else { return verdict }
        return .retryable(reason: reason, retryAfter: String(Int(seconds.rounded(.up))))
    }

    /// The message id from the answer to a `?wait=true` post: `{"id": "1234567890", "channel_id": …}`.
    public var threads: Bool { true }

    public func threadReference(from response: HTTPResponse) -> String? {
        guard (200..<300).contains(response.status),
              let body = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let id = body["id"] as? String, Self.isSnowflake(id)
        else { return nil }
        return id
    }

    /// Discord's "Unknown Message" (404, code 10008): the first message was deleted, so
    /// the edit has nothing to edit. (A deleted webhook is 404 with code 10015: not this.)
    public func threadGone(_ response: HTTPResponse) -> Bool {
        guard response.status == 404,
              let body = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        else { return false }
        return (body["code"] as? NSNumber)?.intValue == 10008
    }

    private func request(_ method: String, _ url: String, _ payload: DiscordPayload) throws -> ChannelMessage {
        .http(HTTPRequest(
            method: method, url: url, headers: [(name: "Content-Type", value: "application/json")],
            body: try ChannelJSON.encode(payload), timeout: timeout))
    }

    /// A Discord id: digits only, so a stored reference can never reshape the edit URL.
    static func isSnowflake(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 25 && id.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The webhook URL with `wait=true` added to whatever query it already has (e.g. `thread_id`).
    static func postURL(_ url: String) -> String {
        let (base, query) = split(url)
        return base + "?" + (query + ["wait=true"]).joined(separator: "&")
    }

    /// `{url}/messages/{id}`, keeping the webhook URL's query (a `thread_id` must come along).
    static func editURL(_ url: String, messageID: String) -> String {
        var (base, query) = split(url)
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/messages/" + messageID + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    /// The URL before `?`, and its query items other than `wait` (the fragment is dropped).
    private static func split(_ url: String) -> (base: String, query: [String]) {
        let withoutFragment = url.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? url
        let parts = withoutFragment.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let base = String(parts[0])
        let query = parts.count > 1
            ? parts[1].split(separator: "&").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("wait=") && $0 != "wait" }
            : []
        return (base, query)
    }

    /// A field value: escaped, cut to the field limit, never empty (Discord rejects empty values).
    private static func field(_ text: String) -> String {
        let value = fit(text, fieldValueLimit, escape)
        return value.isEmpty ? "(empty)" : value
    }

    /// Discord markdown, backslash-escaped: emphasis, code, spoilers, quotes, headings,
    /// `-` lists, masked links and `<@…>` / `<#…>` / `<t:…>` tags. Mentions are handled by
    /// `allowed_mentions`, so `@` stays as it is; an ordered `1.` list only changes the look, so `.` stays too.
    static func escape(_ text: String) -> String {
        text.map(escape).joined()
    }

    static func escape(_ character: Character) -> String {
        switch character {
        case "\\", "*", "_", "~", "`", "|", ">", "<", "#", "-", "[", "]", "(", ")":
            return "\\" + String(character)
        case "\r\n", "\r":
            return "\n"
        default:
            return String(character)
        }
    }
}

/// `POST /webhooks/{id}/{token}` body.
struct DiscordPayload: Encodable {
    var content: String
    var embeds: [DiscordEmbed]
    /// Always sent, always empty: nothing in an alert may ping anyone.
    var allowedMentions = AllowedMentions()

    struct AllowedMentions: Encodable {
        var parse: [String] = []
    }

    private enum CodingKeys: String, CodingKey {
        case content, embeds, allowedMentions = "allowed_mentions"
    }
}

struct DiscordEmbed: Encodable {
    var title: String?
    var url: String?
    var description: String?
    var color: Int
    var fields: [Field]
    var footer: Footer?
    var timestamp: String?

    struct Field: Encodable {
        var name: String
        var value: String
        var inline: Bool
    }

    struct Footer: Encodable {
        var text: String
    }

    /// What Discord counts against the 6,000 characters of all embeds: title, description,
    /// field names and values, footer text (and author name, unused here).
    var textLength: Int {
        (title?.utf16.count ?? 0) + (description?.utf16.count ?? 0) + (footer?.text.utf16.count ?? 0)
            + fields.reduce(0) { $0 + $1.name.utf16.count + $1.value.utf16.count }
    }
}
