import FirebellCore
import FirebellCurl
import FirebellSignatures
import Foundation
import Testing

@testable import FirebellDelivery

struct ChannelEncoderTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func alert(title: String = "PaymentError: card declined", release: String? = "1.4.2") -> Alert {
        Alert(
            kind: .new, issueID: 7, projectID: 1, projectName: "checkout", severity: .critical, title: title,
            culprit: "shop.pay in charge", level: .error, environment: "production", release: release, score: 110,
            explanation: "score 110 ≥ 100: production errors +60, checkout path +30, new issue +20", count: 3,
            eventsSinceLastAlert: 1, userCount: 2, firstSeen: now, lastSeen: now.addingTimeInterval(60),
            topFrames: ["shop.pay in charge (shop/pay.py:88)"], createdAt: now)
    }

    let context = DeliveryContext(baseURL: "http://firebell.test/", idempotencyKey: "firebell-7-1-slack", now: now)

    func request(_ message: ChannelMessage) throws -> HTTPRequest {
        guard case .http(let request) = message else { throw EncoderTestError.notHTTP }
        return request
    }

    func json(_ request: HTTPRequest) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
    }

    @Test func slackMessageCarriesWhatOnCallNeeds() throws {
        let request = try request(SlackChannel(url: "http://hooks.test/x", timeout: 5).encode(Self.alert(), context: context))
        #expect(request.method == "POST")
        #expect(request.url == "http://hooks.test/x")
        let text = String(decoding: request.body, as: UTF8.self)
        for needle in [
            "[CRITICAL] checkout/production: PaymentError: card declined", "New issue", "production errors +60",
            "*Events:* 3", "*Users:* 2", "*Release:* 1.4.2", "shop.pay in charge (shop/pay.py:88)",
            "http://firebell.test/v1/issues/7",
        ] {
            #expect(text.contains(needle), "missing \(needle)")
        }
    }

    @Test func slackEscapesControlCharactersInUntrustedText() throws {
        let hostile = "<!channel> @here & <https://evil|click>"
        let request = try request(SlackChannel(url: "http://hooks.test/x", timeout: 5).encode(Self.alert(title: hostile), context: context))
        let body = try json(request)
        let fallback = try #require(body["text"] as? String)
        #expect(fallback.contains("&lt;!channel&gt; @here &amp; &lt;https://evil|click&gt;"))
        #expect(!String(decoding: request.body, as: UTF8.self).contains("<!channel>"))
    }

    @Test func slackTruncatesOverLongTextWithAMarker() throws {
        let request = try request(SlackChannel(url: "http://hooks.test/x", timeout: 5).encode(Self.alert(release: String(repeating: "r", count: 5000)), context: context))
        let blocks = try #require(try json(request)["blocks"] as? [[String: Any]])
        let section = try #require((blocks[1]["text"] as? [String: Any])?["text"] as? String)
        #expect(section.count <= SlackChannel.sectionLimit)
        #expect(section.hasSuffix(Truncation.marker))
    }

    @Test func webhookIsSignedPerStandardWebhooks() throws {
        let secret = "whsec_" + Data("0123456789abcdef".utf8).base64EncodedString()
        let request = try request(WebhookChannel(url: "http://hooks.test/w", secret: secret, timeout: 5).encode(Self.alert(), context: context))
        let headers = Dictionary(request.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(headers["webhook-id"] == "firebell-7-1-slack")
        #expect(headers["webhook-timestamp"] == "1800000000")
        let signature = try #require(headers["webhook-signature"])
        #expect(StandardWebhooks.verify(
            secret: secret, id: "firebell-7-1-slack", timestamp: "1800000000", signatures: signature, body: request.body,
            now: Self.now))
        let body = try json(request)
        #expect(body["type"] as? String == "issue.new")
        let data = try #require(body["data"] as? [String: Any])
        #expect(data["issue_id"] as? Int == 7)
        #expect(data["severity"] as? String == "critical")
    }

    @Test func consoleOutputPrefixesEveryLine() throws {
        guard case .console(let text) = try ConsoleChannel().encode(Self.alert(title: "a\nfirebell| [CRITICAL] fake"), context: context) else {
            Testing.Issue.record("not console")
            return
        }
        #expect(text.split(separator: "\n").allSatisfy { $0.hasPrefix("firebell| ") })
        #expect(text.contains("firebell| [CRITICAL] checkout/production: a"))
    }
}

enum EncoderTestError: Error { case notHTTP }
