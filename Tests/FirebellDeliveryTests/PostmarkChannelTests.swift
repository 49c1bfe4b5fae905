import FirebellCore
import FirebellCurl
import Foundation
import Testing

@testable import FirebellDelivery

struct PostmarkChannelTests {
    let postmark = try! PostmarkChannel(
        serverToken: "server-token-test", from: "Firebell <alerts@example.com>",
        to: ["oncall@example.com", "Zoë Ops <ops@example.com>"], timeout: 10)

    @Test func goldenFiles() throws {
        let context = GoldenAlerts.context
        try Golden.check(postmark.encode(GoldenAlerts.ordinary, context: context), "postmark/ordinary.txt")
        try Golden.check(postmark.encode(GoldenAlerts.hostile, context: context), "postmark/hostile.txt")
        try Golden.check(postmark.encode(GoldenAlerts.overLong, context: context), "postmark/overlong.txt")
        try Golden.check(postmark.encode(MailAPITestSupport.followUp(.resolved), context: context), "postmark/resolved.txt")
        try Golden.check(postmark.encode(EmailFixtures.rollUp, context: context), "postmark/rollup.txt")
    }

    @Test func postsEmailWithTheServerToken() throws {
        let message = try postmark.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context)
        let request = try MailAPITestSupport.request(message)
        #expect(request.method == "POST")
        #expect(request.url == "https://api.postmarkapp.com/email")
        #expect(MailAPITestSupport.header(request, "X-Postmark-Server-Token") == "server-token-test")
        #expect(MailAPITestSupport.header(request, "Accept") == "application/json")
        #expect(MailAPITestSupport.header(request, "Content-Type") == "application/json")
        let body = try MailAPITestSupport.json(message)
        #expect(body["From"] as? String == "Firebell <alerts@example.com>")
        #expect(body["To"] as? String == "oncall@example.com, Zoë Ops <ops@example.com>")
        #expect(body["Subject"] as? String == "[CRITICAL] checkout/production: PaymentError: card declined")
        #expect(body["MessageStream"] as? String == "outbound")
        #expect((body["TextBody"] as? String)?.hasPrefix("[CRITICAL] checkout/production") == true)
        #expect((body["HtmlBody"] as? String)?.hasPrefix("<!DOCTYPE html>") == true)
        let headers = try #require(body["Headers"] as? [[String: String]])
        #expect(headers.first == ["Name": "X-Firebell-Issue", "Value": "42"])
    }

    @Test func a422WithAnErrorCodeIsRejectedWithPostmarksWords() {
        let answer = HTTPResponse(status: 422, body: Array(#"{"ErrorCode":406,"Message":"You tried to send to a recipient that has been marked as inactive."}"#.utf8))
        #expect(postmark.verdict(on: answer) == .rejected(reason: "Postmark 422 ErrorCode 406: You tried to send to a recipient that has been marked as inactive."))
        #expect(postmark.verdict(on: HTTPResponse(status: 200, body: Array(#"{"ErrorCode":0,"Message":"OK"}"#.utf8))) == .accepted)
        #expect(postmark.verdict(on: HTTPResponse(status: 500)) == .retryable(reason: "HTTP 500: ", retryAfter: nil))
        #expect(postmark.verdict(on: HTTPResponse(status: 422, body: Array("not json".utf8))) == .rejected(reason: "HTTP 422: not json"))
    }

    @Test func urlOverrideAndLimits() throws {
        let channel = try PostmarkChannel(serverToken: "t", from: "a@example.com", to: ["b@example.com"], baseURL: "http://127.0.0.1:9000")
        #expect(try MailAPITestSupport.request(channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context)).url == "http://127.0.0.1:9000/email")
        let many = (1...51).map { "r\($0)@example.com" }
        #expect(throws: MailConfigError.self) { try PostmarkChannel(serverToken: "t", from: "a@example.com", to: many) }
        #expect(throws: MailConfigError.self) { try PostmarkChannel(serverToken: "t\r\n", from: "a@example.com", to: ["b@example.com"]) }
    }
}
