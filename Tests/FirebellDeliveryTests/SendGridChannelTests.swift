import FirebellCore
import FirebellCurl
import Foundation
import Testing

@testable import FirebellDelivery

enum MailAPITestSupport {
    static func request(_ message: ChannelMessage) throws -> HTTPRequest {
        guard case .http(let request) = message else { throw Failure.notHTTP }
        return request
    }

    static func json(_ message: ChannelMessage) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(request(message).body)) as? [String: Any])
    }

    static func header(_ request: HTTPRequest, _ name: String) -> String? {
        request.headers.last { $0.name.lowercased() == name.lowercased() }?.value
    }

    static func followUp(_ kind: AlertKind) -> Alert {
        var alert = GoldenAlerts.ordinary
        alert.kind = kind
        return alert
    }

    enum Failure: Error { case notHTTP }
}

struct SendGridChannelTests {
    let sendGrid = try! SendGridChannel(
        apiKey: "SG.test-key", from: "Firebell <alerts@example.com>", to: ["oncall@example.com", "Zoë Ops <ops@example.com>"],
        timeout: 10)

    @Test func goldenFiles() throws {
        let context = GoldenAlerts.context
        try Golden.check(sendGrid.encode(GoldenAlerts.ordinary, context: context), "sendgrid/ordinary.txt")
        try Golden.check(sendGrid.encode(GoldenAlerts.hostile, context: context), "sendgrid/hostile.txt")
        try Golden.check(sendGrid.encode(GoldenAlerts.overLong, context: context), "sendgrid/overlong.txt")
        try Golden.check(sendGrid.encode(MailAPITestSupport.followUp(.resolved), context: context), "sendgrid/resolved.txt")
        try Golden.check(sendGrid.encode(EmailFixtures.rollUp, context: context), "sendgrid/rollup.txt")
    }

    @Test func postsMailSendWithBearerAuth() throws {
        let message = try sendGrid.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context)
        let request = try MailAPITestSupport.request(message)
        #expect(request.method == "POST")
        #expect(request.url == "https://api.sendgrid.com/v3/mail/send")
        #expect(MailAPITestSupport.header(request, "Authorization") == "Bearer SG.test-key")
        #expect(MailAPITestSupport.header(request, "Content-Type") == "application/json")
        #expect(request.timeout == 10)
        let body = try MailAPITestSupport.json(message)
        #expect(body["subject"] as? String == "[CRITICAL] checkout/production: PaymentError: card declined")
        let from = try #require(body["from"] as? [String: Any])
        #expect(from["email"] as? String == "alerts@example.com")
        #expect(from["name"] as? String == "Firebell")
        let personalizations = try #require(body["personalizations"] as? [[String: Any]])
        let to = try #require(personalizations.first?["to"] as? [[String: Any]])
        #expect(to.map { $0["email"] as? String } == ["oncall@example.com", "ops@example.com"])
        #expect(to.map { $0["name"] as? String } == [nil, "Zoë Ops"])
        let content = try #require(body["content"] as? [[String: Any]])
        #expect(content.map { $0["type"] as? String } == ["text/plain", "text/html"])
        let headers = try #require(body["headers"] as? [String: String])
        #expect(headers["X-Firebell-Issue"] == "42")
        #expect(headers["In-Reply-To"] == nil)

        let followUp = try MailAPITestSupport.json(sendGrid.encode(MailAPITestSupport.followUp(.repeat), context: GoldenAlerts.context))
        let followUpHeaders = try #require(followUp["headers"] as? [String: String])
        #expect(followUpHeaders["In-Reply-To"] == "<firebell-issue-42.1796014200@example.com>")
        #expect(followUpHeaders["References"] == "<firebell-issue-42.1796014200@example.com>")
    }

    @Test func hostileSubjectIsOneLineAndHTMLIsEscaped() throws {
        let body = try MailAPITestSupport.json(sendGrid.encode(GoldenAlerts.hostile, context: GoldenAlerts.context))
        let subject = try #require(body["subject"] as? String)
        #expect(!subject.contains("\r") && !subject.contains("\n"))
        let content = try #require(body["content"] as? [[String: Any]])
        let html = try #require(content.last?["value"] as? String)
        #expect(!html.contains("<!channel>"))
        #expect(html.contains("&lt;!channel&gt;"))
    }

    @Test func urlOverrideReplacesTheAPIBase() throws {
        let channel = try SendGridChannel(apiKey: "k", from: "a@example.com", to: ["b@example.com"], baseURL: "http://127.0.0.1:8025/")
        #expect(try MailAPITestSupport.request(channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context)).url == "http://127.0.0.1:8025/v3/mail/send")
    }

    @Test func badSettingsAreRefused() {
        #expect(throws: MailConfigError.self) { try SendGridChannel(apiKey: "k\r\nX: y", from: "a@example.com", to: ["b@example.com"]) }
        #expect(throws: MailConfigError.self) { try SendGridChannel(apiKey: "", from: "a@example.com", to: ["b@example.com"]) }
        #expect(throws: MailConfigError.self) { try SendGridChannel(apiKey: "k", from: "a@example.com\r\nBcc: x@y", to: ["b@example.com"]) }
        #expect(throws: MailConfigError.self) { try SendGridChannel(apiKey: "k", from: "a@example.com", to: ["b@example.com>, <c@example.com"]) }
        #expect(throws: MailConfigError.self) { try SendGridChannel(apiKey: "k", from: "a@example.com", to: ["b@example.com"], baseURL: "ftp://x") }
    }

    @Test func acceptedIs202AndErrorsFollowTheUsualRule() {
        #expect(sendGrid.verdict(on: HTTPResponse(status: 202)) == .accepted)
        #expect(sendGrid.verdict(on: HTTPResponse(status: 429, headers: [("Retry-After", "30")])) == .retryable(reason: "HTTP 429: ", retryAfter: "30"))
        let invalid = HTTPResponse(status: 400, body: Array(#"{"errors":[{"message":"The from address does not match a verified Sender Identity"}]}"#.utf8))
        guard case .rejected(let reason) = sendGrid.verdict(on: invalid) else {
            Issue.record("400 must be rejected")
            return
        }
        #expect(reason.contains("verified Sender Identity"))
    }
}
