/// The answer to an ``HTTPRequest``: any status, 2xx or not.
///
/// Whether a status means success, retry or give up is the delivery layer's
/// call, not this one's.
public struct HTTPResponse: Sendable {
    /// The most bytes of a response body that are kept; the rest is read
    /// and discarded, so a hostile receiver cannot balloon memory.
    public static let maxBodyBytes = 64 * 1024

    public var status: Int
    /// The final response's headers in arrival order (those of any interim
    /// `1xx` response are dropped).
    public var headers: [(name: String, value: String)]
    /// The body, at most ``maxBodyBytes`` long.
    public var body: [UInt8]
    /// True when the receiver sent more than ``maxBodyBytes`` and the rest
    /// was discarded.
    public var isBodyTruncated: Bool

    public init(
        status: Int,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        isBodyTruncated: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.isBodyTruncated = isBodyTruncated
    }

    /// The value of the header `name`, compared case-insensitively; when it
    /// was sent more than once, the last one wins.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.last { $0.name.lowercased() == wanted }?.value
    }

    /// The body decoded as UTF-8, invalid sequences replaced.
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }
}
