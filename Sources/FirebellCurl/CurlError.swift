/// Why a request got no HTTP response, or a mail was not accepted.
///
/// An HTTP error status is not a `CurlError`: it comes back as an
/// ``HTTPResponse``. This is for transfers that failed below HTTP, sorted
/// into ``Kind`` so the delivery layer can decide to retry without knowing
/// libcurl's codes. For ``Mail`` (SMTP has no response value to hand back)
/// a refusal by the server is a `CurlError` too: ``Kind/rejected`` for a
/// permanent (5xx) reply, ``Kind/authentication`` for refused credentials;
/// a transient (4xx) reply keeps a retryable kind.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    /// libcurl's `CURLcode`. Errors raised by ``CurlMultiLoop`` itself use
    /// the closest code: `CURLE_BAD_FUNCTION_ARGUMENT` (43) for a request it
    /// refuses to send, `CURLE_ABORTED_BY_CALLBACK` (42) for ``Kind/cancelled``.
    public var code: Int
    /// libcurl's text for the code, then the transfer's own detail
    /// (`CURLOPT_ERRORBUFFER`) when there is one.
    public var message: String
    public var kind: Kind

    public enum Kind: Sendable, Hashable {
        /// The whole-transfer deadline passed.
        case timeout
        /// The TCP connection was refused or could not be made.
        case connect
        /// The host name did not resolve.
        case resolve
        /// TLS handshake or certificate failure.
        case tls
        /// Sending the request failed mid-way.
        case send
        /// Receiving the response failed, or the receiver closed the
        /// connection without answering.
        case receive
        /// The request cannot be sent as written: malformed URL, a scheme
        /// other than http/https (smtp/smtps for mail), a header with a
        /// line break.
        case badRequest
        /// The SMTP server refused the username or password (`CURLE_LOGIN_DENIED`).
        case authentication
        /// The SMTP server refused the mail with a permanent (5xx) reply:
        /// unknown recipient, relaying denied, message refused.
        case rejected
        /// The loop shut down before the transfer completed; whether the
        /// receiver got the request is unknown.
        case cancelled
        /// Anything else libcurl reports.
        case other
    }

    public init(code: Int, message: String, kind: Kind) {
        self.code = code
        self.message = message
        self.kind = kind
    }

    /// Whether the same request might succeed later. TLS failures, bad
    /// requests, refused credentials and permanent SMTP refusals will not
    /// fix themselves; the rest, including ``Kind/other``
    /// and ``Kind/cancelled``, are retried (the delivery layer bounds how
    /// often), because giving up loses an owed alert.
    public var isRetryable: Bool {
        switch kind {
        case .timeout, .connect, .resolve, .send, .receive, .cancelled, .other:
            return true
        case .tls, .badRequest, .authentication, .rejected:
            return false
        }
    }

    public var description: String {
        "curl error \(code) (\(kind)): \(message)"
    }
}
