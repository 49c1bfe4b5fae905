import Foundation
import Testing

@testable import FirebellSignatures

/// The one scheme both ends use: the `webhook` channel signs with it, ingest verifies with it.
struct StandardWebhooksTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func signatureMatchesTheSpecExample() {
        // Example from the Standard Webhooks reference implementation's tests.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let signature = StandardWebhooks.signature(secret: secret, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: body)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func whsecSecretsAreBase64KeysAndOthersTheirOwnBytes() {
        // The key is the base64-decoded secret, not its text.
        let secret = "whsec_" + Data("0123456789abcdef".utf8).base64EncodedString()
        #expect(StandardWebhooks.key(for: secret) == Array("0123456789abcdef".utf8))
        #expect(StandardWebhooks.key(for: "plain") == Array("plain".utf8))
    }

    @Test func verifyRejectsTamperingOtherSecretsAndStaleTimestamps() {
        let body = Array("{}".utf8)
        let signature = StandardWebhooks.signature(secret: "s", id: "i", timestamp: 1_800_000_000, body: body)
        #expect(StandardWebhooks.verify(secret: "s", id: "i", timestamp: "1800000000", signatures: signature, body: body, now: Self.now))
        #expect(!StandardWebhooks.verify(secret: "s", id: "i", timestamp: "1800000000", signatures: signature, body: Array("{ }".utf8), now: Self.now))
        #expect(!StandardWebhooks.verify(secret: "s", id: "i", timestamp: "1800000000", signatures: signature, body: body, now: Self.now.addingTimeInterval(301)))
        #expect(!StandardWebhooks.verify(secret: "t", id: "i", timestamp: "1800000000", signatures: signature, body: body, now: Self.now))
    }

    @Test func verifyAcceptsAnyOfSeveralSignaturesWithinFiveMinutes() {
        let body = Array("{}".utf8)
        let current = StandardWebhooks.signature(secret: "new", id: "i", timestamp: 1_800_000_000, body: body)
        // A sender rotating its secret sends both signatures, space-separated.
        let header = "v1,c29tZXRoaW5nIGVsc2U= " + current
        #expect(StandardWebhooks.verify(secret: "new", id: "i", timestamp: "1800000000", signatures: header, body: body, now: Self.now.addingTimeInterval(-300)))
        #expect(!StandardWebhooks.verify(secret: "new", id: "i", timestamp: "1800000000", signatures: header, body: body, now: Self.now.addingTimeInterval(-301)))
        #expect(!StandardWebhooks.verify(secret: "new", id: "i", timestamp: "soon", signatures: header, body: body, now: Self.now))
    }

    @Test func constantTimeEqualsComparesWholeValues() {
        #expect(StandardWebhooks.constantTimeEquals(Array("key1".utf8), Array("key1".utf8)))
        #expect(!StandardWebhooks.constantTimeEquals(Array("key1".utf8), Array("key2".utf8)))
        #expect(!StandardWebhooks.constantTimeEquals(Array("key".utf8), Array("key1".utf8)))
        #expect(StandardWebhooks.constantTimeEquals([], []))
    }
}
