import Foundation
import HTTPTypes
import Hummingbird

/// Where Sentry SDKs put their DSN public key, in the order we look:
/// `X-Sentry-Auth: Sentry sentry_key=…, sentry_version=7, …` (also sent as
/// `Authorization: Sentry …`), the `?sentry_key=` query (browser SDKs), and —
/// read later, from the body — the envelope header's `dsn`.
enum SentryAuth {
    static let header = HTTPField.Name("X-Sentry-Auth")!

    /// The key from the request's headers or query, if any.
    static func key(in request: Request) -> String? {
        for value in [request.headers[header], request.headers[.authorization]].compactMap({ $0 }) {
            if let key = key(inAuthHeader: value) { return key }
        }
        if let key = request.uri.queryParameters.get("sentry_key"), !key.isEmpty { return key }
        return nil
    }

    /// `Sentry sentry_key=abc, sentry_version=7` → `abc`.
    ///
    /// Read on every Sentry request, so by bytes (with Foundation's trimming, then
    /// with Character-wise splitting, it was ~4 % of the daemon under envelope load).
    static func key(inAuthHeader value: String) -> String? {
        var text = Array(value.utf8)[...].trimmingBlanks()
        // "Sentry " (any case) before the pairs, or no scheme and the pairs at once.
        guard text.count > 6, text.prefix(6).map({ $0 | 0x20 }).elementsEqual("sentry".utf8) else { return nil }
        switch text[text.startIndex + 6] {
        case UInt8(ascii: " "): text = text.dropFirst(7)
        case UInt8(ascii: "_"): break
        default: return nil
        }
        for part in text.split(separator: UInt8(ascii: ",")) {
            guard let equals = part.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = part[(equals + 1)...].trimmingBlanks()
            if part[..<equals].trimmingBlanks().elementsEqual("sentry_key".utf8), !key.isEmpty {
                return String(decoding: key, as: UTF8.self)
            }
        }
        return nil
    }

    /// The public key of a DSN like `https://<key>@host/1` (a legacy `key:secret` pair gives `key`).
    static func key(inDSN dsn: String) -> String? {
        guard let components = URLComponents(string: dsn), let user = components.user, !user.isEmpty else { return nil }
        return user
    }
}
