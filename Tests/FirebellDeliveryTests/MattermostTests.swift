import FirebellCore
import FirebellCurl
import Foundation
import Testing

@testable import FirebellDelivery

struct MattermostTests {
    static let hook = "https://chat.example.com/hooks/xyz"
    let channel = MattermostChannel(url: MattermostTests.hook, timeout: 5)

    static var resolved: Alert {
        var alert = GoldenAlerts.ordinary
        alert.kind = .resolved
        return alert
    }

    static var rollUp: RollUp {
        var regression = GoldenAlerts.ordinary
        regression.kind = .regression
        regression.issueID = 43
        regression.severity = .minor
        return RollUp(alerts: [GoldenAlerts.ordinary, GoldenAlerts.hostile, regression], reason: .channelRate(Rate(count: 20, period: 60)))
    }

    @Test func goldenFiles() throws {
        try Golden.check(channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context), "mattermost/ordinary.txt")
        try Golden.check(channel.encode(GoldenAlerts.hostile, context: GoldenAlerts.context), "mattermost/hostile.txt")
        try Golden.check(channel.encode(GoldenAlerts.overLong, context: GoldenAlerts.context), "mattermost/overlong.txt")
        try Golden.check(channel.encode(Self.rollUp, context: GoldenAlerts.context), "mattermost/rollup.txt")
        try Golden.check(channel.encode(Self.resolved, context: GoldenAlerts.context), "mattermost/resolved.txt")
    }

    @Test func postCarriesWhatOnCallNeeds() throws {
        let request = try request(channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context))
        #expect(request.method == "POST")
        #expect(request.url == Self.hook)
        let body = try json(request)
        #expect(body["text"] as? String == #"**\[CRITICAL\] checkout/production: PaymentError: card declined**"#)
        let attachment = try #require((body["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["color"] as? String == MattermostChannel.criticalColor)
        #expect(attachment["title"] as? String == "New issue")
        #expect(attachment["title_link"] as? String == "http://firebell.example:8470/v1/issues/42")
        let text = try #require(attachment["text"] as? String)
        #expect(text.contains(#"**Release:** 1\.4\.2"#))
        #expect(text.contains(#"- shop\.pay in charge \(shop/pay\.py:88\)"#))
    }

    @Test func hostileTextNeitherLinksNorNotifies() throws {
        var alert = GoldenAlerts.hostile
        alert.culprit = "@channel @all @alice <!here> <!all> <@U123> <https://evil|click> &lt;!channel&gt;"
        for message in try [
            channel.encode(GoldenAlerts.hostile, context: GoldenAlerts.context),
            channel.encode(alert, context: GoldenAlerts.context),
            channel.encode(Self.rollUp, context: GoldenAlerts.context),
        ] {
            let body = try json(request(message))
            let texts = strings(in: body)
            // The attachment fallback is plain text (notifications, non-Markdown clients): no Markdown to escape,
            // but it must not mention anyone or carry a Slack-style sequence either.
            let fallbacks = (body["attachments"] as? [[String: Any]] ?? []).compactMap { $0["fallback"] as? String }
            for fallback in fallbacks {
                for live in ["@here", "@everyone", "@channel", "<!", "<@", "<https"] {
                    #expect(!fallback.contains(live), "live \(live) in fallback \(fallback)")
                }
            }
            for text in texts where !fallbacks.contains(text) {
                // Mattermost's mention finder sees "@" then a word: nothing is live.
                for mention in ["@here", "@everyone", "@channel", "@all", "@alice"] {
                    #expect(!text.lowercased().contains(mention), "live \(mention) in \(text)")
                }
                // Mattermost would expand these Slack sequences into mentions and links; no `<` survives.
                #expect(!text.contains("<"), "raw < in \(text)")
                #expect(!text.contains("&lt;!"), "an entity from the event must stay escaped: \(text)")
                #expect(!unescaped(text, contains: "[click](https://evil)"))
                #expect(!text.contains("\r"))
            }
            #expect(texts.contains { $0.contains("@\u{200B}here") })
        }
        let texts = strings(in: try json(request(channel.encode(GoldenAlerts.hostile, context: GoldenAlerts.context))))
        let zwsp = "\u{200B}"
        #expect(texts.contains { $0.contains(#"&lt;\!channel&gt; @"# + zwsp + "here @" + zwsp + #"everyone \[click\]\(https://evil\)"#) })
    }

    @Test func overLongAlertStaysWithinMattermostLimits() throws {
        let headline = try #require(try json(request(channel.encode(GoldenAlerts.overLong, context: GoldenAlerts.context)))["text"] as? String)
        #expect(headline.hasSuffix(Truncation.marker + "**"))
        for message in try [
            channel.encode(GoldenAlerts.overLong, context: GoldenAlerts.context),
            channel.encode(RollUp(alerts: Array(repeating: GoldenAlerts.overLong, count: 30), reason: .digest(60)), context: GoldenAlerts.context),
        ] {
            let body = try json(request(message))
            let text = try #require(body["text"] as? String)
            #expect(text.unicodeScalars.count <= 16_383)
            let attachment = try #require((body["attachments"] as? [[String: Any]])?.first)
            let attachmentText = try #require(attachment["text"] as? String)
            #expect(attachmentText.unicodeScalars.count <= 4000)
            #expect(attachmentText.contains(Truncation.marker))
            #expect((attachment["fallback"] as? String).map { $0.unicodeScalars.count <= 16_383 } == true)
        }
    }

    @Test func everyAlertIsANewPost() throws {
        var context = GoldenAlerts.context
        context.threadReference = "abc"
        let request = try request(channel.encode(Self.resolved, context: context))
        #expect(request.method == "POST")
        #expect(request.url == Self.hook)
        let attachment = try #require((try json(request)["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["color"] as? String == MattermostChannel.resolvedColor)
        #expect(attachment["title"] as? String == "Resolved")
    }

    @Test func templateReplacesTheText() throws {
        let message = channel.applying(template: "custom text", to: try channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context))
        let request = try request(message)
        #expect(request.url == Self.hook)
        let body = try json(request)
        #expect(body["text"] as? String == "custom text")
        #expect(body["attachments"] == nil)
    }

    @Test func rateLimitIsRetryable() {
        let verdict = channel.verdict(on: HTTPResponse(status: 429, headers: [(name: "Retry-After", value: "1")]))
        guard case .retryable(_, let after) = verdict else { Issue.record("not retryable: \(verdict)"); return }
        #expect(after == "1")
        #expect(channel.verdict(on: HTTPResponse(status: 200, body: Array("ok".utf8))) == .accepted)
        guard case .rejected = channel.verdict(on: HTTPResponse(status: 400)) else { Issue.record("400 should be rejected"); return }
    }
}

/// True when `needle` occurs in `text` with none of its characters backslash-escaped.
