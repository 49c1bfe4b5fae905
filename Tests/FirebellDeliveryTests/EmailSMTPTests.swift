import FirebellCore
import FirebellCurl
import Foundation
import Logging
import Testing

@testable import FirebellDelivery

/// The `email` channel and `CurlMultiLoop.send` against a real SMTP server
/// (aiosmtpd on 127.0.0.1, a free port), over plain SMTP as to a local relay.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct EmailSMTPTests {
    /// Runs `body` with a fresh loop and sink, and always stops both.
    private func withSink(
        login: (user: String, password: String)? = nil, _ body: (CurlMultiLoop, SMTPSink) async throws -> Void
    ) async throws {
        let sink = try SMTPSink(login: login)
        let loop = CurlMultiLoop(logger: Logger(label: "test.firebell.smtp"))
        defer {
            loop.shutdown()
            sink.stop()
        }
        try await body(loop, sink)
    }

    private func failure(of mail: Mail, on loop: CurlMultiLoop) async -> CurlError? {
        do {
            let receipt = try await loop.send(mail)
            Issue.record("expected an error, got SMTP \(receipt.responseCode)")
            return nil
        } catch {
            return error
        }
    }

    private static func plainMail(_ sink: SMTPSink, to: [String] = ["oncall@example.com"], message: String? = nil, starttls: Bool = false) -> Mail {
        let text = message ?? "From: alerts@firebell.test\r\nTo: oncall@example.com\r\nSubject: hi\r\n\r\nbody\r\n"
        return Mail(url: sink.url, from: "alerts@firebell.test", recipients: to, message: Array(text.utf8), starttls: starttls, timeout: 10)
    }

    @Test func anAlertArrivesWithItsHeadersAndBothParts() async throws {
        try await withSink { loop, sink in
            let channel = try EmailChannel(
                url: sink.url, from: "Firebell Alerts <alerts@firebell.test>",
                to: ["oncall@example.com", "Zoë Ops <ops@example.com>"], starttls: false, timeout: 10)
            var alert = GoldenAlerts.hostile
            alert.title = "Zahlungsprüfung fehlgeschlagen ❌ <script>x</script> \r\nBcc: evil@example.net"
            guard case .mail(let mail) = try channel.encode(alert, context: GoldenAlerts.context) else {
                Issue.record("not a mail")
                return
            }
            let receipt = try await loop.send(mail)
            #expect(receipt.responseCode == 250)
            #expect(receipt.reply.contains("queued as 1"))

            let received = try #require(try sink.messages().first)
            #expect(try sink.messages().count == 1)
            #expect(received.mailFrom == "alerts@firebell.test")
            #expect(received.rcptTos == ["oncall@example.com", "ops@example.com"])
            #expect(received.raw == mail.message, "the server got the message byte for byte")

            let message = ParsedMessage(received.text)
            #expect(message.names == EmailChannelTests.firstAlertHeaders)
            #expect(message.decoded("From") == "Firebell Alerts <alerts@firebell.test>")
            #expect(message.decoded("To") == "oncall@example.com, Zoë Ops <ops@example.com>")
            #expect(message.decoded("Subject") == "[CRITICAL] checkout/prod Bcc: x@y: Zahlungsprüfung fehlgeschlagen ❌ <script>x</script>  Bcc: evil@example.net")
            #expect(message.header("Message-ID") == "<firebell-issue-42.1796014200@firebell.test>")
            #expect(message.header("X-Firebell-Issue") == "42")
            #expect(message.header("Date") == "Mon, 30 Nov 2026 05:00:00 +0000")
            #expect(message.header("MIME-Version") == "1.0")
            #expect(message.header("Content-Type")?.hasPrefix("multipart/alternative; boundary=") == true)

            let parts = message.parts
            #expect(parts.count == 2)
            #expect(parts.map { $0.header("Content-Type") } == ["text/plain; charset=utf-8", "text/html; charset=utf-8"])
            #expect(parts.map { $0.header("Content-Transfer-Encoding") } == ["quoted-printable", "quoted-printable"])
            let text = parts[0].decodedBody
            #expect(text.hasPrefix("[CRITICAL] checkout/prod Bcc: x@y: Zahlungsprüfung fehlgeschlagen ❌ <script>x</script>  Bcc: evil@example.net\r\nNew issue\r\n"))
            #expect(text.contains("Open issue #42 in Firebell: http://firebell.example:8470/v1/issues/42"))
            let html = parts[1].decodedBody
            #expect(html.contains("Zahlungsprüfung fehlgeschlagen ❌ &lt;script&gt;x&lt;/script&gt;  Bcc: evil@example.net"))
            #expect(!html.contains("<script>"))
            #expect(html.contains("<a href=\"http://firebell.example:8470/v1/issues/42\">Open issue #42 in Firebell</a>"))
        }
    }

    @Test func linesStartingWithADotArriveIntact() async throws {
        // libcurl dot-stuffs on the way out and the server un-stuffs: a lone "."
        // line must not end the DATA early.
        try await withSink { loop, sink in
            let message = "Subject: dots\r\n\r\n.\r\n..two\r\n.hidden\r\nlast\r\n"
            _ = try await loop.send(Self.plainMail(sink, message: message))
            #expect(try sink.messages().first?.text == message)
        }
    }

    @Test func starttlsIsRequiredByDefaultAndItsAbsenceIsNotRetried() async throws {
        try await withSink { loop, sink in
            let error = await failure(of: Self.plainMail(sink, starttls: true), on: loop)
            #expect(error?.kind == .tls)
            #expect(error?.isRetryable == false)
            #expect(error?.message.hasPrefix("server does not offer STARTTLS; set starttls: false only for a trusted local relay") == true)
            let nothingArrived = try sink.messages().isEmpty
            #expect(nothingArrived)

            // The channel's default is the same.
            let channel = try EmailChannel(url: sink.url, from: "alerts@firebell.test", to: ["oncall@example.com"])
            guard case .mail(let mail) = try channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context) else { return }
            #expect(await failure(of: mail, on: loop)?.kind == .tls)
        }
    }

    @Test func authWithTheRightPasswordSucceeds() async throws {
        try await withSink(login: ("firebell", "correct horse")) { loop, sink in
            var mail = Self.plainMail(sink)
            mail.username = "firebell"
            mail.password = "correct horse"
            let receipt = try await loop.send(mail)
            #expect(receipt.responseCode == 250)
            let received = try #require(try sink.messages().first)
            #expect(received.login == "firebell")
        }
    }

    @Test func aWrongPasswordIsDeniedAndNotRetried() async throws {
        try await withSink(login: ("firebell", "correct horse")) { loop, sink in
            var mail = Self.plainMail(sink)
            mail.username = "firebell"
            mail.password = "battery staple"
            let error = await failure(of: mail, on: loop)
            #expect(error?.kind == .authentication)
            #expect(error?.code == 67)  // CURLE_LOGIN_DENIED
            #expect(error?.isRetryable == false)
            #expect(error?.message.contains("535") == true)
            let nothingArrived = try sink.messages().isEmpty
            #expect(nothingArrived)
        }
    }

    @Test func noLoginWhereOneIsRequiredIsRejectedNotRetried() async throws {
        try await withSink(login: ("firebell", "correct horse")) { loop, sink in
            let error = await failure(of: Self.plainMail(sink), on: loop)
            #expect(error?.kind == .rejected)
            #expect(error?.isRetryable == false)
            #expect(error?.message.contains("530") == true)
        }
    }

    @Test func aPermanentRecipientRefusalIsNotRetried() async throws {
        try await withSink { loop, sink in
            let error = await failure(of: Self.plainMail(sink, to: ["oncall@example.com", "nobody@example.com"]), on: loop)
            #expect(error?.kind == .rejected)
            #expect(error?.isRetryable == false)
            #expect(error?.message.contains("550") == true)
            #expect(error?.message.contains("no such user here") == true, "\(String(describing: error))")
            let nothingArrived = try sink.messages().isEmpty
            #expect(nothingArrived)
        }
    }

    @Test func aTransientRecipientRefusalIsRetried() async throws {
        try await withSink { loop, sink in
            let error = await failure(of: Self.plainMail(sink, to: ["busy@example.com"]), on: loop)
            #expect(error?.isRetryable == true)
            #expect(error?.message.contains("451") == true)
        }
    }

    @Test func severalMailsAndRequestsShareTheLoop() async throws {
        try await withSink { loop, sink in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        let message = "Subject: mail \(i)\r\n\r\nnumber \(i)\r\n"
                        return try await loop.send(Self.plainMail(sink, message: message)).responseCode
                    }
                }
                for try await code in group {
                    #expect(code == 250)
                }
            }
            let subjects = Set(try sink.messages().map { ParsedMessage($0.text).header("Subject") ?? "" })
            #expect(subjects == Set((0..<8).map { "mail \($0)" }))
        }
    }
}
