import FirebellCore
import FirebellCurl
import Foundation
import Testing

@testable import FirebellDelivery

struct TelegramChannelTests {
    let telegram = TelegramChannel(token: "123456:TEST-token", chatID: "-1001234567890", timeout: 10)

    static func request(_ message: ChannelMessage) throws -> HTTPRequest {
        guard case .http(let request) = message else { throw TelegramTestError.notHTTP }
        return request
    }

    static func body(_ message: ChannelMessage) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(request(message).body)) as? [String: Any])
    }

    static func text(_ message: ChannelMessage) throws -> String {
        try #require(try body(message)["text"] as? String)
    }

    /// What Telegram shows for `html`: tags removed, entities resolved; `nil` when
    /// `html` has markup beyond the tags the encoder writes, or a `<`/`>`/`&` outside them.
    static func visible(_ html: String) -> String? {
        var rest = Substring(html)
        var out = ""
        let tags = [#"^<b>"#, #"^</b>"#, #"^<pre>"#, #"^</pre>"#, #"^<a href="[^"<>]*">"#, #"^</a>"#]
        let entities = ["&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\""]
        while let first = rest.first {
            if first == "<" {
                guard let tag = tags.lazy.compactMap({ rest.range(of: $0, options: .regularExpression) }).first else { return nil }
                rest = rest[tag.upperBound...]
            } else if first == "&" {
                guard let (entity, plain) = entities.first(where: { rest.hasPrefix($0.key) }) else { return nil }
                out += plain
                rest = rest.dropFirst(entity.count)
            } else if first == ">" {
                return nil
            } else {
                out.append(first)
                rest = rest.dropFirst()
            }
        }
        return out
    }

    @Test func goldenFiles() throws {
        let context = GoldenAlerts.context
        try Golden.check(telegram.encode(GoldenAlerts.ordinary, context: context), "telegram/ordinary.txt")
        try Golden.check(telegram.encode(GoldenAlerts.hostile, context: context), "telegram/hostile.txt")
        try Golden.check(telegram.encode(GoldenAlerts.overLong, context: context), "telegram/overlong.txt")
        try Golden.check(telegram.encode(TelegramFixtures.resolved, context: context), "telegram/resolved.txt")
        try Golden.check(telegram.encode(TelegramFixtures.rollUp, context: context), "telegram/rollup.txt")
    }

    @Test func sendsMessageToTheBotAPI() throws {
        let request = try Self.request(telegram.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context))
        #expect(request.method == "POST")
        #expect(request.url == "https://api.telegram.org/bot123456:TEST-token/sendMessage")
        #expect(request.timeout == 10)
        let body = try Self.body(.http(request))
        #expect(body["chat_id"] as? String == "-1001234567890")
        #expect(body["parse_mode"] as? String == "HTML")
        #expect(body["disable_web_page_preview"] as? Bool == true)
        #expect((body["link_preview_options"] as? [String: Any])?["is_disabled"] as? Bool == true)
        let shown = try #require(Self.visible(try Self.text(.http(request))))
        for needle in [
            "[CRITICAL] checkout/production: PaymentError: card declined", "New issue", "Why: score 110",
            "Events: 3", "Users: 2", "Release: 1.4.2", "shop.pay in charge (shop/pay.py:88)", "Open issue #42 in Firebell",
        ] {
            #expect(shown.contains(needle), "missing \(needle)")
        }
        #expect(try Self.text(.http(request)).contains(#"<a href="http://firebell.example:8470/v1/issues/42">"#))
    }

    @Test func baseURLOverrideIsUsed() throws {
        let local = TelegramChannel(token: "t", chatID: "@alerts", baseURL: "http://127.0.0.1:9999/", timeout: 2)
        let request = try Self.request(local.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context))
        #expect(request.url == "http://127.0.0.1:9999/bott/sendMessage")
        #expect(try Self.body(.http(request))["chat_id"] as? String == "@alerts")
    }

    @Test func hostileTextHasNoLiveMarkup() throws {
        let html = try Self.text(telegram.encode(GoldenAlerts.hostile, context: GoldenAlerts.context))
        // Every `<`, `>` and `&` left is one of the encoder's own tags or an entity.
        let shown = try #require(Self.visible(html))
        #expect(html.contains("&lt;!channel&gt; @\u{2060}here @\u{2060}everyone [click](https://evil)"))
        #expect(!html.contains("<!channel>"))
        #expect(!html.contains(#"href="https://evil"#))
        // The hostile text reads back as sent, as text (with an invisible joiner after each `@`).
        #expect(shown.replacingOccurrences(of: "\u{2060}", with: "").contains(GoldenAlerts.hostileText))
        // No `@` is directly followed by a username, so nobody in the chat is mentioned.
        #expect(shown.range(of: "@[A-Za-z0-9_]", options: .regularExpression) == nil)
        // Only the issue link and the issue's own link (its URL made inert by `AlertLink`) are links.
        #expect(html.components(separatedBy: "<a ").count == 3)
        #expect(html.contains(#"<a href="https://reporter.example/%3C!channel%3E%20%40here"#))
    }

    @Test func hostileTextCannotCloseOrOpenTags() throws {
        var alert = GoldenAlerts.ordinary
        alert.title = #"</b><a href="https://evil">x</a> & &amp; <pre>"#
        alert.topFrames = ["</pre><b>frame</b>"]
        let html = try Self.text(telegram.encode(alert, context: GoldenAlerts.context))
        let shown = try #require(Self.visible(html))
        #expect(shown.contains(#"</b><a href="https://evil">x</a> & &amp; <pre>"#))
        #expect(shown.contains("</pre><b>frame</b>"))
    }

    @Test func overLongMessagesStayWithinTelegramsLimitAndKeepTheLink() throws {
        var huge = GoldenAlerts.overLong
        huge.culprit = String(repeating: "🔥<&>", count: 3000)
        huge.release = String(repeating: "r", count: 9000)
        huge.environment = String(repeating: "e", count: 9000)
        huge.projectName = String(repeating: "p", count: 9000)
        for alert in [GoldenAlerts.overLong, huge] {
            let html = try Self.text(telegram.encode(alert, context: GoldenAlerts.context))
            let shown = try #require(Self.visible(html))
            #expect(shown.utf16.count <= 4096)
            #expect(shown.contains(Truncation.marker))
            #expect(shown.hasSuffix("Open issue #42 in Firebell"))
        }
    }

    @Test func cuttingCountsUTF16AndNeverSplitsACharacter() {
        let cut = TelegramHTML.cut(String(repeating: "🔥", count: 100), toUTF16: 50)
        #expect(cut.utf16.count <= 50)
        #expect(cut.hasSuffix(Truncation.marker))
        #expect(cut.dropLast(Truncation.marker.count).allSatisfy { $0 == "🔥" })
        #expect(TelegramHTML.cut("short", toUTF16: 50) == "short")
    }

    @Test func rollUpListsEveryAlertWithinTheLimit() throws {
        let alerts = (1...40).map { index -> Alert in
            var alert = GoldenAlerts.overLong
            alert.issueID = Int64(index)
            return alert
        }
        let rollUp = RollUp(alerts: alerts, reason: .digest(3600))
        let shown = try #require(Self.visible(try Self.text(telegram.encode(rollUp, context: GoldenAlerts.context))))
        #expect(shown.hasPrefix("[CRITICAL] Digest: 40 alerts in the last 1h"))
        #expect(shown.utf16.count <= 4096)
        // Every listed alert is still named, and the rest counted.
        #expect(shown.components(separatedBy: "[CRITICAL] checkout/production: PaymentError").count == 21)
        #expect(shown.hasSuffix("\nand 20 more"))
    }

    // MARK: - Verdict

    static func answer(_ status: Int, _ json: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: Array(json.utf8))
    }

    @Test func okIsAccepted() {
        #expect(telegram.verdict(on: Self.answer(200, #"{"ok":true,"result":{"message_id":7}}"#)) == .accepted)
    }

    @Test func floodControlIsRetriedAfterTelegramsDelay() {
        let verdict = telegram.verdict(on: Self.answer(
            429, #"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}"#))
        #expect(verdict == .retryable(reason: "Telegram 429: Too Many Requests: retry after 5", retryAfter: "5"))
    }

    @Test func serverErrorsAreRetried() {
        let verdict = telegram.verdict(on: Self.answer(502, "<html>Bad Gateway</html>", headers: [(name: "Retry-After", value: "3")]))
        guard case .retryable(_, let retryAfter) = verdict else {
            Testing.Issue.record("expected retryable, got \(verdict)")
            return
        }
        #expect(retryAfter == "3")
        #expect(telegram.verdict(on: Self.answer(500, #"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#))
            == .retryable(reason: "Telegram 500: Internal Server Error", retryAfter: nil))
    }

    @Test func otherErrorsAreRejectedWithTelegramsDescription() {
        #expect(telegram.verdict(on: Self.answer(400, #"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#))
            == .rejected(reason: "Telegram 400: Bad Request: chat not found"))
        #expect(telegram.verdict(on: Self.answer(403, #"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#))
            == .rejected(reason: "Telegram 403: Forbidden: bot was blocked by the user"))
        #expect(telegram.verdict(on: Self.answer(401, #"{"ok":false,"error_code":401,"description":"Unauthorized"}"#))
            == .rejected(reason: "Telegram 401: Unauthorized"))
        let migrated = telegram.verdict(on: Self.answer(
            400, #"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1009876543210}}"#))
        #expect(migrated == .rejected(reason: "Telegram 400: Bad Request: group chat was upgraded to a supergroup chat (the group became the supergroup -1009876543210; set chat_id to it)"))
    }
}

private enum TelegramTestError: Error { case notHTTP }

private enum TelegramFixtures {
    static var resolved: Alert {
        var alert = GoldenAlerts.ordinary
        alert.kind = .resolved
        return alert
    }

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
