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
    static func key(inAuthHeader value: String) -> String? {
        var text = Substring(value).drop(while: \.isWhitespace)
        guard text.lowercased().hasPrefix("sentry ") || text.lowercased().hasPrefix("sentry_") else { return nil }
        if text.lowercased().hasPrefix("sentry ") { text = text.dropFirst(7) }
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0] == "sentry_key", !pair[1].isEmpty { return pair[1] }
        }
        return nil
    }

    /// The public key of a DSN like `https://<key>@host/1` (a legacy `key:secret` pair gives `key`).
    static func key(inDSN dsn: String) -> String? {
        guard let components = URLComponents(string: dsn), let user = components.user, !user.isEmpty else { return nil }
        return user
    }
}
