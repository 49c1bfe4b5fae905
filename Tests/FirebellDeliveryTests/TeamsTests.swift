import FirebellCore
import FirebellCurl
import Foundation
import Testing

@testable import FirebellDelivery

struct TeamsTests {
    static let hook = "https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=S"
    let channel = TeamsChannel(url: TeamsTests.hook, timeout: 5)

    static var resolved: Alert {
        var alert = GoldenAlerts.ordinary
        alert.kind = .resolved
        return alert
    }

    static var rollUp: RollUp {
        var escalated = GoldenAlerts.ordinary
        escalated.kind = .escalation
        escalated.issueID = 43
        return RollUp(alerts: [GoldenAlerts.ordinary, GoldenAlerts.hostile, escalated], reason: .digest(3600))
    }

    @Test func goldenFiles() throws {
        try Golden.check(channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context), "teams/ordinary.txt")
        try Golden.check(channel.encode(GoldenAlerts.hostile, context: GoldenAlerts.context), "teams/hostile.txt")
        try Golden.check(channel.encode(GoldenAlerts.overLong, context: GoldenAlerts.context), "teams/overlong.txt")
        try Golden.check(channel.encode(Self.rollUp, context: GoldenAlerts.context), "teams/rollup.txt")
        try Golden.check(channel.encode(Self.resolved, context: GoldenAlerts.context), "teams/resolved.txt")
    }

    @Test func workflowsMessageCarriesOneAdaptiveCard() throws {
        let request = try request(channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context))
        #expect(request.method == "POST")
        #expect(request.url == Self.hook)
        let body = try json(request)
        #expect(body["type"] as? String == "message")
        let attachments = try #require(body["attachments"] as? [[String: Any]])
        #expect(attachments.count == 1)
        #expect(attachments[0]["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        #expect(attachments[0]["contentUrl"] is NSNull)
        let card = try #require(attachments[0]["content"] as? [String: Any])
        #expect(card["type"] as? String == "AdaptiveCard")
        #expect(card["version"] as? String == "1.4")
        let actions = try #require(card["actions"] as? [[String: Any]])
        #expect(actions.first?["url"] as? String == "http://firebell.example:8470/v1/issues/42")
        let texts = strings(in: card)
        for needle in [#"\[CRITICAL\] checkout/production: PaymentError: card declined"#, "New issue", "Events", "3", "Users", "2"] {
            #expect(texts.contains(needle) || texts.contains { $0.contains(needle) }, "missing \(needle)")
        }
    }

    @Test func hostileMarkdownIsEscaped() throws {
        let texts = strings(in: try json(request(channel.encode(GoldenAlerts.hostile, context: GoldenAlerts.context))))
        #expect(!texts.contains { unescaped($0, contains: "[click](https://evil)") })
        #expect(texts.contains { $0.contains(#"\[click\]\(https://evil\)"#) })
        #expect(!texts.contains { $0.contains("\r") })
        // Emphasis, headings and lists are escaped too.
        var alert = GoldenAlerts.ordinary
        alert.title = "**bold** _it_ # head\n- item `code` <b>x</b> ![img](https://evil/x.png)"
        let more = strings(in: try json(request(channel.encode(alert, context: GoldenAlerts.context))))
        let headline = try #require(more.first { $0.contains("bold") })
        #expect(headline.contains(##"\*\*bold\*\* \_it\_ \# head \- item \`code\` \<b\>x\</b\> \!\[img\]\(https://evil/x\.png\)"##))
    }

    @Test func overLongAlertStaysUnderThePayloadLimit() throws {
        let overLong = try request(channel.encode(GoldenAlerts.overLong, context: GoldenAlerts.context))
        #expect(overLong.body.count <= TeamsChannel.payloadLimit)
        #expect(TeamsChannel.payloadLimit <= 28_000)
        let texts = strings(in: try json(overLong))
        #expect(texts.contains { $0.hasSuffix(Truncation.marker) })
        // Text that escapes to twice its length and more still fits.
        var alert = GoldenAlerts.ordinary
        alert.title = String(repeating: "*\\\"", count: 40_000)
        alert.culprit = String(repeating: "\u{1F525}", count: 40_000)
        alert.release = String(repeating: "\u{0007}", count: 40_000)
        alert.topFrames = Array(repeating: String(repeating: "[", count: 500), count: 300)
        let huge = try request(channel.encode(alert, context: GoldenAlerts.context))
        #expect(huge.body.count <= TeamsChannel.payloadLimit)
        let rollUp = RollUp(alerts: Array(repeating: GoldenAlerts.overLong, count: 40), reason: .digest(3600))
        let big = try request(channel.encode(rollUp, context: GoldenAlerts.context))
        #expect(big.body.count <= TeamsChannel.payloadLimit)
        #expect(String(decoding: big.body, as: UTF8.self).contains("and 20 more"))
    }

    @Test func everyAlertIsANewMessage() throws {
        var context = GoldenAlerts.context
        context.threadReference = "whatever"
        let request = try request(channel.encode(Self.resolved, context: context))
        #expect(request.method == "POST")
        #expect(request.url == Self.hook)
        #expect(channel.threadReference(from: HTTPResponse(status: 202, body: Array(#"{"id":"1"}"#.utf8))) == nil)
    }

    @Test func templateBecomesTheCardTextAndStillFits() throws {
        let message = channel.applying(
            template: "**{{headline}}** " + String(repeating: "\u{1F525}", count: 30_000),
            to: try channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context))
        let request = try request(message)
        #expect(request.body.count <= TeamsChannel.payloadLimit)
        let attachment = try #require((try json(request)["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["contentUrl"] is NSNull)
        let card = try #require(attachment["content"] as? [String: Any])
        let body = try #require(card["body"] as? [[String: Any]])
        #expect(body.count == 1)
        #expect((body[0]["text"] as? String)?.hasPrefix("**{{headline}}** ") == true)
        #expect((body[0]["text"] as? String)?.hasSuffix(Truncation.marker) == true)
        // The buttons stay: "Open issue" and the issue's own links.
        #expect((card["actions"] as? [[String: Any]])?.compactMap { $0["title"] as? String } == ["Open issue #42 in Firebell", "URL", "Trace"])
    }

    @Test func rateLimitIsRetryable() {
        let verdict = channel.verdict(on: HTTPResponse(status: 429, headers: [(name: "Retry-After", value: "7")]))
        guard case .retryable(_, let after) = verdict else { Issue.record("not retryable: \(verdict)"); return }
        #expect(after == "7")
        #expect(channel.verdict(on: HTTPResponse(status: 202)) == .accepted)
    }
}

/// True when `needle` occurs in `text` with none of its characters backslash-escaped.
