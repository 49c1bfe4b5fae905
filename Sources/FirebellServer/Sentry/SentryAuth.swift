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
    /// Read on every Sentry request, so without Foundation's trimming (a profile
    /// showed this at ~4 % of the daemon under envelope load).
    static func key(inAuthHeader value: String) -> String? {
        var text = trimmed(Substring(value))
        let scheme = text.prefix(7).lowercased()
        guard scheme == "sentry " || scheme.hasPrefix("sentry_") else { return nil }
        if scheme == "sentry " { text = text.dropFirst(7) }
        for part in text.split(separator: ",") {
            guard let equals = part.firstIndex(of: "=") else { continue }
            let key = trimmed(part[part.index(after: equals)...])
            if trimmed(part[..<equals]) == "sentry_key", !key.isEmpty { return String(key) }
        }
        return nil
    }

    private static func trimmed(_ text: Substring) -> Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !blank($0) }), let last = text.lastIndex(where: { !blank($0) }) else {
            return text[text.endIndex...]
        }
        return text[first...last]
    }

    /// The public key of a DSN like `https://<key>@host/1` (a legacy `key:secret` pair gives `key`).
    static func key(inDSN dsn: String) -> String? {
        guard let components = URLComponents(string: dsn), let user = components.user, !user.isEmpty else { return nil }
        return user
    }
}
