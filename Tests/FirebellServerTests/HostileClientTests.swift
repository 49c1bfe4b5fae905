import FirebellCore
import FirebellCurl
import FirebellSignatures
import FirebellStore
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Testing

@testable import FirebellServer

/// What a hostile or careless client gets: answers that keep their meaning through every
/// middleware, auth on every ingest route, no enumeration, bounded items and labels.
struct HostileClientTests {
    static let secret = "whsec_" + Data("firebell-test-signing-key".utf8).base64EncodedString()

    static func config() throws -> FirebellConfig {
        try ConfigLoader.parse(yaml: """
            server: { listen: "127.0.0.1:0", max_body: 4MiB }
            storage: { url: "sqlite::memory:" }
            projects:
              - { id: 1, name: shop, keys: [key1] }
              - { id: 2, name: signed, keys: [key2], signing_secret: "\(secret)" }
              - { id: 3, name: limited, keys: [key3], rate_limit: 1/h }
            channels:
              out: { type: console }
            routes:
              - { when: { severity: [minor, critical] }, notify: [out] }
            """, path: "hostile.yaml", environment: [:])
    }

    static func request(
        _ curl: CurlMultiLoop, _ url: String, method: String = "POST", headers: [(String, String)] = [], body: [UInt8] = []
    ) async throws -> FirebellCurl.HTTPResponse {
        try await curl.perform(HTTPRequest(
            method: method, url: url, headers: headers.map { (name: $0.0, value: $0.1) }, body: body, timeout: 10))
    }

    static func signedHeaders(id: String, body: [UInt8], at now: Date = Date()) -> [(String, String)] {
        let timestamp = Int(now.timeIntervalSince1970)
        return [
            ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", StandardWebhooks.signature(secret: secret, id: id, timestamp: timestamp, body: body)),
        ]
    }

    static let origin = ("Origin", "https://shop.example")

    @Test func clientErrorsKeepTheirStatusAndGetCORSHeadersWithAnOrigin() async throws {
        try await LiveServerTests.withServer(try Self.config()) { firebell, base, _ in
            let curl = firebell.curl
            let json = [("Content-Type", "application/json"), Self.origin]
            let cases: [(status: Int, response: FirebellCurl.HTTPResponse)] = [
                (400, try await Self.request(curl, base + "/v1/events", headers: json + [("Authorization", "Bearer key1")], body: Array("{".utf8))),
                (401, try await Self.request(curl, base + "/v1/events", headers: json, body: Array("{}".utf8))),
                (403, try await Self.request(curl, base + "/v1/events", headers: json + [("Authorization", "Bearer nope")], body: Array("{}".utf8))),
                (415, try await Self.request(
                    curl, base + "/v1/events", headers: json + [("Authorization", "Bearer key1"), ("Content-Encoding", "lzma")],
                    body: Array("{}".utf8))),
                (404, try await Self.request(curl, base + "/nowhere", method: "GET", headers: [Self.origin])),
                (405, try await Self.request(curl, base + "/v1/events", method: "GET", headers: [Self.origin])),
            ]
            for (status, response) in cases {
                #expect(response.status == status, "\(response.bodyText)")
                #expect(response.header("Access-Control-Allow-Origin") == "*")
                #expect(response.bodyText.contains(#""detail""#))
            }
            let event = Array(#"{"message": "m"}"#.utf8)
            let limited = json + [("Authorization", "Bearer key3")]
            #expect(try await Self.request(curl, base + "/v1/events", headers: limited, body: event).status == 200)
            let refused = try await Self.request(curl, base + "/v1/events", headers: limited, body: event)
            #expect(refused.status == 429)
            #expect(refused.header("Retry-After") != nil)
            #expect(refused.header("Access-Control-Allow-Origin") == "*")
            let sentry = try await Self.request(
                curl, base + "/api/3/store/?sentry_key=key3", headers: json, body: Array(#"{"message": "m"}"#.utf8))
            #expect(sentry.status == 429)
            #expect(sentry.header("X-Sentry-Rate-Limits") != nil)
            #expect(sentry.header("Access-Control-Allow-Origin") == "*")
        }
    }

    @Test func aSigningProjectTakesNothingUnsignedOnTheSentryRoutes() async throws {
        try await LiveServerTests.withServer(try Self.config()) { firebell, base, _ in
            let curl = firebell.curl
            let store = Array(#"{"message": "unsigned store"}"#.utf8)
            let auth = ("X-Sentry-Auth", "Sentry sentry_key=key2, sentry_version=7")
            let unsignedStore = try await Self.request(curl, base + "/api/2/store/", headers: [auth], body: store)
            #expect(unsignedStore.status == 401)
            #expect(unsignedStore.header("X-Sentry-Error")?.contains("signed") == true)
            let envelope = Array("{}\n{\"type\":\"event\"}\n{\"message\":\"unsigned envelope\"}\n".utf8)
            #expect(try await Self.request(curl, base + "/api/2/envelope/", headers: [auth], body: envelope).status == 401)
            let badlySigned = Self.signedHeaders(id: "msg_1", body: Array("other".utf8))
            #expect(try await Self.request(curl, base + "/api/2/store/", headers: [auth] + badlySigned, body: store).status == 401)

            #expect(try await Self.request(
                curl, base + "/api/2/store/", headers: [auth] + Self.signedHeaders(id: "msg_2", body: store), body: store).status == 200)
            #expect(try await Self.request(
                curl, base + "/api/2/envelope/", headers: [auth] + Self.signedHeaders(id: "msg_3", body: envelope), body: envelope
            ).status == 200)
            let stored = try await firebell.store.issues(IssueQuery(limit: 10))
            #expect(stored.count == 2)
        }
    }

    @Test func aReplayedWebhookIDIsRefusedAndStoresNothingAgain() async throws {
        try await LiveServerTests.withServer(try Self.config()) { firebell, base, _ in
            let curl = firebell.curl
            let body = Array(#"{"message": "signed once"}"#.utf8)
            let headers = [("Authorization", "Bearer key2")] + Self.signedHeaders(id: "msg_replay", body: body)
            #expect(try await Self.request(curl, base + "/v1/events", headers: headers, body: body).status == 200)
            let replay = try await Self.request(curl, base + "/v1/events", headers: headers, body: body)
            #expect(replay.status == 409)
            #expect(replay.bodyText.contains("msg_replay"))
            // The same id on a Sentry route of the same project is the same message.
            let store = [("X-Sentry-Auth", "Sentry sentry_key=key2")] + Self.signedHeaders(id: "msg_replay", body: body)
            #expect(try await Self.request(curl, base + "/api/2/store/", headers: store, body: body).status == 409)
            let events = try await firebell.store.issues(IssueQuery(limit: 10)).map(\.count).reduce(0, +)
            #expect(events == 1)
        }
    }

    @Test func aRefusedSignedRequestDoesNotBurnItsWebhookID() async throws {
        try await LiveServerTests.withServer(try Self.config()) { firebell, base, _ in
            let curl = firebell.curl
            let bad = Array(#"{"level": "error"}"#.utf8)
            let headers = [("Authorization", "Bearer key2")] + Self.signedHeaders(id: "msg_retry", body: bad)
            let first = try await Self.request(curl, base + "/v1/events", headers: headers, body: bad)
            let resend = try await Self.request(curl, base + "/v1/events", headers: headers, body: bad)
            #expect(first.status == 400)
            #expect(resend.status == 400, "a refused request's webhook-id must stay usable: \(resend.bodyText)")
        }
    }

    @Test func unknownProjectAndWrongKeyGetTheSameAnswer() async throws {
        try await LiveServerTests.withServer(try Self.config()) { firebell, base, _ in
            let curl = firebell.curl
            let body = Array(#"{"message": "m"}"#.utf8)
            for route in ["store", "envelope"] {
                let unknown = try await Self.request(curl, base + "/api/99/\(route)/?sentry_key=nope", body: body)
                let wrongKey = try await Self.request(curl, base + "/api/1/\(route)/?sentry_key=nope", body: body)
                let otherProjectsKey = try await Self.request(curl, base + "/api/99/\(route)/?sentry_key=key1", body: body)
                #expect(unknown.status == 403)
                #expect(wrongKey.status == 403)
                #expect(otherProjectsKey.status == 403)
                // The body names the id from the path, which the client sent: nothing learned.
                #expect(unknown.bodyText == otherProjectsKey.bodyText)
                #expect(unknown.bodyText.replacingOccurrences(of: "99", with: "1") == wrongKey.bodyText)
                let unknownNoKey = try await Self.request(curl, base + "/api/99/\(route)/", body: body)
                let knownNoKey = try await Self.request(curl, base + "/api/1/\(route)/", body: body)
                #expect(unknownNoKey.status == 401)
                #expect(unknownNoKey.status == knownNoKey.status && unknownNoKey.bodyText == knownNoKey.bodyText)
            }
        }
    }

    @Test func theKeyIsCheckedBeforeTheBodyIsDecompressed() async throws {
        try await LiveServerTests.withServer(try Self.config()) { firebell, base, _ in
            let curl = firebell.curl
            let garbage: [UInt8] = Array(repeating: 0x41, count: 64)
            for encoding in ["gzip", "lzma"] {
                let sentry = try await Self.request(
                    curl, base + "/api/1/envelope/?sentry_key=nope", headers: [("Content-Encoding", encoding)], body: garbage)
                #expect(sentry.status == 403, "\(encoding): \(sentry.bodyText)")
                let generic = try await Self.request(
                    curl, base + "/v1/events", headers: [("Content-Encoding", encoding), ("Authorization", "Bearer nope")], body: garbage)
                #expect(generic.status == 403, "\(encoding): \(generic.bodyText)")
            }
        }
    }

    @Test func tooManyItemsInOneRequestIs413WithTheLimit() async throws {
        try await LiveServerTests.withServer(try Self.config()) { firebell, base, _ in
            let curl = firebell.curl
            let count = IngestStage.maxItemsPerRequest + 1
            let ndjson = Array(String(repeating: "{\"message\":\"x\"}\n", count: count).utf8)
            let generic = try await Self.request(
                curl, base + "/v1/events", headers: [("Authorization", "Bearer key1")], body: ndjson)
            #expect(generic.status == 413)
            #expect(generic.bodyText.contains("25000"))
            var envelope = "{}\n"
            for _ in 0..<count { envelope += "{\"type\":\"client_report\"}\n{}\n" }
            let sentry = try await Self.request(
                curl, base + "/api/1/envelope/?sentry_key=key1", body: Array(envelope.utf8))
            #expect(sentry.status == 413)
            #expect(sentry.header("X-Sentry-Error")?.contains("25000") == true)
            // At the limit, the request is taken.
            let most = Array(String(repeating: "{\"message\":\"x\"}\n", count: IngestStage.maxItemsPerRequest).utf8)
            let taken = try await curl.perform(HTTPRequest(
                method: "POST", url: base + "/v1/events", headers: [(name: "Authorization", value: "Bearer key1")], body: most,
                timeout: 120))
            #expect(taken.status == 200)
        }
    }

    @Test func oddEnvelopeItemTypesDoNotBecomeMetricLabels() async throws {
        try await LiveServerTests.withServer(try Self.config()) { firebell, base, _ in
            let curl = firebell.curl
            for n in 0..<10 {
                let envelope = "{}\n{\"type\":\"odd-\(n)-\(String(repeating: "x", count: 100))\"}\n{}\n{\"type\":\"session\"}\n{}\n"
                #expect(try await Self.request(curl, base + "/api/1/envelope/?sentry_key=key1", body: Array(envelope.utf8)).status == 200)
            }
            let metrics = try await Self.request(curl, base + "/metrics", method: "GET").bodyText
            #expect(!metrics.contains("odd-"))
            #expect(metrics.contains(#"firebell_items_dropped_total{project="1",type="other"} 10"#))
            #expect(metrics.contains(#"firebell_items_dropped_total{project="1",type="session"} 10"#))
        }
    }
}
