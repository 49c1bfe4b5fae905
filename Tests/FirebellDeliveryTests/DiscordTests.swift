import FirebellCore
import FirebellCurl
import Foundation
import Testing

@testable import FirebellDelivery

struct DiscordTests {
    static let hook = "https://discord.com/api/webhooks/123/tok"
    let channel = DiscordChannel(url: DiscordTests.hook, timeout: 5)

    static var resolved: Alert {
        var alert = GoldenAlerts.ordinary
        alert.kind = .resolved
        return alert
    }

    static var rollUp: RollUp {
        var repeated = GoldenAlerts.ordinary
        repeated.kind = .repeat
        repeated.issueID = 43
        repeated.eventsSinceLastAlert = 5
        return RollUp(alerts: [GoldenAlerts.ordinary, GoldenAlerts.hostile, repeated], reason: .channelRate(Rate(count: 20, period: 60)))
    }

    /// 30 alerts, each with the over-long title: more than fits, more than are listed.
    static var overLongRollUp: RollUp {
        RollUp(alerts: (1...30).map { n in
            var alert = GoldenAlerts.overLong
            alert.issueID = Int64(n)
            return alert
        }, reason: .digest(3600))
    }

    static func context(thread: String?) -> DeliveryContext {
        var context = GoldenAlerts.context
        context.threadReference = thread
        return context
    }

    @Test func goldenFiles() throws {
        try Golden.check(channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context), "discord/ordinary.txt")
        try Golden.check(channel.encode(GoldenAlerts.hostile, context: GoldenAlerts.context), "discord/hostile.txt")
        try Golden.check(channel.encode(GoldenAlerts.overLong, context: GoldenAlerts.context), "discord/overlong.txt")
        try Golden.check(channel.encode(Self.rollUp, context: GoldenAlerts.context), "discord/rollup.txt")
        // A resolve of an issue already posted edits the first message.
        try Golden.check(channel.encode(Self.resolved, context: Self.context(thread: "1234567890")), "discord/resolved.txt")
    }

    @Test func everyMessageSendsEmptyAllowedMentions() throws {
        let messages = try [
            channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context),
            channel.encode(GoldenAlerts.hostile, context: GoldenAlerts.context),
            channel.encode(GoldenAlerts.overLong, context: GoldenAlerts.context),
            channel.encode(Self.rollUp, context: GoldenAlerts.context),
            channel.encode(Self.resolved, context: Self.context(thread: "1234567890")),
        ]
        for message in messages {
            let body = try json(request(message))
            let allowed = try #require(body["allowed_mentions"] as? [String: Any])
            #expect((allowed["parse"] as? [Any])?.isEmpty == true)
            #expect(allowed.count == 1, "only `parse`, so no users or roles are allowed either")
        }
    }

    @Test func hostileTextIsEscaped() throws {
        let request = try request(channel.encode(GoldenAlerts.hostile, context: GoldenAlerts.context))
        let texts = strings(in: try json(request))
        #expect(!texts.contains { $0.contains("[click](https://evil)") })
        #expect(texts.contains { $0.contains(#"\[click\]\(https://evil\)"#) })
        #expect(!texts.contains { $0.contains("<!channel>") })
        #expect(!texts.contains { $0.contains("\r") })
        let content = try #require(try json(request)["content"] as? String)
        #expect(!content.contains("\n"), "the headline stays on one line")
    }

    @Test func overLongAlertStaysWithinDiscordLimits() throws {
        let body = try json(request(channel.encode(GoldenAlerts.overLong, context: GoldenAlerts.context)))
        try checkLimits(body)
        let content = try #require(body["content"] as? String)
        #expect(content.hasSuffix(Truncation.marker))
        let embed = try #require((body["embeds"] as? [[String: Any]])?.first)
        #expect((embed["description"] as? String)?.hasSuffix(Truncation.marker) == true)
        let frames = try #require((embed["fields"] as? [[String: Any]])?.first { $0["name"] as? String == "Top frames" })
        #expect((frames["value"] as? String)?.hasSuffix(Truncation.marker) == true)
    }

    @Test func overLongRollUpStaysWithinLimitsAndNamesEveryListedIssue() throws {
        let body = try json(request(channel.encode(Self.overLongRollUp, context: GoldenAlerts.context)))
        try checkLimits(body)
        let description = try #require((body["embeds"] as? [[String: Any]])?.first?["description"] as? String)
        for n in 1...20 {
            #expect(description.contains("http://firebell.example:8470/v1/issues/\(n)\n") || description.hasSuffix("/v1/issues/\(n)"))
        }
        #expect(description.contains("and 10 more"))
    }

    @Test func firstAlertWaitsForTheMessageKeepingTheQuery() throws {
        let threaded = DiscordChannel(url: Self.hook + "?thread_id=99", timeout: 5)
        let request = try request(threaded.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context))
        #expect(request.method == "POST")
        #expect(request.url == Self.hook + "?thread_id=99&wait=true")
        #expect(DiscordChannel.postURL(Self.hook) == Self.hook + "?wait=true")
        #expect(DiscordChannel.postURL(Self.hook + "?wait=false") == Self.hook + "?wait=true")
    }

    @Test func repeatsAndResolvesEditTheFirstMessage() throws {
        let threaded = DiscordChannel(url: Self.hook + "?thread_id=99", timeout: 5)
        for kind in [AlertKind.repeat, .resolved] {
            var alert = GoldenAlerts.ordinary
            alert.kind = kind
            let request = try request(threaded.encode(alert, context: Self.context(thread: "1234567890")))
            #expect(request.method == "PATCH")
            #expect(request.url == Self.hook + "/messages/1234567890?thread_id=99")
        }
        // Escalations and regressions must notify, and an edit notifies nobody: they are new posts.
        for kind in [AlertKind.escalation, .regression] {
            var alert = GoldenAlerts.ordinary
            alert.kind = kind
            let request = try request(threaded.encode(alert, context: Self.context(thread: "1234567890")))
            #expect(request.method == "POST")
            #expect(request.url == Self.hook + "?thread_id=99&wait=true")
        }
        let edit = try request(channel.encode(Self.resolved, context: Self.context(thread: "1234567890")))
        #expect(edit.url == Self.hook + "/messages/1234567890")
        let body = try json(edit)
        #expect((body["content"] as? String)?.hasPrefix(#"\[resolved\]"#) == true)
        let embed = try #require((body["embeds"] as? [[String: Any]])?.first)
        #expect(embed["title"] as? String == "Resolved")
        #expect(embed["color"] as? Int == DiscordChannel.resolvedColor)
    }

    @Test func aReferenceThatIsNotAnIDIsNeverPutInTheURL() throws {
        let request = try request(channel.encode(Self.resolved, context: Self.context(thread: "../../evil")))
        #expect(request.method == "POST")
        #expect(request.url == Self.hook + "?wait=true")
    }

    @Test func threadReferenceIsTheMessageID() {
        let answer = HTTPResponse(status: 200, body: Array(#"{"id":"1234567890","channel_id":"555","content":"x"}"#.utf8))
        #expect(channel.threadReference(from: answer) == "1234567890")
        #expect(channel.threadReference(from: HTTPResponse(status: 204)) == nil)
        #expect(channel.threadReference(from: HTTPResponse(status: 200, body: Array(#"{"id":"../x"}"#.utf8))) == nil)
        #expect(channel.threadReference(from: HTTPResponse(status: 400, body: Array(#"{"id":"1"}"#.utf8))) == nil)
        #expect(channel.threadReference(from: HTTPResponse(status: 200, body: Array("not json".utf8))) == nil)
    }

    @Test func onlyUnknownMessageMeansTheThreadIsGone() {
        #expect(channel.threadGone(HTTPResponse(status: 404, body: Array(#"{"message": "Unknown Message", "code": 10008}"#.utf8))))
        // A deleted webhook is gone for every message: posting anew would not help.
        #expect(!channel.threadGone(HTTPResponse(status: 404, body: Array(#"{"message": "Unknown Webhook", "code": 10015}"#.utf8))))
        #expect(!channel.threadGone(HTTPResponse(status: 404, body: Array("not json".utf8))))
        #expect(!channel.threadGone(HTTPResponse(status: 400, body: Array(#"{"code": 10008}"#.utf8))))
    }

    @Test func rateLimitIsRetryableWithTheReceiversDelay() {
        let header = channel.verdict(on: HTTPResponse(
            status: 429, headers: [(name: "Retry-After", value: "3")], body: Array(#"{"retry_after": 2.5, "global": false}"#.utf8)))
        guard case .retryable(_, let after) = header else { Issue.record("not retryable: \(header)"); return }
        #expect(after == "3")
        let bodyOnly = channel.verdict(on: HTTPResponse(status: 429, body: Array(#"{"message": "You are being rate limited.", "retry_after": 1.2}"#.utf8)))
        guard case .retryable(_, let fromBody) = bodyOnly else { Issue.record("not retryable: \(bodyOnly)"); return }
        #expect(fromBody == "2")
        #expect(channel.verdict(on: HTTPResponse(status: 204)) == .accepted)
        #expect(channel.verdict(on: HTTPResponse(status: 200)) == .accepted)
        guard case .rejected = channel.verdict(on: HTTPResponse(status: 404, body: Array(#"{"code": 10015}"#.utf8))) else {
            Issue.record("404 should be rejected"); return
        }
    }

    @Test func templateReplacesTheContentButKeepsTheEditAndTheMentionGuard() throws {
        let rendered = "{{custom}} @everyone " + String(repeating: "x", count: 3000)
        let message = channel.applying(
            template: rendered, to: try channel.encode(Self.resolved, context: Self.context(thread: "1234567890")))
        let request = try request(message)
        #expect(request.method == "PATCH")
        #expect(request.url == Self.hook + "/messages/1234567890")
        let body = try json(request)
        #expect((body["allowed_mentions"] as? [String: Any])?["parse"] as? [Any] != nil)
        #expect(((body["allowed_mentions"] as? [String: Any])?["parse"] as? [Any])?.isEmpty == true)
        #expect(body["embeds"] == nil)
        let content = try #require(body["content"] as? String)
        #expect(content.hasPrefix("{{custom}} @everyone x"))
        #expect(content.utf16.count <= 2000 && content.hasSuffix(Truncation.marker))
    }

    /// Discord's documented limits, computed from the body.
    private func checkLimits(_ body: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let content = body["content"] as? String ?? ""
        #expect(content.utf16.count <= 2000, sourceLocation: sourceLocation)
        let embeds = try #require(body["embeds"] as? [[String: Any]])
        #expect(embeds.count <= 10, sourceLocation: sourceLocation)
        var total = 0
        for embed in embeds {
            let title = embed["title"] as? String ?? ""
            let description = embed["description"] as? String ?? ""
            let footer = (embed["footer"] as? [String: Any])?["text"] as? String ?? ""
            let fields = embed["fields"] as? [[String: Any]] ?? []
            #expect(title.utf16.count <= 256, sourceLocation: sourceLocation)
            #expect(description.utf16.count <= 4096, sourceLocation: sourceLocation)
            #expect(footer.utf16.count <= 2048, sourceLocation: sourceLocation)
            #expect(fields.count <= 25, sourceLocation: sourceLocation)
            total += title.utf16.count + description.utf16.count + footer.utf16.count
            for field in fields {
                let name = field["name"] as? String ?? ""
                let value = field["value"] as? String ?? ""
                #expect(!name.isEmpty && name.utf16.count <= 256, sourceLocation: sourceLocation)
                #expect(!value.isEmpty && value.utf16.count <= 1024, sourceLocation: sourceLocation)
                total += name.utf16.count + value.utf16.count
            }
        }
        #expect(total <= 6000, "all embed text: \(total)", sourceLocation: sourceLocation)
    }
}
