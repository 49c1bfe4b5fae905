import FirebellCore
import FirebellCurl
import Foundation

/// What a channel turns an alert into.
public enum ChannelMessage: Sendable {
    /// An HTTP request, sent through libcurl.
    case http(HTTPRequest)
    /// A line block for the daemon's standard output.
    case console(String)
    /// An email submitted over SMTP through libcurl (`CurlMultiLoop.send`);
    /// the `email` channel. There is no HTTP answer to judge: the send
    /// either returns a `MailReceipt` (delivered) or throws a `CurlError`
    /// whose `isRetryable` decides between retry and dead letter.
    case mail(Mail)
}

/// What the encoder needs besides the alert.
public struct DeliveryContext: Sendable {
    /// `server.base_url`, for links.
    public var baseURL: String
    /// Stable across retries of one (issue, alert, channel).
    public var idempotencyKey: String
    /// When this attempt is made (signatures carry it).
    public var now: Date
    /// What the receiver answered to the first alert on this channel (a Slack `ts`,
    /// a Discord message id), for follow-ups that thread under or edit it; `nil` before that.
    public var threadReference: String?

    public init(baseURL: String, idempotencyKey: String, now: Date, threadReference: String? = nil) {
        self.baseURL = baseURL
        self.idempotencyKey = idempotencyKey
        self.now = now
        self.threadReference = threadReference
    }
}

/// How a receiver's answer is judged.
public enum ReceiverVerdict: Sendable, Equatable {
    case accepted
    /// Worth another try (5xx, 429, 408); `retryAfter` is the receiver's `Retry-After` header, as sent.
    case retryable(reason: String, retryAfter: String?)
    /// Trying again would get the same answer (other 4xx).
    case rejected(reason: String)
}

/// One integration: a pure function from alert to message, plus its receiver's success rule.
///
/// Sending, retrying and backoff are shared (`OutboxWorker`, `RetryPolicy`); an
/// encoder never does I/O.
public protocol ChannelEncoder: Sendable {
    func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage
    /// Several alerts as one message (`channel_rate` roll-up or route `digest`).
    func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage
    func verdict(on response: HTTPResponse) -> ReceiverVerdict
    /// From an accepted answer to an issue's first alert: the reference follow-ups need
    /// (stored with the issue, handed back in `DeliveryContext.threadReference`).
    func threadReference(from response: HTTPResponse) -> String?
    /// Whether follow-ups use `DeliveryContext.threadReference`; when not, the worker
    /// does not look one up before each delivery.
    var threads: Bool { get }
    /// Whether a refused follow-up was refused because the message it edits or answers
    /// no longer exists (someone deleted it): the worker then forgets the reference and
    /// sends the alert as a first message, instead of dead-lettering it.
    func threadGone(_ response: HTTPResponse) -> Bool
    /// Puts a channel's rendered `template` in place of the message text. By default it
    /// is the whole body (a `webhook` sends exactly what the template writes); chat and
    /// API channels replace only their text field, keeping what routes and protects the
    /// message (chat id, thread, `allowed_mentions`).
    func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage
}

extension ChannelEncoder {
    /// Most receivers cannot thread: nothing to keep.
    public func threadReference(from response: HTTPResponse) -> String? { nil }
    public var threads: Bool { false }
    public func threadGone(_ response: HTTPResponse) -> Bool { false }

    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        ChannelTemplate.apply(rendered, to: message)
    }

    /// The usual HTTP rule: 2xx accepted; 408, 429 and 5xx retryable (honouring
    /// `Retry-After`); any other status rejected with the receiver's answer.
    public func verdict(on response: HTTPResponse) -> ReceiverVerdict {
        HTTPVerdict.standard(response)
    }
}

public enum HTTPVerdict {
    public static func standard(_ response: HTTPResponse) -> ReceiverVerdict {
        let reason = "HTTP \(response.status): \(String(response.bodyText.prefix(500)))"
        switch response.status {
        case 200..<300:
            return .accepted
        case 408, 425, 429, 500..<600:
            return .retryable(reason: reason, retryAfter: response.header("Retry-After"))
        default:
            return .rejected(reason: reason)
        }
    }
}

/// JSON bodies for channel payloads: sorted keys so golden files and signatures are stable.
enum ChannelJSON {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Array(try encoder.encode(value))
    }
}

/// Cuts text to `limit` characters, marking the cut so a reader knows something is missing.
enum Truncation {
    static let marker = "… (truncated)"

    static func cut(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(max(0, limit - marker.count))) + marker
    }
}
