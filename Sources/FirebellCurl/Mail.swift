#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An outbound email, as the `email` channel builds it: where to submit it
/// and the finished RFC 5322 message.
///
/// A plain value: building one does no I/O. ``CurlMultiLoop/send(_:)`` sends
/// it over SMTP.
public struct Mail: Sendable {
    /// `smtp://host[:port][/ehlo-name]` (STARTTLS, see ``starttls``) or
    /// `smtps://host[:port][/ehlo-name]` (TLS from the first byte). libcurl
    /// sends the path, if any, as the EHLO name. Other schemes are refused.
    public var url: String
    /// The envelope sender (`MAIL FROM`), a bare address: `alerts@example.com`.
    public var from: String
    /// The envelope recipients (`RCPT TO`), bare addresses; at least one.
    public var recipients: [String]
    /// The whole message, headers and body, with CRLF line endings, as it
    /// should arrive. libcurl dot-stuffs it and adds the final `CRLF.CRLF`.
    public var message: [UInt8]
    /// SMTP AUTH login; `nil` or empty sends without AUTH.
    public var username: String?
    public var password: String?
    /// For `smtp://`: whether the server must upgrade the connection with
    /// STARTTLS before anything else is sent (the default). `false` sends
    /// everything, AUTH included, in clear text: only for a trusted local
    /// relay. Ignored for `smtps://`, which is always TLS.
    public var starttls: Bool
    /// The whole-transfer deadline in seconds, connect included.
    public var timeout: TimeInterval

    public init(
        url: String,
        from: String,
        recipients: [String],
        message: [UInt8],
        username: String? = nil,
        password: String? = nil,
        starttls: Bool = true,
        timeout: TimeInterval = 10
    ) {
        self.url = url
        self.from = from
        self.recipients = recipients
        self.message = message
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout
    }
}

/// What the SMTP server answered once it took the message.
public struct MailReceipt: Sendable {
    /// The last SMTP reply code, normally 250.
    public var responseCode: Int
    /// The server's last reply line(s), e.g. `250 OK: queued as 4F2A1`, at
    /// most a few hundred bytes; empty if the server sent none libcurl passed on.
    public var reply: String

    public init(responseCode: Int, reply: String) {
        self.responseCode = responseCode
        self.reply = reply
    }
}
