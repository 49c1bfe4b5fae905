import FirebellCore
import FirebellCurl
import Foundation

/// Postmark Email API (`POST /email`, `X-Postmark-Server-Token`), JSON
/// `From`, `To` (comma-separated, at most 50), `Subject`, `TextBody`,
/// `HtmlBody`, `MessageStream: outbound` and `Headers`.
///
/// Postmark answers 200 when it accepted the mail and 422 with an
/// `ErrorCode` for a request it will never accept (bad sender signature,
/// inactive recipient, malformed input): rejected, with the code and
/// Postmark's message as the reason. Other statuses follow the usual rule.
public struct PostmarkChannel: ChannelEncoder {
    public static let standardBaseURL = "https://api.postmarkapp.com"
    /// Postmark's limit on recipients of one message.
    public static let maxRecipients = 50

    public var serverToken: String
    public var from: EmailAddress
    public var to: [EmailAddress]
    public var endpoint: String
    public var timeout: TimeInterval

    public init(
        serverToken: String, from: String, to: [String], baseURL: String? = nil,
        timeout: TimeInterval = ChannelConfig.defaultTimeout
    ) throws(MailConfigError) {
        try MailAPI.checkSecret(serverToken, key: "server_token")
        self.serverToken = serverToken
        self.from = try MailAPI.sender(from)
        self.to = try EmailAddress.list(to, key: "to")
        guard self.to.count <= Self.maxRecipients else {
            throw MailConfigError("to: Postmark takes at most \(Self.maxRecipients) recipients per message, got \(self.to.count)")
        }
        endpoint = try MailAPI.endpoint(base: baseURL, standard: Self.standardBaseURL, path: "/email")
        self.timeout = timeout
    }

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        try post(EmailContent(alert, baseURL: context.baseURL))
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        try post(EmailContent(rollUp, baseURL: context.baseURL))
    }

    public func verdict(on response: HTTPResponse) -> ReceiverVerdict {
        if response.status == 422 {
            let answer = try? JSONDecoder().decode(PostmarkAnswer.self, from: Data(response.body))
            if let code = answer?.errorCode {
                return .rejected(reason: "Postmark 422 ErrorCode \(code): \(String((answer?.message ?? "").prefix(500)))")
            }
        }
        return HTTPVerdict.standard(response)
    }

    /// A `template` replaces the body: `TextBody` becomes the rendered text
    /// and `HtmlBody` is dropped (clients would show it instead).
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        ChannelTemplate.replacingJSON(in: message, at: ["TextBody"], with: rendered, removing: ["HtmlBody"])
    }

    private func post(_ content: EmailContent) throws -> ChannelMessage {
        let payload = PostmarkPayload(
            from: from.displayValue, to: to.map(\.displayValue).joined(separator: ", "), subject: content.subject,
            textBody: content.text, htmlBody: content.html, messageStream: "outbound",
            headers: MailAPI.extraHeaders(content, from: from).map { PostmarkPayload.Header(name: $0.name, value: $0.value) })
        return .http(HTTPRequest(
            method: "POST", url: endpoint,
            headers: [
                (name: "Accept", value: "application/json"),
                (name: "Content-Type", value: "application/json"),
                (name: "X-Postmark-Server-Token", value: serverToken),
            ],
            body: try ChannelJSON.encode(payload), timeout: timeout))
    }
}

struct PostmarkPayload: Encodable {
    struct Header: Encodable {
        var name: String
        var value: String

        private enum CodingKeys: String, CodingKey { case name = "Name", value = "Value" }
    }

    var from: String
    var to: String
    var subject: String
    var textBody: String
    var htmlBody: String
    var messageStream: String
    var headers: [Header]

    private enum CodingKeys: String, CodingKey {
        case from = "From", to = "To", subject = "Subject", textBody = "TextBody", htmlBody = "HtmlBody"
        case messageStream = "MessageStream", headers = "Headers"
    }
}

/// Postmark's error answer: `{"ErrorCode": 300, "Message": "…"}`.
struct PostmarkAnswer: Decodable {
    var errorCode: Int?
    var message: String?

    private enum CodingKeys: String, CodingKey { case errorCode = "ErrorCode", message = "Message" }
}
