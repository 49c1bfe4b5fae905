import Foundation
import Testing

@testable import FirebellCore

/// The fast paths of the Sentry decoders (`JSONReader`) against their Codable paths
/// (`JSONDecoder`), on every SDK fixture and thousands of variations of each: event
/// payloads, envelope headers and item headers. The fast path reads exactly what the
/// Codable path decodes, or gives up; the public decoder answers what the Codable path
/// alone answered, event or error message. (`SentryEnvelope.parse` is the same framing
/// over header values shown equal here.)
struct SentryFastPathTests {
    static let receivedAt = Date(timeIntervalSince1970: 1_800_000_000)

    static func event(_ payload: SentryEventPayload) -> Event {
        SentryEventDecoder().event(from: payload, headerID: nil, receivedAt: receivedAt, makeID: { "generated" })
    }

    /// Whether the fast path read `payload` (rather than give up) and whether the Codable
    /// path decodes it, after checking the one against the other, and with `publicly`,
    /// the public decoder's answer too.
    @discardableResult
    static func checkPayload(_ payload: [UInt8], _ name: String, publicly: Bool = true) -> (read: Bool, decodable: Bool) {
        let codable = Result { () throws(IngestError) in
            [event(try SentryEventDecoder.decodePayload(payload, position: "event"))]
        }
        if publicly {
            let answer = Result { () throws(IngestError) in
                [try SentryEventDecoder().decode(storeBody: payload, receivedAt: receivedAt, makeID: { "generated" })]
            }
            expectSame(answer, codable, name)
        }
        let decodable = (try? codable.get()) != nil
        guard let fast = try? JSONReader.read(SentryEventPayload.self, from: payload[...]) else { return (false, decodable) }
        if !decodable {
            Issue.record("\(name): the fast path read a payload the Codable path rejects")
        }
        expectSame(.success([event(fast)]), codable, name)
        return (true, decodable)
    }

    @discardableResult
    static func checkHeader(_ line: [UInt8], _ name: String) -> Bool {
        guard let fast = try? JSONReader.read(HeaderWire.self, from: line[...]) else { return false }
        guard let codable = try? JSONDecoder().decode(HeaderWire.self, from: Data(line)) else {
            Issue.record("\(name): the fast path read a header the Codable path rejects")
            return true
        }
        #expect(Array(String(reflecting: fast).utf8) == Array(String(reflecting: codable).utf8), "\(name)")
        return true
    }

    @discardableResult
    static func checkItemHeader(_ line: [UInt8], _ name: String) -> Bool {
        guard let fast = try? JSONReader.read(ItemHeaderWire.self, from: line[...]) else { return false }
        guard let codable = try? JSONDecoder().decode(ItemHeaderWire.self, from: Data(line)) else {
            Issue.record("\(name): the fast path read an item header the Codable path rejects")
            return true
        }
        #expect(Array(String(reflecting: fast).utf8) == Array(String(reflecting: codable).utf8), "\(name)")
        return true
    }

    /// The SDK envelopes of `SentryFixtures`.
    static let envelopes: KeyValuePairs<String, String> = [
        "javascriptBrowser": SentryFixtures.javascriptBrowser,
        "javascriptNode": SentryFixtures.javascriptNode,
        "java": SentryFixtures.java,
        "go": SentryFixtures.go,
        "dotnet": SentryFixtures.dotnet,
        "ruby": SentryFixtures.ruby,
        "php": SentryFixtures.php,
        "python": SentryFixtures.python,
        "pythonLogging": SentryFixtures.pythonLogging,
    ]

    /// Store bodies in the shapes SentryEventDecoderTests uses beyond the SDK fixtures.
    static let storeBodies = [
        #"{"exception": {"values": [{"type": "KeyError", "value": "'card'", "stacktrace": {"frames": [{"function": "lookup", "in_app": true}]}}, null, {"type": "ValueError", "value": "card declined", "stacktrace": {"frames": [{"function": "main", "in_app": true}, {"function": "wrapper", "in_app": false}]}}]}}"#,
        #"{"exception": [{"type": "E", "value": "v", "stacktrace": [{"function": "f", "in_app": true, "abs_path": "/src/a.go", "lineno": 3}]}], "message": "m"}"#,
        #"{"logentry": {"message": "user %(name)s failed", "params": {"name": "alice"}}, "message": {"formatted": "legacy"}, "level": 30}"#,
        #"{"message": "m", "tags": [["region", "eu"], ["attempt", 3], ["beta", true], ["broken"], ["region", "us"], null], "fingerprint": ["{{ default }}", 7, null]}"#,
        #"{"message": "m", "tags": {"a": 1, "b": null, "c": {"nested": true}, "d": "x"}, "contexts": {"runtime": {"name": "CPython", "version": "3.12.1"}, "browser": {"name": "Chrome"}}}"#,
        #"{"event_id": "9EC79C33-EC99-42AB-8353-589FCB2E04DC", "timestamp": "2026-11-30T05:00:00.250+01:00", "platform": "python", "logger": "shop", "culprit": "shop.pay in charge", "user": {"id": "7"}, "request": {"url": "https://shop.example/pay"}}"#,
    ]

    static func parts(_ envelope: String) throws -> (header: [UInt8], itemHeader: [UInt8], payload: [UInt8]) {
        let lines = envelope.split(separator: "\n", omittingEmptySubsequences: false)
        let parsed = try SentryEnvelope.parse(Array(envelope.utf8))
        return (Array(lines[0].utf8), Array(lines[1].utf8), parsed.items[0].payload)
    }

    @Test(arguments: envelopes.map(\.key))
    func everySDKFixtureTakesTheFastPath(fixture: String) throws {
        let envelope = try #require(Self.envelopes.first { $0.key == fixture }?.value)
        let (header, itemHeader, payload) = try Self.parts(envelope)
        #expect(Self.checkPayload(payload, fixture).read, "the payload fell back to JSONDecoder")
        #expect(Self.checkHeader(header, fixture), "the header fell back to JSONDecoder")
        #expect(Self.checkItemHeader(itemHeader, fixture), "the item header fell back to JSONDecoder")
    }

    @Test func everyStoreBodyTakesTheFastPath() {
        for (index, body) in Self.storeBodies.enumerated() {
            #expect(Self.checkPayload(Array(body.utf8), "store body \(index)").read, "store body \(index) fell back to JSONDecoder")
        }
    }

    @Test(arguments: envelopes.map(\.key))
    func payloadVariationsReadTheSameOrFallBack(fixture: String) throws {
        let envelope = try #require(Self.envelopes.first { $0.key == fixture }?.value)
        let variations = JSONVariations.of(try TestJSON(try Self.parts(envelope).payload))
        var read = 0, decodable = 0
        for (index, variation) in variations.enumerated() {
            let payload = variation.json.bytes
            // The public decoder is the fast path or else the Codable path: asking it
            // about every fourth variation is plenty, and keeps the suite quick.
            let outcome = Self.checkPayload(payload, "\(fixture)\(variation.name)", publicly: index.isMultiple(of: 4))
            if outcome.read { read += 1 }
            if outcome.decodable { decodable += 1 }
        }
        // The fast path gives up on repeated keys, numbers the Codable path converts and
        // JSON only JSONDecoder takes; most other variations it must read.
        #expect(read * 3 > decodable * 2, "only \(read) of \(decodable) decodable variations took the fast path")
    }

    @Test func storeBodyVariationsReadTheSameOrFallBack() throws {
        for (index, body) in Self.storeBodies.enumerated() {
            for variation in JSONVariations.of(try TestJSON(Array(body.utf8))) {
                Self.checkPayload(variation.json.bytes, "store body \(index)\(variation.name)")
            }
        }
    }

    @Test func headerVariationsReadTheSameOrFallBack() throws {
        for (fixture, envelope) in Self.envelopes {
            let (header, itemHeader, _) = try Self.parts(envelope)
            for variation in JSONVariations.of(try TestJSON(header)) {
                Self.checkHeader(variation.json.bytes, "\(fixture) header\(variation.name)")
            }
            for variation in JSONVariations.of(try TestJSON(itemHeader)) {
                Self.checkItemHeader(variation.json.bytes, "\(fixture) item header\(variation.name)")
            }
        }
    }
}
