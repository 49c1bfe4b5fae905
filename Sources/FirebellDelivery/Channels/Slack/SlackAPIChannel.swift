import FirebellCore
import FirebellCurl
import Foundation

/// Slack with a bot token (`token` + `channel`): the Web API, so an issue's follow-ups
/// stay with its first message.
///
/// * An issue's first alert is a top-level `chat.postMessage`; Slack's answer gives the
///   message's channel id and `ts`, kept with the issue as `"<channel id>|<ts>"`.
/// * Later alerts of the issue are replies in that thread. Regressions and escalations
///   are also broadcast to the channel (`reply_broadcast`), because they change what the
///   on-call engineer should do; repeats stay inside the thread, so an ongoing issue
///   does not keep re-filling the channel.
/// * The resolve edits the first message in place (`chat.update`) and posts nothing else.
/// * Roll-ups are top-level messages (they name several issues, so they belong to no thread),
///   except an incident's follow-up: a quiet reply in the thread of the incident's first page.
///
/// The content and escaping are the incoming webhook's (`SlackContent`): `& < >` only.
/// Slack's Web API answers HTTP 200 with `{"ok": false, "error": …}` when it refuses,
/// so the verdict reads the body, not just the status.
public struct SlackAPIChannel: ChannelEncoder {
    public static let defaultBaseURL = "https://slack.com/api"

    public var token: String
    /// A channel id (`C…`) or name; follow-ups use the id Slack answered with.
    public var channel: String
    public var baseURL: String
    public var timeout: TimeInterval

    /// `baseURL` overrides `https://slack.com/api` (the config's optional `url`).
    public init(token: String, channel: String, baseURL: String? = nil, timeout: TimeInterval = ChannelConfig.defaultTimeout) {
        self.token = token
        self.channel = channel
        self.baseURL = baseURL ?? Self.defaultBaseURL
        self.timeout = timeout
    }

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        let content = SlackContent(alert, baseURL: context.baseURL)
        guard let root = context.threadReference.map(SlackThread.init(reference:)) else {
            return try call("chat.postMessage", SlackAPIPayload(channel: channel, content: content))
        }
        let channel = root.channel ?? self.channel
        switch alert.kind {
        case .resolved:
            return try call("chat.update", SlackAPIPayload(channel: channel, content: content, ts: root.ts))
        case .regression, .escalation, .flapping:
            return try call("chat.postMessage", SlackAPIPayload(channel: channel, content: content, threadTS: root.ts, broadcast: true))
        case .repeat, .new:
            // `.new` with a thread only happens when the first alert is sent again after its
            // answer was kept (a crash in between): a quiet reply beats a second top-level post.
            return try call("chat.postMessage", SlackAPIPayload(channel: channel, content: content, threadTS: root.ts, broadcast: false))
        }
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        let content = SlackContent(rollUp, baseURL: context.baseURL)
        if rollUp.incident != nil, let root = context.threadReference.map(SlackThread.init(reference:)) {
            // The on-call engineer was paged already: the issues that joined go quietly into its thread.
            return try call("chat.postMessage", SlackAPIPayload(channel: root.channel ?? channel, content: content, threadTS: root.ts, broadcast: false))
        }
        return try call("chat.postMessage", SlackAPIPayload(channel: channel, content: content))
    }

    /// `ok: true` is accepted whatever else is said; `ratelimited` and Slack's own
    /// transient failures are retried (honouring `Retry-After`); any other error,
    /// or an answer without `ok`, is rejected with Slack's error code.
    public func verdict(on response: HTTPResponse) -> ReceiverVerdict {
        let answer = try? JSONDecoder().decode(SlackAPIAnswer.self, from: Data(response.body))
        switch response.status {
        case 200..<300:
            break
        case 408, 425, 429, 500..<600:
            let reason = "HTTP \(response.status): \(answer?.error ?? String(response.bodyText.prefix(500)))"
            return .retryable(reason: reason, retryAfter: response.header("Retry-After"))
        default:
            return .rejected(reason: "HTTP \(response.status): \(answer?.error ?? String(response.bodyText.prefix(500)))")
        }
        guard let answer else {
            return .rejected(reason: "Slack answered HTTP \(response.status) without a JSON body: \(String(response.bodyText.prefix(500)))")
        }
        if answer.ok == true { return .accepted }
        let error = answer.error ?? "ok is not true"
        var reason = "Slack error: \(error)"
        if let messages = answer.responseMetadata?.messages, !messages.isEmpty {
            reason += " (\(messages.joined(separator: "; ").prefix(400)))"
        }
        if Self.transientErrors.contains(error) {
            return .retryable(reason: reason, retryAfter: response.header("Retry-After"))
        }
        return .rejected(reason: reason)
    }

    /// Web API errors that a later try can get past; every other error is about the
    /// token, the channel or the message, and would come back the same.
    static let transientErrors: Set<String> = [
        "ratelimited", "rate_limited", "service_unavailable", "internal_error", "fatal_error", "request_timeout",
    ]

    /// `"<channel id>|<ts>"` from `chat.postMessage`'s answer.
    public var threads: Bool { true }

    /// The first message was deleted: `chat.update` answers `message_not_found`, a reply
    /// under it `thread_not_found`. The worker then posts the alert as a new message.
    public func threadGone(_ response: HTTPResponse) -> Bool {
        guard let answer = try? JSONDecoder().decode(SlackAPIAnswer.self, from: Data(response.body)), answer.ok != true
        else { return false }
        return answer.error == "message_not_found" || answer.error == "thread_not_found"
    }

    public func threadReference(from response: HTTPResponse) -> String? {
        guard let answer = try? JSONDecoder().decode(SlackAPIAnswer.self, from: Data(response.body)),
              answer.ok == true, let ts = answer.ts, !ts.isEmpty
        else { return nil }
        return SlackThread(channel: answer.channel, ts: ts).reference
    }

    private func call(_ method: String, _ payload: SlackAPIPayload) throws -> ChannelMessage {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        return .http(HTTPRequest(
            method: "POST", url: "\(base)/\(method)",
            headers: [
                (name: "Content-Type", value: "application/json; charset=utf-8"),
                (name: "Authorization", value: "Bearer \(token)"),
            ],
            body: try ChannelJSON.encode(payload), timeout: timeout))
    }
}

/// Where an issue's first Slack message is: the channel id Slack answered with and
/// the message's `ts`, kept as `"C123|1700000000.000100"`.
struct SlackThread: Equatable {
    /// `nil` for a bare `ts` (then the configured channel is used).
    var channel: String?
    var ts: String

    init(channel: String?, ts: String) {
        self.channel = channel.flatMap { $0.isEmpty ? nil : $0 }
        self.ts = ts
    }

    init(reference: String) {
        if let bar = reference.firstIndex(of: "|") {
            self.init(channel: String(reference[..<bar]), ts: String(reference[reference.index(after: bar)...]))
        } else {
            self.init(channel: nil, ts: reference)
        }
    }

    var reference: String {
        channel.map { "\($0)|\(ts)" } ?? ts
    }
}

/// The body of `chat.postMessage` (with `thread_ts` for a reply) and `chat.update` (with `ts`).
struct SlackAPIPayload: Encodable {
    var channel: String
    var text: String
    var blocks: [SlackBlock]
    /// `chat.update`: the message to edit.
    var ts: String?
    /// `chat.postMessage` in a thread.
    var threadTS: String?
    var replyBroadcast: Bool?
    /// Links to issues would otherwise unfurl into previews of Firebell's JSON.
    var unfurlLinks: Bool?

    init(channel: String, content: SlackContent, ts: String? = nil, threadTS: String? = nil, broadcast: Bool? = nil) {
        self.channel = channel
        self.text = content.text
        self.blocks = content.blocks
        self.ts = ts
        self.threadTS = threadTS
        self.replyBroadcast = threadTS == nil ? nil : broadcast
        self.unfurlLinks = ts == nil ? false : nil
    }

    private enum CodingKeys: String, CodingKey {
        case channel, text, blocks, ts, threadTS = "thread_ts", replyBroadcast = "reply_broadcast", unfurlLinks = "unfurl_links"
    }
}

/// What the Web API answers: `{"ok": true, "channel": "C123", "ts": "…"}` or `{"ok": false, "error": "…"}`.
struct SlackAPIAnswer: Decodable {
    var ok: Bool?
    var error: String?
    var channel: String?
    var ts: String?
    var responseMetadata: Metadata?

    struct Metadata: Decodable {
        var messages: [String]?
    }

    private enum CodingKeys: String, CodingKey {
        case ok, error, channel, ts, responseMetadata = "response_metadata"
    }
}
