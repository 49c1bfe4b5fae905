import FirebellCore
import FirebellCurl
import Foundation

/// SendGrid v3 Mail Send (`POST /v3/mail/send`, bearer `api_key`): one
/// personalization holding every recipient, text and HTML content. SendGrid
/// answers 202 when it accepted the mail; the usual HTTP rule judges the
/// rest (400 with `errors` is rejected, 429 and 5xx are retried).
public struct SendGridChannel: ChannelEncoder {
    public static let standardBaseURL = "https://api.sendgrid.com"

    public var apiKey: String
    public var from: EmailAddress
    public var to: [EmailAddress]
    /// The full endpoint: the API base (or the `url` override) + `/v3/mail/send`.
    public var endpoint: String
    public var timeout: TimeInterval

    public init(
        apiKey: String, from: String, to: [String], baseURL: String? = nil,
        timeout: TimeInterval = ChannelConfig.defaultTimeout
    ) throws(MailConfigError) {
        try MailAPI.checkSecret(apiKey, key: "api_key")
        self.apiKey = apiKey
        self.from = try MailAPI.sender(from)
        self.to = try EmailAddress.list(to, key: "to")
        endpoint = try MailAPI.endpoint(base: baseURL, standard: Self.standardBaseURL, path: "/v3/mail/send")
        self.timeout = timeout
    }

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        try post(EmailContent(alert, baseURL: context.baseURL))
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        try post(EmailContent(rollUp, baseURL: context.baseURL))
    }

    /// A `template` replaces the content: one text/plain part with the
    /// rendered text (the default HTML part is dropped, or clients would
    /// show it instead); sender, recipients, subject and headers stay.
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        guard case .http(var request) = message,
              var object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
              let data = try? JSONSerialization.data(
                withJSONObject: { object["content"] = [["type": "text/plain", "value": rendered]]; return object }(),
                options: [.sortedKeys, .withoutEscapingSlashes])
        else { return message }
        request.body = Array(data)
        return .http(request)
    }

    private func post(_ content: EmailContent) throws -> ChannelMessage {
        let payload = SendGridPayload(
            personalizations: [.init(to: to.map(SendGridPayload.Address.init))],
            from: SendGridPayload.Address(from),
            subject: content.subject,
            // SendGrid wants text/plain first.
            content: [.init(type: "text/plain", value: content.text), .init(type: "text/html", value: content.html)],
            headers: Dictionary(MailAPI.extraHeaders(content, from: from).map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }))
        return .http(HTTPRequest(
            method: "POST", url: endpoint,
            headers: [
                (name: "Authorization", value: "Bearer \(apiKey)"),
                (name: "Content-Type", value: "application/json"),
            ],
            body: try ChannelJSON.encode(payload), timeout: timeout))
    }
}

struct SendGridPayload: Encodable {
    struct Address: Encodable {
        var email: String
        var name: String?

        init(_ address: EmailAddress) {
            email = address.address
            name = address.name
        }
    }

    struct Personalization: Encodable {
        var to: [Address]
    }

    struct Content: Encodable {
        var type: String
        var value: String
    }

    var personalizations: [Personalization]
    var from: Address
    var subject: String
    var content: [Content]
    var headers: [String: String]
}
