import FirebellCore
import FirebellCurl
import Foundation
import Testing

@testable import FirebellDelivery

struct SlackAPIChannelTests {
    let slack = SlackAPIChannel(token: "xoxb-test-token", channel: "#oncall", timeout: 10)
    static let root = "C0123ABCD|1700000000.000100"

    static func request(_ message: ChannelMessage) throws -> HTTPRequest {
        guard case .http(let request) = message else { throw SlackAPITestError.notHTTP }
        return request
    }

    static func body(_ message: ChannelMessage) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(request(message).body)) as? [String: Any])
    }

    static func alert(_ kind: AlertKind) -> Alert {
        var alert = GoldenAlerts.ordinary
        alert.kind = kind
        return alert
    }

    static func followUp(_ threadReference: String? = root) -> DeliveryContext {
        var context = GoldenAlerts.context
        context.threadReference = threadReference
        return context
    }

    @Test func aDeletedFirstMessageIsTheThreadGone() {
        func answer(_ json: String) -> HTTPResponse { HTTPResponse(status: 200, body: Array(json.utf8)) }
        #expect(slack.threadGone(answer(#"{"ok": false, "error": "message_not_found"}"#)))
        #expect(slack.threadGone(answer(#"{"ok": false, "error": "thread_not_found"}"#)))
        #expect(!slack.threadGone(answer(#"{"ok": false, "error": "channel_not_found"}"#)))
        #expect(!slack.threadGone(answer(#"{"ok": true, "error": "message_not_found"}"#)))
        #expect(!slack.threadGone(answer("not json")))
    }

    @Test func goldenFiles() throws {
        let context = GoldenAlerts.context
        try Golden.check(slack.encode(GoldenAlerts.ordinary, context: context), "slack-api/ordinary.txt")
        try Golden.check(slack.encode(GoldenAlerts.hostile, context: context), "slack-api/hostile.txt")
        try Golden.check(slack.encode(GoldenAlerts.overLong, context: context), "slack-api/overlong.txt")
        try Golden.check(slack.encode(SlackAPIFixtures.rollUp, context: context), "slack-api/rollup.txt")
        var repeated = Self.alert(.repeat)
        repeated.eventsSinceLastAlert = 57
        repeated.deploy = nil  // only new issues and regressions carry it
        try Golden.check(slack.encode(repeated, context: Self.followUp()), "slack-api/followup.txt")
        try Golden.check(slack.encode(Self.alert(.resolved), context: Self.followUp()), "slack-api/resolved.txt")
    }

    /// Token mode shares Block Kit building with the incoming webhook (`SlackContent`);
    /// these files were written before that move and pin the webhook's output.
    @Test func webhookOutputIsUnchanged() throws {
        let webhook = SlackChannel(url: "https://hooks.slack.com/services/T000/B000/XXXX", timeout: 10)
        let context = GoldenAlerts.context
        try Golden.check(webhook.encode(GoldenAlerts.ordinary, context: context), "slack/ordinary.txt")
        try Golden.check(webhook.encode(GoldenAlerts.hostile, context: context), "slack/hostile.txt")
        try Golden.check(webhook.encode(GoldenAlerts.overLong, context: context), "slack/overlong.txt")
        try Golden.check(webhook.encode(Self.alert(.resolved), context: context), "slack/resolved.txt")
        try Golden.check(webhook.encode(SlackAPIFixtures.rollUp, context: context), "slack/rollup.txt")
    }

    @Test func firstAlertIsATopLevelPostWithTheBotToken() throws {
        let request = try Self.request(slack.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context))
        #expect(request.method == "POST")
        #expect(request.url == "https://slack.com/api/chat.postMessage")
        #expect(request.timeout == 10)
        #expect(request.headers.contains { $0.name == "Authorization" && $0.value == "Bearer xoxb-test-token" })
        #expect(request.headers.contains { $0.name == "Content-Type" && $0.value == "application/json; charset=utf-8" })
        let body = try Self.body(.http(request))
        #expect(body["channel"] as? String == "#oncall")
        #expect(body["thread_ts"] == nil)
        #expect(body["unfurl_links"] as? Bool == false)
    }

    @Test func contentAndEscapingAreTheWebhooksOwn() throws {
        let webhook = SlackChannel(url: "https://hooks.slack.com/services/T/B/X", timeout: 10)
        for alert in [GoldenAlerts.ordinary, GoldenAlerts.hostile, GoldenAlerts.overLong] {
            let api = try Self.body(slack.encode(alert, context: GoldenAlerts.context))
            let hook = try Self.body(webhook.encode(alert, context: GoldenAlerts.context))
            #expect(api["text"] as? String == hook["text"] as? String)
            #expect(NSArray(array: try #require(api["blocks"] as? [Any])).isEqual(to: try #require(hook["blocks"] as? [Any])))
        }
        let hostile = try Self.request(slack.encode(GoldenAlerts.hostile, context: GoldenAlerts.context))
        let raw = String(decoding: hostile.body, as: UTF8.self)
        #expect(!raw.contains("<!channel>"))
        #expect(raw.contains("&lt;!channel&gt;"))
    }

    @Test func baseURLOverrideIsUsed() throws {
        let local = SlackAPIChannel(token: "t", channel: "C1", baseURL: "http://127.0.0.1:9999/api/", timeout: 2)
        #expect(try Self.request(local.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context)).url == "http://127.0.0.1:9999/api/chat.postMessage")
        #expect(try Self.request(local.encode(Self.alert(.resolved), context: Self.followUp())).url == "http://127.0.0.1:9999/api/chat.update")
    }

    @Test func repeatsAreQuietRepliesInTheThread() throws {
        let message = try slack.encode(Self.alert(.repeat), context: Self.followUp())
        #expect(try Self.request(message).url == "https://slack.com/api/chat.postMessage")
        let body = try Self.body(message)
        // The channel id Slack answered with, not the configured name.
        #expect(body["channel"] as? String == "C0123ABCD")
        #expect(body["thread_ts"] as? String == "1700000000.000100")
        #expect(body["reply_broadcast"] as? Bool == false)
    }

    @Test func escalationsAndRegressionsAreBroadcastFromTheThread() throws {
        for kind in [AlertKind.escalation, .regression] {
            let body = try Self.body(slack.encode(Self.alert(kind), context: Self.followUp()))
            #expect(body["thread_ts"] as? String == "1700000000.000100", "\(kind)")
            #expect(body["reply_broadcast"] as? Bool == true, "\(kind)")
        }
    }

    @Test func resolveEditsTheFirstMessageAndPostsNothingElse() throws {
        let message = try slack.encode(Self.alert(.resolved), context: Self.followUp())
        #expect(try Self.request(message).url == "https://slack.com/api/chat.update")
        let body = try Self.body(message)
        #expect(body["channel"] as? String == "C0123ABCD")
        #expect(body["ts"] as? String == "1700000000.000100")
        #expect(body["thread_ts"] == nil)
        #expect(body["reply_broadcast"] == nil)
        #expect((body["text"] as? String)?.hasPrefix("[resolved] checkout/production:") == true)
    }

    @Test func resolveWithoutAThreadIsATopLevelPost() throws {
        let message = try slack.encode(Self.alert(.resolved), context: GoldenAlerts.context)
        #expect(try Self.request(message).url == "https://slack.com/api/chat.postMessage")
        #expect(try Self.body(message)["ts"] == nil)
    }

    @Test func aBareTimestampReferenceUsesTheConfiguredChannel() throws {
        let body = try Self.body(slack.encode(Self.alert(.repeat), context: Self.followUp("1700000000.000100")))
        #expect(body["channel"] as? String == "#oncall")
        #expect(body["thread_ts"] as? String == "1700000000.000100")
    }

    @Test func rollUpsAreTopLevel() throws {
        let body = try Self.body(slack.encode(SlackAPIFixtures.rollUp, context: GoldenAlerts.context))
        #expect(body["thread_ts"] == nil)
        #expect(body["text"] as? String == "[CRITICAL] 3 alerts held back by channel_rate 20/min")
    }

    // MARK: - Thread reference

    static func answer(_ status: Int, _ json: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: Array(json.utf8))
    }

    @Test func threadReferenceIsTheAnswersChannelAndTimestamp() {
        let posted = Self.answer(200, #"{"ok":true,"channel":"C123","ts":"1700000000.000100","message":{"text":"x"}}"#)
        #expect(slack.threadReference(from: posted) == "C123|1700000000.000100")
        #expect(slack.threadReference(from: Self.answer(200, #"{"ok":true,"ts":"1700000000.000100"}"#)) == "1700000000.000100")
        #expect(slack.threadReference(from: Self.answer(200, #"{"ok":false,"error":"channel_not_found"}"#)) == nil)
        #expect(slack.threadReference(from: Self.answer(200, #"{"ok":true}"#)) == nil)
        #expect(slack.threadReference(from: Self.answer(200, "ok")) == nil)
    }

    @Test func threadReferenceParsesBackBothWays() {
        #expect(SlackThread(reference: "C123|1700000000.000100") == SlackThread(channel: "C123", ts: "1700000000.000100"))
        #expect(SlackThread(reference: "1700000000.000100") == SlackThread(channel: nil, ts: "1700000000.000100"))
        #expect(SlackThread(reference: "|1700000000.000100").channel == nil)
        #expect(SlackThread(channel: "C123", ts: "1.2").reference == "C123|1.2")
    }

    // MARK: - Verdict

    @Test func verdictReadsTheBodyNotJustTheStatus() {
        let table: [(HTTPResponse, ReceiverVerdict)] = [
            (Self.answer(200, #"{"ok":true,"channel":"C123","ts":"1.2"}"#), .accepted),
            (Self.answer(200, #"{"ok":true,"warning":"missing_charset"}"#), .accepted),
            (Self.answer(200, #"{"ok":false,"error":"invalid_auth"}"#), .rejected(reason: "Slack error: invalid_auth")),
            (Self.answer(200, #"{"ok":false,"error":"channel_not_found"}"#), .rejected(reason: "Slack error: channel_not_found")),
            (Self.answer(200, #"{"ok":false,"error":"not_in_channel"}"#), .rejected(reason: "Slack error: not_in_channel")),
            (Self.answer(200, #"{"ok":false,"error":"msg_too_long"}"#), .rejected(reason: "Slack error: msg_too_long")),
            (Self.answer(200, #"{"ok":false,"error":"invalid_blocks","response_metadata":{"messages":["[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text]"]}}"#),
             .rejected(reason: "Slack error: invalid_blocks ([ERROR] must be less than 151 characters [json-pointer:/blocks/0/text])")),
            (Self.answer(200, #"{"ok":false,"error":"something_new"}"#), .rejected(reason: "Slack error: something_new")),
            (Self.answer(200, #"{"ok":false}"#), .rejected(reason: "Slack error: ok is not true")),
            (Self.answer(200, "ok"), .rejected(reason: "Slack answered HTTP 200 without a JSON body: ok")),
            (Self.answer(429, #"{"ok":false,"error":"ratelimited"}"#, headers: [(name: "Retry-After", value: "30")]),
             .retryable(reason: "HTTP 429: ratelimited", retryAfter: "30")),
            (Self.answer(200, #"{"ok":false,"error":"ratelimited"}"#, headers: [(name: "Retry-After", value: "7")]),
             .retryable(reason: "Slack error: ratelimited", retryAfter: "7")),
            (Self.answer(200, #"{"ok":false,"error":"service_unavailable"}"#), .retryable(reason: "Slack error: service_unavailable", retryAfter: nil)),
            (Self.answer(503, "upstream down"), .retryable(reason: "HTTP 503: upstream down", retryAfter: nil)),
            (Self.answer(404, #"{"ok":false,"error":"unknown_method"}"#), .rejected(reason: "HTTP 404: unknown_method")),
        ]
        for (response, expected) in table {
            #expect(slack.verdict(on: response) == expected, "\(response.status) \(response.bodyText)")
        }
    }
}

private enum SlackAPITestError: Error { case notHTTP }

private enum SlackAPIFixtures {
    /// A channel_rate roll-up of three alerts, one of them hostile.
    static var rollUp: RollUp {
        var minor = GoldenAlerts.ordinary
        minor.kind = .repeat
        minor.issueID = 43
        minor.severity = .minor
        minor.title = "TimeoutError: upstream took 30s"
        return RollUp(alerts: [GoldenAlerts.ordinary, GoldenAlerts.hostile, minor], reason: .channelRate(Rate(count: 20, period: 60)))
    }
}
