#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An outbound HTTP request, as a channel encoder builds it.
///
/// A plain value: building one does no I/O. ``CurlMultiLoop/perform(_:)``
/// sends it.
public struct HTTPRequest: Sendable {
    /// The request method, sent as given (`POST`, `PUT`, `GET`, ...).
    public var method: String
    /// An absolute `http://` or `https://` URL. Other schemes are refused.
    public var url: String
    /// Request headers in order. Names and values must not contain CR, LF
    /// or NUL; a request that breaks this is refused, not sent.
    public var headers: [(name: String, value: String)]
    /// The request body, sent byte for byte.
    public var body: [UInt8]
    /// The whole-transfer deadline in seconds, connect included.
    public var timeout: TimeInterval

    public init(
        method: String = "POST",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        timeout: TimeInterval = 10
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}
