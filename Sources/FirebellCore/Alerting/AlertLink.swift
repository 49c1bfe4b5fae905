import Foundation

/// A link an alert shows beside the one to the issue: where to look next.
///
/// An issue keeps its latest event's links (`IssueProcessor`), and each channel shows
/// them as it shows the issue link. The URL comes from the event (a client's text), so
/// it is made safe once, here: only `http` and `https` URLs are links, and every
/// character outside RFC 3986's URL characters, and the parentheses, is percent-encoded,
/// so no URL can close the markup a channel puts around it (`<url|title>`, `[title](url)`,
/// `href="url"`). Channels still escape what their markup needs (`&` in Slack and HTML).
public struct AlertLink: Sendable, Equatable, Codable {
    /// What it opens: "Source", "URL" or "Trace" (see `links(for:traceURL:)`).
    public let title: String
    public let url: String

    /// A link to `url` if it is an `http` or `https` URL; nil otherwise.
    public init?(title: String, url: String) {
        let scheme = url.prefix { $0 != ":" }.lowercased()
        guard scheme == "http" || scheme == "https", url.utf8.count > scheme.utf8.count + 3 else { return nil }
        self.title = title
        self.url = Self.percentEncoded(url)
    }

    /// Reads what `writeJSON` wrote (and what an older Firebell stored), made safe again.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let title = try container.decode(String.self, forKey: .title)
        let url = try container.decode(String.self, forKey: .url)
        guard let link = AlertLink(title: title, url: url) else {
            throw DecodingError.dataCorruptedError(forKey: .url, in: container, debugDescription: "not an http(s) URL")
        }
        self = link
    }

    /// The links of `event`, in the order alerts show them:
    /// - its `url`: an Alertmanager alert's `generatorURL` ("Source", as Alertmanager's
    ///   own UI calls it), else the page or request it happened on ("URL");
    /// - "Trace", when it has a `trace_id` tag (OTLP events do) and `traceURL`
    ///   (`otlp.trace_url`) is set: the template with `{trace_id}` (and `{span_id}`)
    ///   filled in.
    public static func links(for event: Event, traceURL: String?) -> [AlertLink] {
        var links: [AlertLink] = []
        if let url = event.url, let link = AlertLink(title: event.platform == "alertmanager" ? "Source" : "URL", url: url) {
            links.append(link)
        }
        if let traceURL, let traceID = event.tags["trace_id"], !traceID.isEmpty {
            // The ids are hex from OTLP, but a tag any client may set: encoded whole.
            let url = traceURL
                .replacingOccurrences(of: "{trace_id}", with: componentEncoded(traceID))
                .replacingOccurrences(of: "{span_id}", with: componentEncoded(event.tags["span_id"] ?? ""))
            if let link = AlertLink(title: "Trace", url: url) {
                links.append(link)
            }
        }
        return links
    }

    /// Characters that may stand in a URL as they are: RFC 3986's unreserved and reserved
    /// ones and `%`, less `(`, `)`, `[`, `]` (Markdown's link syntax) and `@` (a mention
    /// in chat text).
    private static func isKept(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "-._~:/?#!$&'*+,;=%".utf8.contains(byte)
        }
    }

    /// The URL with what `isKept` refuses percent-encoded, except the brackets of an
    /// IPv6 host (`http://[::1]:9090/graph`), which are the URL's own.
    static func percentEncoded(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return encoded(url, keeping: isKept) }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let host = authority.hasPrefix("[") && authority.contains("]")
            ? encoded(String(authority), keeping: { isKept($0) || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") })
            : encoded(String(authority), keeping: isKept)
        return encoded(String(url[..<scheme.upperBound]), keeping: isKept) + host + encoded(String(rest[authorityEnd...]), keeping: isKept)
    }

    /// `text` for one part of a URL: only letters, digits and `-._~` stay as they are.
    static func componentEncoded(_ text: String) -> String {
        encoded(text) { byte in isKept(byte) && (byte.isLetterOrDigit || "-._~".utf8.contains(byte)) }
    }

    private static func encoded(_ url: String, keeping isKept: (UInt8) -> Bool) -> String {
        guard !url.utf8.allSatisfy(isKept) else { return url }
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(url.utf8.count + 16)
        for byte in url.utf8 {
            if isKept(byte) {
                bytes.append(byte)
            } else {
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension UInt8 {
    fileprivate var isLetterOrDigit: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
