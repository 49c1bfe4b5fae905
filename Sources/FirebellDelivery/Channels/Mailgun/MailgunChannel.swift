import FirebellCore
import FirebellCurl
import Foundation

/// Mailgun Messages API (`POST /v3/<domain>/messages`, HTTP Basic
/// `api:<api_key>`), form-encoded `from`, `to` (once per recipient),
/// `subject`, `text`, `html` and `h:` headers. `region: eu` sends to
/// `api.eu.mailgun.net`. Mailgun answers 200 when it queued the mail; the
/// usual HTTP rule judges the rest.
public struct MailgunChannel: ChannelEncoder {
    public static let standardBaseURL = "https://api.mailgun.net"
    public static let euBaseURL = "https://api.eu.mailgun.net"

    public var apiKey: String
    public var domain: String
    public var from: EmailAddress
    public var to: [EmailAddress]
    public var endpoint: String
    public var timeout: TimeInterval

    /// `region`: `nil` or `us` (default), or `eu`. An explicit `baseURL`
    /// wins over the region.
    public init(
        apiKey: String, domain: String, region: String? = nil, from: String, to: [String], baseURL: String? = nil,
        timeout: TimeInterval = ChannelConfig.defaultTimeout
    ) throws(MailConfigError) {
        try MailAPI.checkSecret(apiKey, key: "api_key")
        if let problem = EmailAddress.problem(with: "postmaster@\(domain)") {
            throw MailConfigError("domain: \"\(HeaderText.sanitize(domain))\" is not a mail domain (\(problem))")
        }
        let standard: String
        switch region?.lowercased() {
        case nil, "us": standard = Self.standardBaseURL
        case "eu": standard = Self.euBaseURL
        case let other?: throw MailConfigError("region: expected us or eu, got \"\(HeaderText.sanitize(other))\"")
        }
        self.apiKey = apiKey
        self.domain = domain
        self.from = try MailAPI.sender(from)
        self.to = try EmailAddress.list(to, key: "to")
        endpoint = try MailAPI.endpoint(base: baseURL, standard: standard, path: "/v3/\(domain)/messages")
        self.timeout = timeout
    }

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        post(EmailContent(alert, baseURL: context.baseURL))
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        post(EmailContent(rollUp, baseURL: context.baseURL))
    }

    /// A `template` replaces the body: `text` becomes the rendered text and
    /// `html` is dropped (clients would show it instead); the rest stays.
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        guard case .http(var request) = message else { return message }
        let fields = FormEncoding.decode(String(decoding: request.body, as: UTF8.self))
            .filter { $0.0 != "html" }
            .map { $0.0 == "text" ? ("text", rendered) : $0 }
        request.body = Array(FormEncoding.encode(fields).utf8)
        return .http(request)
    }

    private func post(_ content: EmailContent) -> ChannelMessage {
        var fields: [(String, String)] = [("from", from.displayValue)]
        fields += to.map { ("to", $0.displayValue) }
        fields += [("subject", content.subject), ("text", content.text), ("html", content.html)]
        fields += MailAPI.extraHeaders(content, from: from).map { ("h:\($0.name)", $0.value) }
        let credentials = Data("api:\(apiKey)".utf8).base64EncodedString()
        return .http(HTTPRequest(
            method: "POST", url: endpoint,
            headers: [
                (name: "Authorization", value: "Basic \(credentials)"),
                (name: "Content-Type", value: "application/x-www-form-urlencoded"),
            ],
            body: Array(FormEncoding.encode(fields).utf8), timeout: timeout))
    }
}

/// `application/x-www-form-urlencoded`: every byte but `A-Z a-z 0-9 - . _ ~` percent-encoded.
enum FormEncoding {
    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    /// The fields of a body `encode` wrote.
    static func decode(_ body: String) -> [(String, String)] {
        body.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = parts.count > 1 ? String(parts[1]) : ""
            return (parts[0].removingPercentEncoding ?? String(parts[0]), value.removingPercentEncoding ?? value)
        }
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
