import FirebellCore
import FirebellCurl
import Foundation

/// Email over SMTP, submitted through libcurl (`CurlMultiLoop.send`).
///
/// `url` is `smtp://host:587` (STARTTLS required unless `starttls: false`
/// was chosen, for a trusted local relay only) or `smtps://host:465`
/// (TLS from the start). The message is multipart text + HTML, threaded per
/// issue (see ``EmailThread``); headers never carry a control character
/// and non-ASCII goes through RFC 2047.
public struct EmailChannel: ChannelEncoder {
    public var url: String
    public var from: EmailAddress
    public var to: [EmailAddress]
    public var username: String?
    public var password: String?
    /// Whether an `smtp://` server must upgrade with STARTTLS.
    public var starttls: Bool
    public var timeout: TimeInterval

    /// Throws when `url` is not `smtp://`/`smtps://` with a host, or an
    /// address in `from`/`to` is not a plain, safe mailbox.
    /// `starttls: nil` means the default, required.
    public init(
        url: String, from: String, to: [String], username: String? = nil, password: String? = nil,
        starttls: Bool? = nil, timeout: TimeInterval = ChannelConfig.defaultTimeout
    ) throws(MailConfigError) {
        guard let components = URLComponents(string: url),
              let scheme = components.scheme?.lowercased(), scheme == "smtp" || scheme == "smtps",
              let host = components.host, !host.isEmpty,
              !url.unicodeScalars.contains(where: HeaderText.isControl)
        else {
            throw MailConfigError("url: expected smtp://host:587 (STARTTLS) or smtps://host:465 (implicit TLS), got \"\(HeaderText.sanitize(url))\"")
        }
        do {
            self.from = try EmailAddress(parsing: from)
        } catch {
            throw MailConfigError("from: \(error.message)")
        }
        self.to = try EmailAddress.list(to, key: "to")
        self.url = url
        self.username = username.flatMap { $0.isEmpty ? nil : $0 }
        self.password = password
        self.starttls = starttls ?? true
        self.timeout = timeout
    }

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        mail(EmailContent(alert, baseURL: context.baseURL), context: context)
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        mail(EmailContent(rollUp, baseURL: context.baseURL), context: context)
    }

    /// A `template` replaces the body: the message becomes a single text/plain
    /// part holding the rendered text; envelope, headers and threading stay.
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        guard case .mail(let mail) = message else { return message }
        return .mail(MIMEMessage.replacingBody(of: mail, withText: rendered))
    }

    private func mail(_ content: EmailContent, context: DeliveryContext) -> ChannelMessage {
        let message = MIMEMessage(content: content, from: from, to: to, context: context)
        return .mail(Mail(
            url: url, from: from.address, recipients: to.map(\.address), message: message.bytes,
            username: username, password: password, starttls: starttls, timeout: timeout))
    }
}
