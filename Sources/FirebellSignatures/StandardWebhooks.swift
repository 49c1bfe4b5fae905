// FirebellSignatures: signing and checking what crosses the wire, for both ends.
//
// The `webhook` channel signs what Firebell sends; ingest verifies what projects
// with a `signing_secret` send, and compares keys and tokens in constant time.
// Neither end owns the other's code, so the scheme lives here, on swift-crypto and
// Foundation only: this target must not import Firebell's other targets,
// Hummingbird or curl.

import Crypto
import Foundation

/// Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
/// `"{id}.{timestamp}.{body}"`, sent as `v1,<base64>`. Used for outbound webhooks and
/// to verify projects' signed inbound requests, with one rule for the secret.
public enum StandardWebhooks {
    /// Secrets starting `whsec_` are base64 keys; any other secret is used as raw UTF-8 bytes.
    public static func key(for secret: String) -> [UInt8] {
        if secret.hasPrefix("whsec_"), let decoded = Data(base64Encoded: String(secret.dropFirst(6))) {
            return Array(decoded)
        }
        return Array(secret.utf8)
    }

    /// `v1,<base64 HMAC-SHA256>`
    public static func signature(secret: String, id: String, timestamp: Int, body: [UInt8]) -> String {
        var message = Array("\(id).\(timestamp).".utf8)
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key(for: secret)))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// Checks a `webhook-signature` header (space-separated `v1,<sig>` entries, any may match)
    /// and that `timestamp` is within `tolerance` of `now`.
    public static func verify(
        secret: String, id: String, timestamp: String, signatures: String, body: [UInt8], now: Date,
        tolerance: TimeInterval = 300
    ) -> Bool {
        guard let seconds = Int(timestamp), abs(now.timeIntervalSince1970 - Double(seconds)) <= tolerance else { return false }
        let expected = Array(signature(secret: secret, id: id, timestamp: seconds, body: body).utf8)
        return signatures.split(separator: " ").contains { candidate in
            constantTimeEquals(Array(candidate.utf8), expected)
        }
    }

    /// Compares without an early exit, so timing does not reveal how much matched.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
