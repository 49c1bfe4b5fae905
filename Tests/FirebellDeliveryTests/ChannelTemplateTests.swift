import FirebellCore
import Foundation
import Testing

@testable import FirebellDelivery

struct ChannelTemplateTests {
    @Test func templatesSeeTheAlertFieldsEscapedForTheirContext() throws {
        let template = try ChannelTemplate(#"{"text": "{{{json.title}}} ({{count}} events, {{users}} users)"}"#)
        let rendered = template.render(GoldenAlerts.hostile, baseURL: "http://x")
        // json.* keeps CR/LF and quotes from breaking the JSON body; the value round-trips.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(rendered.utf8)) as? [String: String])
        #expect(json["text"] == GoldenAlerts.hostile.title + " (3 events, 2 users)")
        // Double-mustache output is HTML-escaped, which keeps Slack's control characters inert.
        let plain = try ChannelTemplate("{{title}}").render(GoldenAlerts.hostile, baseURL: "http://x")
        #expect(plain.contains("&lt;!channel&gt;"))
        #expect(!plain.contains("<!channel>"))
    }

    @Test func aTemplateReplacesTheBodyTheChannelWouldSend() throws {
        let message = try WebhookChannel(url: "http://x/hook", secret: nil, timeout: 5).encode(GoldenAlerts.ordinary, context: GoldenAlerts.context)
        let replaced = ChannelTemplate.apply(try ChannelTemplate("{{severity}}: {{title}}").render(GoldenAlerts.ordinary, baseURL: "http://x"), to: message)
        guard case .http(let request) = replaced else {
            Testing.Issue.record("not http")
            return
        }
        #expect(String(decoding: request.body, as: UTF8.self) == "critical: PaymentError: card declined")
        #expect(request.url == "http://x/hook")
    }

    @Test func rollUpsRenderEveryAlert() throws {
        let template = try ChannelTemplate("{{headline}}|{{#alerts}}{{issue_id}};{{/alerts}}")
        let rollUp = RollUp(alerts: [GoldenAlerts.ordinary, GoldenAlerts.ordinary], reason: .digest(3600))
        #expect(template.render(rollUp, baseURL: "http://x") == "[CRITICAL] Digest: 2 alerts in the last 1h|42;42;")
    }

    @Test func aTemplateThatDoesNotCompileIsAConfigErrorAtItsLine() throws {
        let config = try ConfigLoader.parse(yaml: """
            channels:
              ok: { type: console, template: "{{title}}" }
              broken:
                type: console
                template: "{{#alerts}} never closed"
            """, path: "t.yaml", environment: [:])
        let errors = ChannelTemplate.validate(config)
        #expect(errors.count == 1)
        #expect(errors.first?.line == 5)
        #expect(errors.first?.description.hasPrefix("t.yaml:5:") == true)
        #expect(errors.first?.message.contains("channels.broken.template: does not compile") == true)
    }
}

struct ChannelTemplatePlacementTests {
    func body(_ message: ChannelMessage) throws -> [String: Any] {
        guard case .http(let request) = message else { throw EncoderTestError.notHTTP }
        return try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
    }

    @Test func chatAndAPIChannelsTakeTheTemplateAsTextKeepingWhatRoutesTheMessage() throws {
        let slack = SlackAPIChannel(token: "xoxb-1", channel: "C1", baseURL: nil, timeout: 5)
        let posted = slack.applying(template: "custom text", to: try slack.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context))
        let slackBody = try body(posted)
        #expect(slackBody["text"] as? String == "custom text")
        #expect(slackBody["blocks"] == nil)
        #expect(slackBody["channel"] as? String == "C1")

        let pager = PagerDutyChannel(routingKey: "rk", baseURL: nil, timeout: 5)
        let triggered = try body(pager.applying(template: "summary from template", to: try pager.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context)))
        #expect((triggered["payload"] as? [String: Any])?["summary"] as? String == "summary from template")
        #expect(triggered["routing_key"] as? String == "rk")
        #expect(triggered["dedup_key"] as? String == "firebell-issue-42")

        let telegram = TelegramChannel(token: "t", chatID: "-100", baseURL: nil, timeout: 5)
        let sent = try body(telegram.applying(template: "hello", to: try telegram.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context)))
        #expect(sent["text"] as? String == "hello")
        #expect(sent["chat_id"] as? String == "-100")
    }
}
