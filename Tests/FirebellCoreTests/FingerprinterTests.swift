import Foundation
import Testing

@testable import FirebellCore

struct FingerprinterTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func event(message: String? = nil, type: String? = nil, value: String? = nil, frames: [Frame] = [], fingerprint: [String]? = nil, tags: [String: String] = [:]) -> Event {
        Event(
            eventID: "e", timestamp: now, message: message,
            exception: type == nil && value == nil && frames.isEmpty ? nil : ExceptionInfo(type: type, value: value, stacktrace: frames),
            fingerprint: fingerprint, tags: tags)
    }

    let plain = Fingerprinter(rules: [])

    @Test func messagesDifferingOnlyInNumbersGroupTogether() {
        let a = plain.fingerprint(event(message: "Payment failed for order 1231"))
        let b = plain.fingerprint(event(message: "Payment failed for order 1232"))
        let c = plain.fingerprint(event(message: "Refund failed for order 1232"))
        #expect(a.hash == b.hash)
        #expect(a.hash != c.hash)
        #expect(a.source == "message")
        #expect(a.hash.count == 32)
    }

    @Test func inAppFramesGroupIgnoringLineNumbersAndValues() {
        let frames = { (line: Int) in [
            Frame(module: "shop.pay", function: "charge", filename: "shop/pay.py", lineno: line, inApp: true),
            Frame(module: "requests", function: "post", filename: "requests/api.py", lineno: 5, inApp: false),
        ] }
        let a = plain.fingerprint(event(type: "PaymentError", value: "declined 1", frames: frames(88)))
        let b = plain.fingerprint(event(type: "PaymentError", value: "totally different", frames: frames(99)))
        #expect(a.hash == b.hash)
        #expect(a.source == "stacktrace")
        #expect(a.components == ["type:PaymentError", "shop.pay|charge|shop/pay.py"])
        let otherType = plain.fingerprint(event(type: "TimeoutError", value: "declined 1", frames: frames(88)))
        #expect(otherType.hash != a.hash)
    }

    @Test func exceptionWithoutInAppFramesGroupsOnTypeAndParameterizedValue() {
        let a = plain.fingerprint(event(type: "KeyError", value: "user 42 missing"))
        let b = plain.fingerprint(event(type: "KeyError", value: "user 7 missing"))
        let c = plain.fingerprint(event(type: "ValueError", value: "user 7 missing"))
        #expect(a.hash == b.hash)
        #expect(a.hash != c.hash)
        #expect(a.source == "exception")
    }

    @Test func eventFingerprintWinsAndExpandsDefault() {
        let own = plain.fingerprint(event(message: "x 1", fingerprint: ["{{ default }}", "eu"]))
        let ownOther = plain.fingerprint(event(message: "x 2", fingerprint: ["{{ default }}", "us"]))
        #expect(own.components == ["message:x <int>", "eu"])
        #expect(own.hash != ownOther.hash)
        #expect(own.source == "event")
        let fixed = plain.fingerprint(event(message: "anything", fingerprint: ["db-down"]))
        let fixed2 = plain.fingerprint(event(message: "else", fingerprint: ["db-down"]))
        #expect(fixed.hash == fixed2.hash)
    }

    @Test func configGroupingRulesApplyFirstMatchWins() throws {
        let config = try ConfigLoader.parse(yaml: """
            grouping:
              - when: { exception.type: TimeoutError }
                fingerprint: ["timeout", "{{ tags.upstream }}"]
              - when: { exception.type: [TimeoutError, KeyError] }
                fingerprint: ["never for timeouts"]
            """, path: "g.yaml", environment: [:])
        let grouping = Fingerprinter(rules: config.grouping)
        let a = grouping.fingerprint(event(type: "TimeoutError", value: "after 30s", tags: ["upstream": "stripe"]))
        let b = grouping.fingerprint(event(type: "TimeoutError", value: "other", frames: [Frame(function: "f", inApp: true)], tags: ["upstream": "stripe"]))
        let c = grouping.fingerprint(event(type: "TimeoutError", value: "after 30s", tags: ["upstream": "paypal"]))
        #expect(a.components == ["timeout", "stripe"])
        #expect(a.source == "grouping[0]")
        #expect(a.hash == b.hash)
        #expect(a.hash != c.hash)
        #expect(grouping.fingerprint(event(type: "KeyError")).components == ["never for timeouts"])
    }

    @Test func hashSeparatesComponentBoundaries() {
        #expect(Fingerprinter.hash(["ab", "c"]) != Fingerprinter.hash(["a", "bc"]))
        #expect(Fingerprinter.hash(["a"]) == Fingerprinter.hash(["a"]))
    }
}
