import Foundation
import Testing

@testable import FirebellCore

struct GenericEventDecoderTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func decode(_ text: String) throws(IngestError) -> [Event] {
        var n = 0
        return try GenericEventDecoder().decode(Array(text.utf8), receivedAt: now, makeID: {
            n += 1
            return "generated-\(n)"
        })
    }

    @Test func decodesTheDesignExampleEvent() throws {
        let events = try decode("""
            {"event_id": "abc", "timestamp": "2026-11-30T05:00:00Z", "level": "error",
             "message": "Payment failed for order 1231", "environment": "production",
             "service": "checkout", "release": "1.4.2", "platform": "python",
             "exception": {"type": "PaymentError", "value": "card declined",
               "stacktrace": [{"module": "shop.pay", "function": "charge", "filename": "shop/pay.py",
                               "lineno": 88, "in_app": true}]},
             "fingerprint": ["{{ default }}", "eu"], "tags": {"region": "eu", "attempt": 3},
             "user": {"id": 42}, "url": "https://shop.example/checkout"}
            """)
        #expect(events.count == 1)
        let event = events[0]
        #expect(event.eventID == "abc")
        #expect(event.timestamp == Date(timeIntervalSince1970: 1_796_014_800))
        #expect(event.level == .error)
        #expect(event.service == "checkout")
        #expect(event.exception?.stacktrace.first?.inApp == true)
        #expect(event.exception?.stacktrace.first?.lineno == 88)
        #expect(event.tags == ["region": "eu", "attempt": "3"])
        #expect(event.user?.id == "42")
        #expect(event.fingerprint == ["{{ default }}", "eu"])
        #expect(event.title == "PaymentError: card declined")
    }

    @Test func arraysAndNDJSONGiveOneEventEach() throws {
        #expect(try decode(#"[{"message": "a"}, {"message": "b"}]"#).map(\.message) == ["a", "b"])
        let ndjson = try decode("{\"message\": \"a\"}\n\n{\"message\": \"b\"}\r\n{\"message\": \"c\"}\n")
        #expect(ndjson.map(\.message) == ["a", "b", "c"])
        #expect(ndjson.map(\.eventID) == ["generated-1", "generated-2", "generated-3"])
    }

    @Test func missingTimestampAndLevelTakeDefaults() throws {
        let event = try decode(#"{"message": "x"}"#)[0]
        #expect(event.timestamp == now)
        #expect(event.level == .error)
        #expect(try decode(#"{"message": "x", "timestamp": 1800000001.5}"#)[0].timestamp == Date(timeIntervalSince1970: 1_800_000_001.5))
        #expect(try decode(#"{"message": "x", "level": "warn"}"#)[0].level == .warning)
    }

    @Test func stacktraceMayBeAFramesObject() throws {
        let event = try decode(#"{"exception": {"type": "E", "stacktrace": {"frames": [{"function": "f", "in_app": true}]}}}"#)[0]
        #expect(event.inAppFrames.map(\.function) == ["f"])
    }

    @Test func rejectionsNameTheProblem() {
        func message(_ text: String) -> String {
            do {
                _ = try decode(text)
                return "accepted"
            } catch {
                return error.message
            }
        }
        #expect(message("") .contains("empty body"))
        #expect(message(#"{"message": "x","#).hasPrefix("invalid JSON"))
        #expect(message(#"{"level": "error"}"#) == "event: needs a 'message' or an 'exception'")
        #expect(message(#"[{"message": "a"}, {"message": ""}]"#) == "event 1: needs a 'message' or an 'exception'")
        #expect(message(#"{"message": "x", "level": "loud"}"#).contains("level 'loud' is not one of"))
        #expect(message(#"{"message": "x", "timestamp": "soon"}"#).contains("'soon' is not a timestamp"))
        #expect(message(#"{"message": 5}"#).contains("field 'message'"))
        #expect(message("{\"message\": \"a\"}\n{\"message\": }\n").contains("invalid NDJSON at line 2"))
        #expect(message("42").contains("expected an object"))
    }
}
