import FirebellCore
import FirebellCurl
import FirebellStore
import Foundation
import Testing

@testable import FirebellDelivery

/// An incident's follow-up: its due rows on a channel planned as one message that
/// names every issue, sent into the first page's thread where the channel has threads.
struct IncidentFollowUpTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// The incident's first page: issue 42 (`GoldenAlerts.ordinary`).
    static var firstPage: Alert { GoldenAlerts.ordinary }

    static func joined(_ issue: Int64, project: String, title: String) -> Alert {
        var alert = GoldenAlerts.ordinary
        alert.issueID = issue
        alert.projectName = project
        alert.title = title
        return alert
    }

    static var update: RollUp {
        RollUp(
            alerts: [
                joined(43, project: "cart", title: "CartError: <!channel> cart down"),
                joined(44, project: "orders", title: "OrdersError: timeout"),
                joined(45, project: "cart", title: "CartError: redis gone"),
            ],
            reason: .incident(RollUp.IncidentThread(incidentID: 7, firstPage: firstPage)))
    }

    func row(_ id: Int64, incident: Int64?, digest: TimeInterval? = nil) -> OutboxEntry {
        OutboxEntry(
            id: id, issueID: id, channel: "c", alert: ChannelEncoderTests.alert(title: "issue \(id)"), status: .pending,
            attempts: 1, nextAttemptAt: now, createdAt: now, digest: digest, incidentID: incident)
    }

    func describe(_ units: [DeliveryUnit]) -> [String] {
        units.map { unit in
            switch unit {
            case .single(let entry): "single \(entry.id)"
            case .rollUp(let entries, .incident(let thread)): "incident \(thread.incidentID) \(entries.map(\.id))"
            case .rollUp(let entries, _): "rollup \(entries.map(\.id))"
            case .deferred(let entries, _): "deferred \(entries.map(\.id))"
            }
        }
    }

    @Test func anIncidentsDueFollowUpsOnAChannelAreOneMessage() {
        var bucket: TokenBucket? = nil
        let rows = [row(1, incident: nil), row(2, incident: 9), row(3, incident: 9), row(4, incident: 8), row(5, incident: nil)]
        #expect(describe(DeliveryPlan.plan(rows, bucket: &bucket, rate: nil, now: now)) == [
            "incident 8 [4]", "incident 9 [2, 3]", "single 1", "single 5",
        ])
    }

    @Test func aFollowUpTakesOneTokenAndWaitsForOneWhenTheBucketIsEmpty() {
        let rate = Rate(count: 1, period: 60)
        var bucket: TokenBucket? = TokenBucket(rate: rate, now: now)
        #expect(describe(DeliveryPlan.plan([row(2, incident: 9), row(3, incident: 9)], bucket: &bucket, rate: rate, now: now)) == [
            "incident 9 [2, 3]",
        ])
        #expect(describe(DeliveryPlan.plan([row(4, incident: 9)], bucket: &bucket, rate: rate, now: now)) == ["deferred [4]"])
    }

    @Test func theUpdateNamesEveryIssueThatJoinedAndItsServices() {
        let update = Self.update
        #expect(update.headline == "[CRITICAL] +3 more new critical issues in cart, orders (incident #7)")
        let lines = update.lines(baseURL: "http://firebell.test")
        #expect(lines.count == 3)
        #expect(lines[0].contains("CartError: <!channel> cart down") && lines[0].contains("http://firebell.test/v1/issues/43"))
        var one = update
        one.alerts = [update.alerts[1]]
        one.alerts[0].kind = .escalation
        #expect(one.headline == "[CRITICAL] +1 more critical issue in orders (incident #7)")
    }

    @Test func slackWithATokenRepliesQuietlyInTheFirstPagesThread() throws {
        let slack = SlackAPIChannel(token: "xoxb-test-token", channel: "#oncall", timeout: 10)
        var context = GoldenAlerts.context
        context.threadReference = "C0123ABCD|1700000000.000100"
        let body = try SlackAPIChannelTests.body(slack.encode(Self.update, context: context))
        #expect(body["thread_ts"] as? String == "1700000000.000100")
        #expect(body["channel"] as? String == "C0123ABCD")
        #expect(body["reply_broadcast"] as? Bool == false)
        let text = try #require(body["text"] as? String)
        #expect(text.contains("+3 more new critical issues in cart, orders"))
        // Untrusted titles are escaped as in any Slack message.
        let raw = String(decoding: try SlackAPIChannelTests.request(slack.encode(Self.update, context: context)).body, as: UTF8.self)
        #expect(!raw.contains("<!channel>") && raw.contains("&lt;!channel&gt;"))
        // Without the first page's thread (never sent there, or deleted), the update is a message of its own.
        #expect(try SlackAPIChannelTests.body(slack.encode(Self.update, context: GoldenAlerts.context))["thread_ts"] == nil)
    }

    @Test func googleChatRepliesInTheThreadOfTheFirstPagesIssue() throws {
        let channel = GoogleChatChannel(url: GoogleChatTests.hook, timeout: 5)
        guard case .http(let request) = try channel.encode(Self.update, context: GoldenAlerts.context) else {
            Issue.record("not HTTP")
            return
        }
        #expect(request.url == GoogleChatTests.threaded)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect((body["thread"] as? [String: Any])?["threadKey"] as? String == "firebell-issue-42")
    }

    @Test func emailAnswersTheFirstPageWithInReplyTo() throws {
        let first = try EmailFixtures.parsed(GoldenAlerts.ordinary)
        let root = try #require(first.header("Message-ID"))
        let update = ParsedMessage(String(
            decoding: try EmailFixtures.mail(EmailFixtures.channel.encode(Self.update, context: GoldenAlerts.context)).message, as: UTF8.self))
        #expect(update.header("In-Reply-To") == root)
        #expect(update.header("References") == root)
        #expect(update.decoded("Subject") == "[CRITICAL] +3 more new critical issues in cart, orders (incident #7)")
    }

    /// What each channel sends for an update whose joiners include hostile text
    /// (`GoldenAlerts.hostile`): escaped as in any of the channel's messages.
    @Test func goldenFiles() throws {
        let update = RollUp(
            alerts: [Self.joined(43, project: "cart", title: "CartError: redis gone"), GoldenAlerts.hostile],
            reason: .incident(RollUp.IncidentThread(incidentID: 7, firstPage: Self.firstPage)))
        let context = GoldenAlerts.context
        var threaded = context
        threaded.threadReference = "C0123ABCD|1700000000.000100"
        let slackAPI = SlackAPIChannel(token: "xoxb-test-token", channel: "#oncall", timeout: 10)
        try Golden.check(slackAPI.encode(update, context: threaded), "slack-api/incident.txt")
        try Golden.check(SlackChannel(url: "https://hooks.slack.com/services/T000/B000/XXXX", timeout: 10).encode(update, context: context), "slack/incident.txt")
        try Golden.check(DiscordChannel(url: DiscordTests.hook, timeout: 5).encode(update, context: context), "discord/incident.txt")
        try Golden.check(GoogleChatChannel(url: GoogleChatTests.hook, timeout: 5).encode(update, context: context), "google_chat/incident.txt")
        try Golden.check(EmailFixtures.channel.encode(update, context: context), "email/incident.txt")
        try Golden.check(TeamsChannel(url: TeamsTests.hook, timeout: 5).encode(update, context: context), "teams/incident.txt")
        try Golden.check(MattermostChannel(url: MattermostTests.hook, timeout: 5).encode(update, context: context), "mattermost/incident.txt")
        try Golden.check(
            WebhookChannel(url: "https://hooks.example.com/firebell", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", timeout: 10)
                .encode(update, context: context), "webhook/incident.txt")
        try Golden.check(ConsoleChannel().encode(update, context: context), "console/incident.txt")
    }

    @Test func onPagerDutyTheUpdateLandsOnTheFirstPagesIncident() throws {
        let pagerDuty = PagerDutyChannel(routingKey: "R0UT1NGKEY0123456789ABCDEFGHIJKL", timeout: 10)
        guard case .http(let request) = try pagerDuty.encode(Self.update, context: GoldenAlerts.context) else {
            Issue.record("not HTTP")
            return
        }
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect(body["dedup_key"] as? String == "firebell-issue-42" && body["event_action"] as? String == "trigger")
    }

    @Test func channelsWithoutThreadsGetOneUpdateMessage() throws {
        let slack = SlackChannel(url: "http://hooks.test/x", timeout: 5)
        guard case .http(let request) = try slack.encode(Self.update, context: GoldenAlerts.context) else {
            Issue.record("not HTTP")
            return
        }
        let text = String(decoding: request.body, as: UTF8.self)
        for needle in ["+3 more new critical issues in cart, orders", "OrdersError: timeout", "CartError: redis gone", "/v1/issues/44"] {
            #expect(text.contains(needle), "\(needle)")
        }
    }
}
