import FirebellCore
import FirebellCurl
import Foundation
import Testing

@testable import FirebellDelivery

struct GoogleChatTests {
    static let hook = "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=K&token=T"
    static let threaded = hook + "&messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
    let channel = GoogleChatChannel(url: GoogleChatTests.hook, timeout: 5)

    static var resolved: Alert {
        var alert = GoldenAlerts.ordinary
        alert.kind = .resolved
        return alert
    }

    static var rollUp: RollUp {
        RollUp(alerts: [GoldenAlerts.ordinary, GoldenAlerts.hostile], reason: .digest(3600))
    }

    @Test func goldenFiles() throws {
        try Golden.check(channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context), "google_chat/ordinary.txt")
        try Golden.check(channel.encode(GoldenAlerts.hostile, context: GoldenAlerts.context), "google_chat/hostile.txt")
        try Golden.check(channel.encode(GoldenAlerts.overLong, context: GoldenAlerts.context), "google_chat/overlong.txt")
        try Golden.check(channel.encode(Self.rollUp, context: GoldenAlerts.context), "google_chat/rollup.txt")
        try Golden.check(channel.encode(Self.resolved, context: GoldenAlerts.context), "google_chat/resolved.txt")
    }

    @Test func everyAlertOfAnIssueRepliesInItsThread() throws {
        for kind in AlertKind.allCases {
            var alert = GoldenAlerts.ordinary
            alert.kind = kind
            let request = try request(channel.encode(alert, context: GoldenAlerts.context))
            #expect(request.method == "POST")
            #expect(request.url == Self.threaded)
            let thread = try #require(try json(request)["thread"] as? [String: Any])
            #expect(thread["threadKey"] as? String == "firebell-issue-42")
        }
        // The deprecated threadKey parameter or another reply option in the configured URL gives way.
        let old = GoogleChatChannel(url: Self.hook + "&threadKey=x&messageReplyOption=REPLY_MESSAGE_OR_FAIL", timeout: 5)
        #expect(try request(old.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context)).url == Self.threaded)
    }

    @Test func rollUpsGoTopLevel() throws {
        let request = try request(channel.encode(Self.rollUp, context: GoldenAlerts.context))
        #expect(request.url == Self.hook)
        #expect(try json(request)["thread"] == nil)
    }

    @Test func hostileTextNeitherMentionsNorLinks() throws {
        var alert = GoldenAlerts.hostile
        alert.culprit = "<users/all> <users/123456789> <https://evil|click> *bold* _it_ ~gone~ `code` &lt;users/all&gt;"
        for message in try [
            channel.encode(GoldenAlerts.hostile, context: GoldenAlerts.context),
            channel.encode(alert, context: GoldenAlerts.context),
            channel.encode(RollUp(alerts: [alert], reason: .digest(60)), context: GoldenAlerts.context),
        ] {
            let text = try #require(try json(request(message))["text"] as? String)
            for live in ["<users/", "<https://evil", "[click](https://evil)", "*bold*", "_it_", "~gone~", "`code`", "&lt;", "<!channel>", "\r"] {
                #expect(!text.contains(live), "live \(live) in \(text)")
            }
        }
        // What is left shows the same once the zero-width spaces are ignored.
        let text = try #require(try json(request(channel.encode(alert, context: GoldenAlerts.context)))["text"] as? String)
        #expect(text.replacingOccurrences(of: "\u{200B}", with: "").contains("*Culprit:* " + alert.culprit!))
    }

    @Test func overLongAlertStaysWithinTheTextLimit() throws {
        let body = try json(request(channel.encode(GoldenAlerts.overLong, context: GoldenAlerts.context)))
        let text = try #require(body["text"] as? String)
        #expect(text.utf16.count <= 4096)
        #expect(text.contains(Truncation.marker))
        #expect(text.hasSuffix("<http://firebell.example:8470/v1/issues/42|Open issue #42 in Firebell>"), "the link survives the cut")
        let rollUp = RollUp(alerts: Array(repeating: GoldenAlerts.overLong, count: 30), reason: .digest(60))
        let rolled = try #require(try json(request(channel.encode(rollUp, context: GoldenAlerts.context)))["text"] as? String)
        #expect(rolled.utf16.count <= 4096)
        #expect(rolled.contains("and 10 more"))
    }

    @Test func templateKeepsTheThread() throws {
        let message = channel.applying(
            template: String(repeating: "t", count: 5000), to: try channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context))
        let request = try request(message)
        #expect(request.url == Self.threaded)
        let body = try json(request)
        #expect((body["thread"] as? [String: Any])?["threadKey"] as? String == "firebell-issue-42")
        let text = try #require(body["text"] as? String)
        #expect(text.utf16.count <= 4096 && text.hasSuffix(Truncation.marker))
    }

    @Test func rateLimitIsRetryable() {
        let verdict = channel.verdict(on: HTTPResponse(status: 429, headers: [(name: "Retry-After", value: "30")]))
        guard case .retryable(_, let after) = verdict else { Issue.record("not retryable: \(verdict)"); return }
        #expect(after == "30")
        #expect(channel.verdict(on: HTTPResponse(status: 200)) == .accepted)
    }
}
