import FirebellCore
import FirebellCurl
import Foundation
import Testing

@testable import FirebellDelivery

struct MailgunChannelTests {
    let mailgun = try! MailgunChannel(
        apiKey: "key-test", domain: "mg.example.com", from: "Firebell <alerts@example.com>",
        to: ["oncall@example.com", "Zoë Ops <ops@example.com>"], timeout: 10)

    /// The form fields in order, percent-decoded.
    static func fields(_ message: ChannelMessage) throws -> [(name: String, value: String)] {
        let body = String(decoding: try MailAPITestSupport.request(message).body, as: UTF8.self)
        return body.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (name: parts[0].removingPercentEncoding ?? "", value: parts.count > 1 ? parts[1].removingPercentEncoding ?? "" : "")
        }
    }

    /// Golden files show the form one field per block, decoded, so they can be read.
    static func check(_ message: ChannelMessage, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let request = try MailAPITestSupport.request(message)
        var lines = ["\(request.method) \(request.url)"] + request.headers.map { "\($0.name): \($0.value)" } + ["", "(form fields, decoded)"]
        for field in try fields(message) {
            lines.append("[\(field.name)]")
            lines.append(field.value)
        }
        let actual = lines.joined(separator: "\n") + "\n"
        let file = Golden.directory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["FIREBELL_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try actual.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        #expect(actual == (try String(contentsOf: file, encoding: .utf8)), "differs from Golden/\(name)", sourceLocation: sourceLocation)
    }

    @Test func goldenFiles() throws {
        let context = GoldenAlerts.context
        try Self.check(mailgun.encode(GoldenAlerts.ordinary, context: context), "mailgun/ordinary.txt")
        try Self.check(mailgun.encode(GoldenAlerts.hostile, context: context), "mailgun/hostile.txt")
        try Self.check(mailgun.encode(GoldenAlerts.overLong, context: context), "mailgun/overlong.txt")
        try Self.check(mailgun.encode(MailAPITestSupport.followUp(.resolved), context: context), "mailgun/resolved.txt")
        try Self.check(mailgun.encode(EmailFixtures.rollUp, context: context), "mailgun/rollup.txt")
    }

    @Test func postsAFormWithBasicAuth() throws {
        let message = try mailgun.encode(MailAPITestSupport.followUp(.repeat), context: GoldenAlerts.context)
        let request = try MailAPITestSupport.request(message)
        #expect(request.method == "POST")
        #expect(request.url == "https://api.mailgun.net/v3/mg.example.com/messages")
        #expect(MailAPITestSupport.header(request, "Authorization") == "Basic " + Data("api:key-test".utf8).base64EncodedString())
        #expect(MailAPITestSupport.header(request, "Content-Type") == "application/x-www-form-urlencoded")
        let fields = try Self.fields(message)
        #expect(fields.map(\.name) == [
            "from", "to", "to", "subject", "text", "html", "h:X-Firebell-Issue", "h:In-Reply-To", "h:References",
            "h:Auto-Submitted", "h:X-Auto-Response-Suppress",
        ])
        #expect(fields[0].value == "Firebell <alerts@example.com>")
        #expect(fields[1].value == "oncall@example.com")
        #expect(fields[2].value == "Zoë Ops <ops@example.com>")
        #expect(fields[3].value == "[CRITICAL] checkout/production: PaymentError: card declined")
        #expect(fields[7].value == "<firebell-issue-42.1796014200@example.com>")
    }

    @Test func regionAndURLOverridePickTheAPIBase() throws {
        func url(region: String?, base: String? = nil) throws -> String {
            let channel = try MailgunChannel(apiKey: "k", domain: "mg.example.com", region: region, from: "a@example.com", to: ["b@example.com"], baseURL: base)
            return try MailAPITestSupport.request(channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context)).url
        }
        #expect(try url(region: nil) == "https://api.mailgun.net/v3/mg.example.com/messages")
        #expect(try url(region: "us") == "https://api.mailgun.net/v3/mg.example.com/messages")
        #expect(try url(region: "eu") == "https://api.eu.mailgun.net/v3/mg.example.com/messages")
        #expect(try url(region: "EU") == "https://api.eu.mailgun.net/v3/mg.example.com/messages")
        #expect(try url(region: "eu", base: "http://127.0.0.1:9000") == "http://127.0.0.1:9000/v3/mg.example.com/messages")
        #expect(throws: MailConfigError("region: expected us or eu, got \"asia\"")) { try url(region: "asia") }
    }

    @Test func hostileValuesCannotAddFields() throws {
        let fields = try Self.fields(mailgun.encode(GoldenAlerts.hostile, context: GoldenAlerts.context))
        #expect(fields.map(\.name) == [
            "from", "to", "to", "subject", "text", "html", "h:X-Firebell-Issue", "h:Auto-Submitted", "h:X-Auto-Response-Suppress",
        ])
        #expect(!fields[3].value.contains("\r") && !fields[3].value.contains("\n"))
        let body = String(decoding: try MailAPITestSupport.request(mailgun.encode(GoldenAlerts.hostile, context: GoldenAlerts.context)).body, as: UTF8.self)
        #expect(!body.contains(" ") && !body.contains("\r") && !body.contains("\n"))
    }

    @Test func badSettingsAreRefused() {
        #expect(throws: MailConfigError.self) { try MailgunChannel(apiKey: "k", domain: "mg.example.com/../x", from: "a@example.com", to: ["b@example.com"]) }
        #expect(throws: MailConfigError.self) { try MailgunChannel(apiKey: "k", domain: "", from: "a@example.com", to: ["b@example.com"]) }
        #expect(throws: MailConfigError.self) { try MailgunChannel(apiKey: "k\n", domain: "mg.example.com", from: "a@example.com", to: ["b@example.com"]) }
        #expect(throws: MailConfigError.self) { try MailgunChannel(apiKey: "k", domain: "mg.example.com", from: "a@example.com", to: []) }
    }
}
