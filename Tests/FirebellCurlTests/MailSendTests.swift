import FirebellTestSupport
import FirebellCurl
import Foundation
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `CurlMultiLoop.send` refusals that need no server. The SMTP dialogue
/// itself is exercised against aiosmtpd in FirebellDeliveryTests/EmailSMTPTests.
@Suite(.timeLimit(.minutes(1)))
struct MailSendTests {
    let loop = CurlMultiLoop(logger: Logger(label: "test.firebell.curl.mail"))

    private func failure(of mail: Mail) async -> CurlError? {
        defer { loop.shutdown() }
        do {
            _ = try await loop.send(mail)
            Testing.Issue.record("expected an error")
            return nil
        } catch {
            return error
        }
    }

    private static func mail(
        url: String = "smtp://127.0.0.1:1", from: String = "a@example.com", to: [String] = ["b@example.com"],
        username: String? = nil, timeout: TimeInterval = 5
    ) -> Mail {
        Mail(url: url, from: from, recipients: to, message: Array("Subject: x\r\n\r\nx\r\n".utf8), username: username, starttls: false, timeout: timeout)
    }

    @Test(arguments: [
        mail(url: "http://127.0.0.1:1/"),
        mail(url: "smtp://127.0.0.1:1/\r\nRSET"),
        mail(from: "a@example.com>\r\nRCPT TO:<evil@example.net"),
        mail(from: "<a@example.com>"),
        mail(to: []),
        mail(to: ["b@example.com", "evil@example.net>\r\nDATA"]),
        mail(to: ["b c@example.com"]),
        mail(username: "user\r\nAUTH PLAIN x"),
        mail(timeout: 0),
    ])
    func unsafeMailIsRefusedBeforeConnecting(_ mail: Mail) async {
        let error = await failure(of: mail)
        #expect(error?.kind == .badRequest)
        #expect(error?.isRetryable == false)
    }

    @Test func aClosedPortFailsToConnectAsRetryable() async throws {
        let socket = try LoopbackReceiver.listenOnLoopback(listen: false)
        defer { close(socket) }
        let port = try LoopbackReceiver.localPort(of: socket)
        let error = await failure(of: Self.mail(url: "smtp://127.0.0.1:\(port)"))
        #expect(error?.kind == .connect)
        #expect(error?.isRetryable == true)
    }
}
