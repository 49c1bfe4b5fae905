import Foundation

/// A request body's `Content-Encoding`, as far as Firebell decodes it.
///
/// Sentry SDKs compress envelopes with gzip (most), deflate, br (Python's SDK
/// when the `brotli` module is installed) or zstd; some send an empty value or
/// `UTF-8` (a charset in the wrong header), which mean no encoding.
public enum ContentEncoding: Sendable, Equatable {
    case identity
    /// RFC 1952; concatenated members are accepted.
    case gzip
    /// RFC 9110's "deflate" is zlib-wrapped (RFC 1950), but clients also send
    /// raw deflate (RFC 1951); the decoder tells them apart by the first two bytes.
    case deflate
    case brotli
    case zstd

    /// The header token, as a client writes it.
    public var name: String {
        switch self {
        case .identity: "identity"
        case .gzip: "gzip"
        case .deflate: "deflate"
        case .brotli: "br"
        case .zstd: "zstd"
        }
    }

    /// Parses a `Content-Encoding` header value, case-insensitively and
    /// ignoring surrounding whitespace:
    /// - absent, empty, `identity`, `UTF-8` or `utf8` → `.identity`
    /// - `gzip` or `x-gzip` → `.gzip`; `deflate`; `br`; `zstd`
    ///
    /// A list is accepted when at most one of its entries is a real coding:
    /// `gzip, identity` → `.gzip`. Stacked codings (`gzip, br`) are refused
    /// with `.unsupported`, as is any other name.
    public init(header: String?) throws(DecompressionError) {
        guard let header else {
            self = .identity
            return
        }
        // One plain lowercase token ("gzip", as every Sentry SDK sends): no splitting.
        if let coding = Self.coding(named: header) {
            self = coding
            return
        }
        var found: ContentEncoding?
        for entry in header.split(separator: ",", omittingEmptySubsequences: false) {
            let token = entry.trimmingCharacters(in: .whitespaces)
            guard let coding = Self.coding(named: token.lowercased()) else {
                throw .unsupported(token)
            }
            guard coding != .identity else { continue }
            guard found == nil else {
                throw .unsupported(header.trimmingCharacters(in: .whitespaces))
            }
            found = coding
        }
        self = found ?? .identity
    }

    private static func coding(named token: String) -> ContentEncoding? {
        switch token {
        case "", "identity", "utf-8", "utf8": .identity
        case "gzip", "x-gzip": .gzip
        case "deflate": .deflate
        case "br": .brotli
        case "zstd": .zstd
        default: nil
        }
    }
}
