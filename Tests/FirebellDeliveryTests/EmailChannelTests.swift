import FirebellCore
import FirebellCurl
import Foundation
import Testing

@testable import FirebellDelivery

enum EmailFixtures {
    static let channel = try! EmailChannel(
        url: "smtps://smtp.example.com:465", from: "Firebell <alerts@example.com>",
        to: ["oncall@example.com", "Zoë Ops <ops@example.com>"], username: "alerts@example.com", password: "s3cret",
        timeout: 10)

    static func alert(_ kind: AlertKind = .new, title: String? = nil) -> Alert {
        var alert = GoldenAlerts.ordinary
        alert.kind = kind
        if let title { alert.title = title }
        return alert
    }

    static let rollUp = RollUp(
        alerts: [
            GoldenAlerts.ordinary,
            { var a = GoldenAlerts.hostile; a.issueID = 43; a.kind = .repeat; return a }(),
            { var a = GoldenAlerts.ordinary; a.issueID = 44; a.severity = .minor; a.title = "Zeitüberschreitung beim Zahlungsanbieter"; return a }(),
        ],
        reason: .channelRate(Rate(count: 20, period: 60)))

    static func mail(_ message: ChannelMessage) throws -> Mail {
        guard case .mail(let mail) = message else { throw EmailTestError.notMail }
        return mail
    }

    static func parsed(_ alert: Alert, channel: EmailChannel = channel, context: DeliveryContext = GoldenAlerts.context) throws -> ParsedMessage {
        ParsedMessage(String(decoding: try mail(channel.encode(alert, context: context)).message, as: UTF8.self))
    }

    enum EmailTestError: Error { case notMail }
}

struct EmailChannelTests {
    /// Exactly these header fields, in this order, for an issue's first alert.
    static let firstAlertHeaders = [
        "Date", "From", "To", "Subject", "Message-ID", "X-Firebell-Issue", "Auto-Submitted", "X-Auto-Response-Suppress",
        "MIME-Version", "Content-Type",
    ]

    @Test func goldenFiles() throws {
        let channel = EmailFixtures.channel
        let context = GoldenAlerts.context
        try Golden.check(channel.encode(GoldenAlerts.ordinary, context: context), "email/ordinary.txt")
        try Golden.check(channel.encode(GoldenAlerts.hostile, context: context), "email/hostile.txt")
        try Golden.check(channel.encode(GoldenAlerts.overLong, context: context), "email/overlong.txt")
        try Golden.check(channel.encode(EmailFixtures.alert(.resolved), context: context), "email/resolved.txt")
        try Golden.check(channel.encode(EmailFixtures.rollUp, context: context), "email/rollup.txt")
    }

    @Test func envelopeAndConnectionSettingsComeFromTheChannel() throws {
        let mail = try EmailFixtures.mail(EmailFixtures.channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context))
        #expect(mail.url == "smtps://smtp.example.com:465")
        #expect(mail.from == "alerts@example.com")
        #expect(mail.recipients == ["oncall@example.com", "ops@example.com"])
        #expect(mail.username == "alerts@example.com")
        #expect(mail.password == "s3cret")
        #expect(mail.starttls)
        #expect(mail.timeout == 10)

        let relay = try EmailChannel(url: "smtp://127.0.0.1:25", from: "a@example.com", to: ["b@example.com"], starttls: false, timeout: 3)
        let plain = try EmailFixtures.mail(relay.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context))
        #expect(!plain.starttls)
        #expect(plain.username == nil)
        let defaulted = try EmailChannel(url: "smtp://mail.example.com:587", from: "a@example.com", to: ["b@example.com"], starttls: nil)
        #expect(defaulted.starttls)
    }

    @Test func hostileTextNeverAddsAHeader() throws {
        var alert = GoldenAlerts.hostile
        alert.projectName = "checkout\r\nBcc: evil@example.net"
        alert.title = "x\r\n\r\nBcc: evil@example.net\nX-Injected: 1\r.\r\nQUIT\u{2028}Cc: y@z\u{85}Reply-To: a@b"
        let message = try EmailFixtures.parsed(alert)
        #expect(message.names == Self.firstAlertHeaders)
        #expect(message.values("Bcc").isEmpty)
        // Every header line is a field or a fold; none carries a control character.
        let text = String(decoding: try EmailFixtures.mail(EmailFixtures.channel.encode(alert, context: GoldenAlerts.context)).message, as: UTF8.self)
        let head = try #require(text.components(separatedBy: "\r\n\r\n").first)
        for line in head.components(separatedBy: "\r\n") {
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
            #expect(line.utf8.count <= 78, "header line too long: \(line)")
        }
        let subject = try #require(message.decoded("Subject"))
        #expect(subject == "[CRITICAL] checkout Bcc: evil@example.net/prod Bcc: x@y: x Bcc: evil@example.net X-Injected: 1 . QUIT Cc: y@z Reply-To: a@b")
        #expect(message.parts.count == 2)
    }

    @Test func followUpsThreadUnderTheIssuesFirstMessage() throws {
        let first = try EmailFixtures.parsed(EmailFixtures.alert(.new))
        let root = try #require(first.header("Message-ID"))
        #expect(root == "<firebell-issue-42.1796014200@example.com>")
        #expect(first.header("In-Reply-To") == nil)
        #expect(first.header("X-Firebell-Issue") == "42")

        for kind in [AlertKind.repeat, .escalation, .regression, .resolved] {
            let context = DeliveryContext(baseURL: "http://firebell.example:8470", idempotencyKey: "firebell-42-\(kind)-oncall-email", now: GoldenAlerts.now)
            let followUp = try EmailFixtures.parsed(EmailFixtures.alert(kind), context: context)
            #expect(followUp.names == ["Date", "From", "To", "Subject", "Message-ID", "In-Reply-To", "References"] + Self.firstAlertHeaders.dropFirst(5))
            #expect(followUp.header("In-Reply-To") == root)
            #expect(followUp.header("References") == root)
            #expect(followUp.header("Message-ID") == "<firebell-42-\(kind)-oncall-email.1796014800@example.com>")
        }
    }

    @Test func messageIDAndBoundaryAreStableAcrossRetries() throws {
        let alert = EmailFixtures.alert(.repeat)
        let key = "firebell-42-7-oncall email/é"
        let first = try EmailFixtures.parsed(alert, context: DeliveryContext(baseURL: "http://x", idempotencyKey: key, now: GoldenAlerts.now))
        let retry = try EmailFixtures.parsed(alert, context: DeliveryContext(baseURL: "http://x", idempotencyKey: key, now: GoldenAlerts.now.addingTimeInterval(3600)))
        #expect(first.header("Message-ID") == retry.header("Message-ID"))
        #expect(first.header("Message-ID") == "<firebell-42-7-oncall=20email=2F=C3=A9.1796014800@example.com>")
        #expect(first.header("Content-Type") == retry.header("Content-Type"))
        #expect(first.header("Date") == "Mon, 30 Nov 2026 05:00:00 +0000")
        #expect(retry.header("Date") == "Mon, 30 Nov 2026 06:00:00 +0000")
        let other = try EmailFixtures.parsed(alert, context: DeliveryContext(baseURL: "http://x", idempotencyKey: "firebell-42-8-oncall", now: GoldenAlerts.now))
        #expect(other.header("Message-ID") != first.header("Message-ID"))
        #expect(other.header("Content-Type") != first.header("Content-Type"))
    }

    @Test func nonASCIISubjectRoundTripsThroughRFC2047() throws {
        let title = "Zahlung fehlgeschlagen für Kundin Zoë — 支付失败 ❌👩‍👩‍👧‍👦 " + String(repeating: "ümlaut ", count: 12)
        let message = try EmailFixtures.parsed(EmailFixtures.alert(title: title))
        let raw = try #require(message.header("Subject"))
        #expect(raw.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(raw.hasPrefix("=?UTF-8?B?"))
        for word in raw.split(separator: " ") {
            #expect(word.count <= 75)
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
        }
        #expect(message.decoded("Subject") == "[CRITICAL] checkout/production: " + title.trimmingCharacters(in: .whitespaces))
    }

    @Test func asciiTextThatLooksEncodedIsEncodedToStayLiteral() throws {
        let title = "=?UTF-8?B?SGFja2Vk?= spoof"
        let message = try EmailFixtures.parsed(EmailFixtures.alert(title: title))
        #expect(message.header("Subject")?.hasPrefix("=?UTF-8?B?") == true)
        #expect(message.decoded("Subject") == "[CRITICAL] checkout/production: " + title)
    }

    @Test func subjectIsCutTo200CharactersWithTheMarker() throws {
        let message = try EmailFixtures.parsed(GoldenAlerts.overLong)
        let subject = try #require(message.decoded("Subject"))
        #expect(subject.count == 200)
        #expect(subject.hasSuffix(Truncation.marker))
        #expect(subject.hasPrefix("[CRITICAL] checkout/production: PaymentError: card declined because"))
    }

    @Test func displayNamesAreQuotedOrEncoded() throws {
        let channel = try EmailChannel(
            url: "smtp://mail.example.com", from: "\"Firebell, EU\" <alerts@example.com>",
            to: ["Zoë Ops <ops@example.com>", "<plain@example.com>", "bare@example.com", "\"Dr. \\\"Q\\\"\" <q@example.com>"])
        let message = try EmailFixtures.parsed(GoldenAlerts.ordinary, channel: channel)
        #expect(message.header("From") == "\"Firebell, EU\" <alerts@example.com>")
        let to = try #require(message.header("To"))
        #expect(to.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(message.decoded("To") == "Zoë Ops <ops@example.com>, plain@example.com, bare@example.com, \"Dr. \\\"Q\\\"\" <q@example.com>")
        #expect(channel.to.map(\.address) == ["ops@example.com", "plain@example.com", "bare@example.com", "q@example.com"])
        #expect(channel.to[3].name == "Dr. \"Q\"")
    }

    @Test(arguments: [
        "alerts@example.com\r\nBcc: evil@example.net",
        "Firebell <alerts@example.com>\r\nBcc: evil@example.net",
        "Fire\nbell <alerts@example.com>",
        "alerts@example.com\u{0}",
        "a@example.com>, <evil@example.net",
        "<a@example.com> <evil@example.net>",
        "Name <a@example.com> trailing",
        "Name a@example.com>",
        "a@example.com, evil@example.net",
        "no-at-sign.example.com",
        "two@@example.com",
        "zoë@example.com",
        "a@exämple.com",
        ".a@example.com",
        "a..b@example.com",
        "a@-example.com",
        "a@example..com",
        "\"a b\"@example.com",
        "",
    ])
    func unsafeOrMalformedAddressesAreRefused(_ input: String) {
        #expect(throws: MailConfigError.self) { try EmailAddress(parsing: input) }
        #expect(throws: MailConfigError.self) { try EmailChannel(url: "smtp://mail.example.com", from: input, to: ["ok@example.com"]) }
        #expect(throws: MailConfigError.self) { try EmailChannel(url: "smtp://mail.example.com", from: "ok@example.com", to: ["ok2@example.com", input]) }
    }

    @Test func configErrorsSayWhichKeyAndWhatIsValid() {
        #expect(throws: MailConfigError("url: expected smtp://host:587 (STARTTLS) or smtps://host:465 (implicit TLS), got \"https://mail.example.com\"")) {
            try EmailChannel(url: "https://mail.example.com", from: "a@example.com", to: ["b@example.com"])
        }
        #expect(throws: MailConfigError.self) { try EmailChannel(url: "smtp://", from: "a@example.com", to: ["b@example.com"]) }
        #expect(throws: MailConfigError("to: at least one recipient is needed")) {
            try EmailChannel(url: "smtp://mail.example.com", from: "a@example.com", to: [])
        }
        do {
            _ = try EmailChannel(url: "smtp://mail.example.com", from: "a@example.com\r\nBcc: x@y", to: ["b@example.com"])
            Issue.record("expected an error")
        } catch {
            #expect(error.message.hasPrefix("from: invalid email address \"a@example.com\\u{d}\\u{a}Bcc: x@y\""))
        }
    }

    @Test func repeatedRecipientsAreSentOnce() throws {
        let channel = try EmailChannel(url: "smtp://m.example.com", from: "a@example.com", to: ["b@example.com", "Bee <B@Example.com>", "c@example.com"])
        #expect(channel.to.map(\.address) == ["b@example.com", "c@example.com"])
    }

    @Test func htmlBodyEscapesUntrustedText() throws {
        var alert = EmailFixtures.alert(title: "<script>alert('x')</script> & \"quotes\"")
        alert.culprit = "<img src=x onerror=alert(1)>"
        alert.topFrames = ["</pre><script>steal()</script>"]
        let message = try EmailFixtures.parsed(alert)
        let parts = message.parts
        #expect(parts.map { $0.header("Content-Type") } == ["text/plain; charset=utf-8", "text/html; charset=utf-8"])
        let html = parts[1].decodedBody
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("</pre><"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("&lt;/pre&gt;&lt;script&gt;steal()&lt;/script&gt;"))
        // The plain part keeps the text as it is: it is never rendered as markup.
        #expect(parts[0].decodedBody.contains("<script>alert('x')</script> & \"quotes\""))
    }

    @Test func everyLineIsCRLFTerminatedAndShort() throws {
        for alert in [GoldenAlerts.ordinary, GoldenAlerts.hostile, GoldenAlerts.overLong] {
            let bytes = try EmailFixtures.mail(EmailFixtures.channel.encode(alert, context: GoldenAlerts.context)).message
            #expect(bytes.suffix(2) == [0x0D, 0x0A])
            var lineLength = 0
            var longest = 0
            for (index, byte) in bytes.enumerated() {
                if byte == 0x0A {
                    #expect(index > 0 && bytes[index - 1] == 0x0D, "bare LF at \(index)")
                    longest = max(longest, lineLength - 1)
                    lineLength = 0
                } else {
                    if byte == 0x0D { #expect(index + 1 < bytes.count && bytes[index + 1] == 0x0A, "bare CR at \(index)") }
                    #expect(byte < 0x80, "8-bit byte at \(index): the message must be 7-bit clean")
                    lineLength += 1
                }
            }
            #expect(longest <= 78)
        }
    }

    @Test func longBodyLinesAreWrappedAndDecodeBackWhole() throws {
        let message = try EmailFixtures.parsed(GoldenAlerts.overLong)
        let parts = message.parts
        #expect(parts.count == 2)
        let text = parts[0].decodedBody
        // The title (cut at 2,000 characters with the marker) comes back as one line.
        let titleLine = try #require(text.components(separatedBy: "\r\n").first)
        #expect(titleLine.count == EmailContent.lineLimit)
        #expect(titleLine.hasSuffix(Truncation.marker))
        #expect(text.contains("… and 150 more frames"))
        #expect(parts[1].decodedBody.contains("… and 150 more frames"))
        for part in parts {
            #expect(part.body.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
        }
    }

    @Test func quotedPrintableRoundTripsTrickyText() {
        let samples = [
            "a=b and =?x?= and trailing space \nand tab\t\n",
            String(repeating: "x", count: 75) + "=" + String(repeating: "é", count: 80),
            ".starts with a dot\n..two\nFrom the start\n",
            "line one\r\nline two\rline three\n\nblank above",
            "",
        ]
        for sample in samples {
            let encoded = QuotedPrintable.encode(sample)
            #expect(encoded.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 && !$0.hasSuffix(" ") && !$0.hasSuffix("\t") })
            #expect(encoded.unicodeScalars.allSatisfy { $0.isASCII })
            var expected = sample.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            if expected.hasSuffix("\n") { expected.removeLast() }
            #expect(ParsedMessage.decodeQuotedPrintable(encoded) == expected.replacingOccurrences(of: "\n", with: "\r\n"))
        }
    }

    @Test func rollUpListsEveryIssueWithoutThreading() throws {
        let mail = try EmailFixtures.mail(EmailFixtures.channel.encode(EmailFixtures.rollUp, context: GoldenAlerts.context))
        let message = ParsedMessage(String(decoding: mail.message, as: UTF8.self))
        #expect(message.names == ["Date", "From", "To", "Subject", "Message-ID", "Auto-Submitted", "X-Auto-Response-Suppress", "MIME-Version", "Content-Type"])
        #expect(message.decoded("Subject") == EmailFixtures.rollUp.headline)
        #expect(message.header("Message-ID") == "<firebell-42-7-test.1796014800@example.com>")
        let text = message.parts[0].decodedBody
        #expect(text.contains("/v1/issues/42"))
        #expect(text.contains("/v1/issues/43"))
        #expect(text.contains("Zeitüberschreitung beim Zahlungsanbieter"))
        #expect(!text.contains("\r\nBcc: x@y"))
        #expect(!message.parts[1].decodedBody.contains("<!channel>"))
    }

    @Test func templateOutputReplacesTheBodyButKeepsTheHeaders() throws {
        let mail = try EmailFixtures.mail(EmailFixtures.channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context))
        guard case .mail(let replaced) = EmailFixtures.channel.applying(template: "Custom: PaymentError — 3 events\n", to: .mail(mail)) else {
            Issue.record("not a mail")
            return
        }
        let original = ParsedMessage(String(decoding: mail.message, as: UTF8.self))
        let message = ParsedMessage(String(decoding: replaced.message, as: UTF8.self))
        #expect(message.header("Message-ID") == original.header("Message-ID"))
        #expect(message.header("Subject") == original.header("Subject"))
        #expect(message.values("Content-Type") == ["text/plain; charset=utf-8"])
        #expect(message.decodedBody == "Custom: PaymentError — 3 events\r\n")
        #expect(replaced.recipients == mail.recipients)
    }

    @Test func templatesReplaceTheBodyOfEveryMailAPI() throws {
        let rendered = try ChannelTemplate("{{{title}}}: {{count}} events <{{{link}}}>").render(GoldenAlerts.hostile, baseURL: GoldenAlerts.context.baseURL)
        let context = GoldenAlerts.context

        let sendGrid = try SendGridChannel(apiKey: "k", from: "a@example.com", to: ["b@example.com"])
        let sendGridBody = try MailAPITestSupport.json(sendGrid.applying(template: rendered, to: sendGrid.encode(GoldenAlerts.hostile, context: context)))
        #expect(sendGridBody["content"] as? [[String: String]] == [["type": "text/plain", "value": rendered]])
        #expect(sendGridBody["subject"] as? String == "[CRITICAL] checkout/prod Bcc: x@y: PaymentError: <!channel> @here @everyone [click](https://evil)  Bcc: x@y")

        let mailgun = try MailgunChannel(apiKey: "k", domain: "mg.example.com", from: "a@example.com", to: ["b@example.com"])
        let fields = try MailgunChannelTests.fields(mailgun.applying(template: rendered, to: mailgun.encode(GoldenAlerts.hostile, context: context)))
        #expect(fields.map(\.name) == ["from", "to", "subject", "text", "h:X-Firebell-Issue", "h:Auto-Submitted", "h:X-Auto-Response-Suppress"])
        #expect(fields[3].value == rendered)

        let postmark = try PostmarkChannel(serverToken: "t", from: "a@example.com", to: ["b@example.com"])
        let postmarkBody = try MailAPITestSupport.json(postmark.applying(template: rendered, to: postmark.encode(GoldenAlerts.hostile, context: context)))
        #expect(postmarkBody["TextBody"] as? String == rendered)
        #expect(postmarkBody["HtmlBody"] == nil)
        #expect(postmarkBody["MessageStream"] as? String == "outbound")
    }
}
