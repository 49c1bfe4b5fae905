import Foundation
import Testing

@testable import FirebellCore

/// The fast path of `GenericEventDecoder` (`JSONReader`) against its Codable path
/// (`JSONDecoder`): on every fixture and thousands of variations of them, the fast path
/// reads the very events the Codable path decodes, or gives up; and the public decoder
/// answers exactly what the Codable path alone answered, events or error message.
struct GenericEventFastPathTests {
    static let receivedAt = Date(timeIntervalSince1970: 1_800_000_000)

    /// The events a body's payloads make, with ids numbered from 1 for each body.
    static func events(_ payloads: [GenericEventPayload]) -> Result<[Event], IngestError> {
        var n = 0
        return Result { () throws(IngestError) in
            try GenericEventDecoder.events(payloads, receivedAt: receivedAt, makeID: {
                n += 1
                return "generated-\(n)"
            })
        }
    }

    static func publicAnswer(_ body: [UInt8]) -> Result<[Event], IngestError> {
        var n = 0
        return Result { () throws(IngestError) in
            try GenericEventDecoder().decode(body, receivedAt: receivedAt, makeID: {
                n += 1
                return "generated-\(n)"
            })
        }
    }

    /// Whether the fast path read `body` (rather than give up) and whether the Codable path
    /// decodes its payloads, after checking the one against the other and the public
    /// decoder's answer against what the Codable path alone answered before.
    @discardableResult
    static func check(_ body: [UInt8], _ name: String) -> (read: Bool, decodable: Bool) {
        let payloads = Result { () throws(IngestError) in try GenericEventDecoder.decodePayloads(body) }
        let codable = payloads.flatMap(events)
        expectSame(publicAnswer(body), codable, name)
        let decodable = (try? payloads.get()) != nil
        guard let fast = GenericEventDecoder.readPayloads(body) else { return (false, decodable) }
        if !decodable {
            Issue.record("\(name): the fast path read a body the Codable path rejects")
        }
        expectSame(events(fast), codable, name)
        return (true, decodable)
    }

    /// Events as reporters send them: DESIGN §3's example, `make bench`'s 1 KB event
    /// (bench/events.lua), samples/payment.json and the shapes the other tests use.
    static let fixtures: [String] = [
        #"""
        {"event_id": "abc", "timestamp": "2026-11-30T05:00:00Z", "level": "error",
         "message": "Payment failed for order 1231", "environment": "production",
         "service": "checkout", "release": "1.4.2", "platform": "python",
         "exception": {"type": "PaymentError", "value": "card declined",
           "stacktrace": [{"module": "shop.pay", "function": "charge", "filename": "shop/pay.py",
                           "lineno": 88, "in_app": true}]},
         "fingerprint": ["{{ default }}", "eu"], "tags": {"region": "eu", "attempt": 3},
         "user": {"id": 42}, "url": "https://shop.example/checkout"}
        """#,
        benchEvent,
        #"""
        {"message": "Payment failed for order 1231", "environment": "production", "level": "error",
         "release": "1.4.2",
         "exception": {"type": "PaymentError", "value": "card declined",
           "stacktrace": [{"module": "shop.pay", "function": "charge", "filename": "shop/pay.py", "lineno": 88, "in_app": true}]}}
        """#,
        #"{"exception": {"type": "E", "stacktrace": {"frames": [{"function": "f", "in_app": true}]}}, "timestamp": 1800000001.5, "user": {"id": "7", "email": "a@b.c", "username": "ada", "ip_address": "203.0.113.7"}}"#,
        #"{"message": "Zahlung fehlgeschlagen <script>x</script>\r\nBcc: evil@example.com", "level": "warn", "timestamp": 1796014800}"#,
    ]

    /// One event as bench/events.lua sends it.
    static let benchEvent = #"{"event_id":"0000000100000000000000000001","level":"error","environment":"production","service":"checkout","release":"shop@1.4.2","platform":"python","message":"worker abcd failed for order 100007 after 11ms","exception":{"type":"WorkerError","value":"worker abcd failed for order 100007 after 11ms","stacktrace":[{"module":"gunicorn.workers.sync","function":"handle_request","filename":"gunicorn/workers/sync.py","lineno":136,"in_app":false},{"module":"django.core.handlers.base","function":"_get_response","filename":"django/core/handlers/base.py","lineno":197,"in_app":false},{"module":"django.views.generic.base","function":"dispatch","filename":"django/views/generic/base.py","lineno":143,"in_app":false},{"module":"celery.app.task","function":"apply_async","filename":"celery/app/task.py","lineno":594,"in_app":false},{"module":"kombu.connection","function":"ensure_connection","filename":"kombu/connection.py","lineno":381,"in_app":false}]},"tags":{"region":"eu-west-1","host":"web-1","queue":"payments"},"user":{"id":"1"},"url":"https://shop.example/orders/100007"}"#

    @Test func everyFixtureTakesTheFastPath() {
        for (index, fixture) in Self.fixtures.enumerated() {
            #expect(Self.check(Array(fixture.utf8), "fixture \(index)").read, "fixture \(index) fell back to JSONDecoder")
        }
    }

    @Test func arraysAndNDJSONTakeTheFastPath() {
        let one = Self.fixtures[3]
        let two = Self.benchEvent
        for body in ["[\(one), \(two)]", "[]", " [ \(two) ] ", "\(one)\n\(two)", "\(two)\r\n\n\(one)\n", "\(two)\n\(two)\n\(two)"] {
            #expect(Self.check(Array(body.utf8), body).read, "\(body) fell back to JSONDecoder")
        }
    }

    /// Bodies the fast path must leave alone: not one JSON value, not NDJSON either, or
    /// JSON only JSONDecoder's lax scanner takes. The Codable path still decides them.
    @Test func oddBodiesFallBack() {
        for body in [
            "", " ", "42", "\"x\"", "null", "[1]", "[null]", "{}x", #"{"message": "a"}{"message": "b"}"#,
            #"{"message": "a",}"#, #"[{"message": "a"},]"#, "{\"message\": \"a\"}\n{\"message\": }\n",
            "{\"message\": \"a\"}\n[1]", "{\"message\":\n\"a\"}\n{\"message\": \"b\"}", #"{"message": "a", "message": "b"}"#,
        ] {
            #expect(!Self.check(Array(body.utf8), body).read, "\(body.debugDescription) took the fast path")
        }
    }

    /// NDJSON's lines are numbered in error messages as `split` numbered them.
    @Test func linesAreNumberedAsSplitNumbersThem() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let body = (0..<Int.random(in: 0...12, using: &generator)).map { _ in
                Array("\n \r\tx{".utf8).randomElement(using: &generator)!
            }
            let expected = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
                .enumerated().filter { !$0.element.allSatisfy { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 } }
            let lines = GenericEventDecoder.nonBlankLines(body)
            #expect(lines.map(\.offset) == expected.map(\.offset), "\(body)")
            #expect(lines.map { Array($0.element) } == expected.map { Array($0.element) }, "\(body)")
        }
    }

    @Test(arguments: 0..<fixtures.count)
    func variationsReadTheSameOrFallBack(fixture: Int) throws {
        let base = try TestJSON(Array(Self.fixtures[fixture].utf8))
        var read = 0, decodable = 0
        let variations = JSONVariations.of(base)
        for (index, variation) in variations.enumerated() {
            let body = variation.json.bytes
            let outcome = Self.check(body, variation.name)
            if outcome.read { read += 1 }
            if outcome.decodable { decodable += 1 }
            // Some in batches too: an array, and NDJSON with blank and CRLF lines.
            if index.isMultiple(of: 5) {
                let other = base.bytes
                Self.check(Array("[".utf8) + other + Array(",".utf8) + body + Array("]".utf8), "[base, \(variation.name)]")
                Self.check(body + Array("\n\r\n".utf8) + other + Array("\r\n".utf8), "\(variation.name)\\nbase")
            }
        }
        // The fast path gives up on repeated keys, numbers the Codable path converts and
        // JSON only JSONDecoder takes; most other variations it must read.
        #expect(read * 3 > decodable * 2, "only \(read) of \(decodable) decodable variations took the fast path")
    }
}
