import Foundation
import Testing

@testable import FirebellCore

struct SentryEventDecoderTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func contents(_ body: String) throws(IngestError) -> SentryEnvelopeContents {
        let envelope = try SentryEnvelope.parse(Array(body.utf8))
        return try SentryEventDecoder().decode(envelope: envelope, receivedAt: now, makeID: { "generated" })
    }

    /// The one event of an SDK fixture.
    func event(_ body: String) throws -> Event {
        let events = try contents(body).events
        try #require(events.count == 1)
        return events[0]
    }

    func store(_ json: String) throws(IngestError) -> Event {
        try SentryEventDecoder().decode(storeBody: Array(json.utf8), receivedAt: now, makeID: { "generated" })
    }

    func failure(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "accepted"
        } catch let error as IngestError {
            return error.message
        } catch {
            return "not an IngestError: \(error)"
        }
    }

    func close(_ date: Date, _ seconds: TimeInterval) -> Bool {
        abs(date.timeIntervalSince1970 - seconds) < 0.000_5
    }

    // MARK: - SDK fixtures

    @Test func javascriptBrowser() throws {
        let event = try event(SentryFixtures.javascriptBrowser)
        #expect(event.eventID == "a1f4c0e2b9d84b7e9c3a5f6d7e8b9c0a")
        #expect(event.title == "TypeError: Cannot read properties of undefined (reading 'total')")
        #expect(event.exception?.type == "TypeError")
        #expect(event.inAppFrames.map(\.function) == ["HTMLButtonElement.n", "submitOrder"])
        #expect(event.inAppFrames.last?.filename == "https://shop.example/assets/index-4f2a.js")
        #expect(event.level == .error)
        #expect(event.platform == "javascript")
        #expect(event.release == "shop-web@2.3.0")
        #expect(event.environment == "production")
        #expect(event.user == User(id: "u-981"))  // "{{auto}}" is not an address
        #expect(event.url == "https://shop.example/checkout?step=pay")
        #expect(event.tags == ["locale": "de-DE", "mechanism": "onerror", "handled": "no"])
        #expect(close(event.timestamp, 1_796_014_801.204))
        #expect(event.message == nil)
    }

    @Test func javascriptNodeChainsTheCauseBeforeTheError() throws {
        let event = try event(SentryFixtures.javascriptNode)
        #expect(event.eventID == "b2e5d1f3c0a94c8f8d4b6a7e9f0c1d2e")
        #expect(event.title == "PaymentError: could not charge order 1231")
        #expect(event.exception?.stacktrace.map(\.function) == [
            "TCPConnectWrap.afterConnect [as oncomplete]", "?",
            "process.processTicksAndRejections", "handler", "chargeOrder",
        ])
        #expect(event.inAppFrames.map(\.module) == ["routes:checkout", "payments"])
        #expect(event.inAppFrames.map(\.lineno) == [31, 88])
        #expect(event.platform == "node")
        #expect(event.serverName == "api-7d9f")
        #expect(event.release == "shop-api@1.4.2")
        #expect(event.user == User(id: "42", email: "ada@example.com"))
        #expect(event.url == "https://api.shop.example/checkout")
        #expect(event.tags == [
            "route": "/checkout", "mechanism": "chained", "handled": "yes",
            "runtime": "node v22.11.0", "runtime.name": "node", "os": "Linux 6.1.0", "os.name": "Linux",
        ])
        #expect(close(event.timestamp, 1_796_014_802.557))
    }

    @Test func javaLogbackGroupsOnTheMessageTemplate() throws {
        let event = try event(SentryFixtures.java)
        #expect(event.eventID == "c3f6e2a4d1b04d9e9e5c7b8f0a1d2e3f")
        #expect(event.title == "PaymentException: Gateway did not answer for order 1231")
        #expect(event.message == "Payment failed for order {}")
        #expect(event.logger == "com.shop.payments.PaymentService")
        #expect(event.inAppFrames.map(\.display) == [
            "com.shop.web.PaymentController in checkout (PaymentController.java:42)",
            "com.shop.payments.PaymentService in charge (PaymentService.java:88)",
        ])
        #expect(event.exception?.stacktrace.count == 5)
        #expect(event.level == .error)
        #expect(event.platform == "java")
        #expect(event.environment == "production")
        #expect(event.user == User(id: "42", ipAddress: "203.0.113.7"))
        #expect(event.tags["region"] == "eu")
        #expect(event.tags["thread.name"] == "http-nio-8080-exec-3")
        #expect(event.tags["mechanism"] == "LogbackSentryAppender")
        #expect(event.tags["runtime"] == "Eclipse Adoptium 21.0.5")
        #expect(event.url == "https://api.shop.example/checkout")
        #expect(close(event.timestamp, 1_796_014_803.101))
    }

    @Test func goSendsExceptionsAsABareList() throws {
        let event = try event(SentryFixtures.go)
        #expect(event.eventID == "d4a7f3b5e2c14e0fa0f6d8c9b1e2f3a4")
        #expect(event.title == "*fmt.wrapError: charge order 1231: connection refused")
        #expect(event.inAppFrames.map(\.function) == ["main", "chargeOrder"])
        #expect(event.inAppFrames.map(\.filename) == ["main.go", "charge.go"])
        #expect(event.inAppFrames.last?.module == "github.com/shop/orders/payments")
        #expect(event.platform == "go")
        #expect(event.release == "orders@3.1.0")
        #expect(event.serverName == "orders-5b8c")
        #expect(event.user == nil)  // Go sends "user": {}
        #expect(event.tags == [
            "region": "eu", "mechanism": "chained",
            "runtime": "go go1.23.4", "runtime.name": "go", "os": "linux", "os.name": "linux",
        ])
        #expect(close(event.timestamp, 1_796_014_804.449_213_658))
    }

    @Test func dotnetEnhancedFramesHaveNoModule() throws {
        let event = try event(SentryFixtures.dotnet)
        #expect(event.eventID == "e5b8a4c6f3d24f1ab1a7e9d0c2f3a4b5")
        #expect(event.title == "Shop.Payments.PaymentException: Could not charge order 1231")
        #expect(event.exception?.stacktrace.count == 3)
        #expect(event.exception?.stacktrace.first?.filename == nil)
        #expect(event.inAppFrames.map(\.filename) == ["Controllers/CheckoutController.cs", "PaymentGateway.cs"])
        #expect(event.inAppFrames.map(\.module) == [nil, nil])
        #expect(event.inAppFrames.last?.function == "async Task PaymentGateway.ChargeAsync(int orderId)")
        #expect(event.platform == "csharp")
        #expect(event.release == "Shop.Api@1.4.2+9c1e2f3")
        #expect(event.user == User(id: "42", username: "ada", ipAddress: "203.0.113.7"))
        #expect(event.tags == [
            "route.controller": "Checkout", "route.action": "Post", "mechanism": "chained", "handled": "no",
            "runtime": ".NET 8.0.11", "runtime.name": ".NET",
        ])
        #expect(event.url == "https://api.shop.example/checkout")
        #expect(close(event.timestamp, 1_796_014_805.092_113_4))
    }

    @Test func rubyEmptyFieldsCountAsAbsent() throws {
        let event = try event(SentryFixtures.ruby)
        #expect(event.eventID == "f6c9b5d7a4e34a2bc2b8f0e1d3a4b5c6")
        #expect(event.title == "ZeroDivisionError: divided by 0")
        #expect(event.message == nil)  // "message": ""
        #expect(event.fingerprint == nil)  // "fingerprint": []
        #expect(event.user == nil)  // "user": {}
        #expect(event.inAppFrames.map(\.function) == ["create", "/"])
        #expect(event.inAppFrames.map(\.filename) == ["app/controllers/orders_controller.rb", "app/models/order.rb"])
        #expect(event.release == "7b3e9d1")
        #expect(event.serverName == "web-2")
        #expect(event.tags["mechanism"] == "rails")
        #expect(event.tags["handled"] == "no")
        #expect(event.tags["os.name"] == "Linux")
        #expect(event.url == "https://shop.example/orders")
        #expect(event.timestamp == Date(timeIntervalSince1970: 1_796_014_806))
    }

    @Test func phpTakesTheEventIDFromTheEnvelopeHeader() throws {
        let event = try event(SentryFixtures.php)
        #expect(event.eventID == "0a1d2c3e4f5a4b6c8d7e9f0a1b2c3d4e")  // the payload has none
        #expect(event.title == #"App\Payments\PaymentFailed: Could not charge order 1231"#)
        #expect(event.inAppFrames.map(\.function) == [
            nil, #"App\Http\Controllers\CheckoutController::store"#, #"App\Payments\Gateway::charge"#,
        ])
        #expect(event.inAppFrames.map(\.filename) == [
            "/public/index.php", "/app/Http/Controllers/CheckoutController.php", "/app/Payments/Gateway.php",
        ])
        #expect(event.logger == "php")
        #expect(event.user == User(id: "42", email: "ada@example.com", ipAddress: "203.0.113.7"))
        #expect(event.tags == [
            "route": "checkout.store", "mechanism": "generic", "handled": "yes",
            "os": "Linux 6.1.0-28-cloud-amd64", "os.name": "Linux", "runtime": "php 8.3.14", "runtime.name": "php",
        ])
        #expect(close(event.timestamp, 1_796_014_807.458_1))
    }

    @Test func pythonChainedException() throws {
        let event = try event(SentryFixtures.python)
        #expect(event.eventID == "b89001876ef2463b81b764435c907eab")
        #expect(event.title == "ValueError: card declined for order 1231")
        // KeyError's frame first, then ValueError's: every in-app frame of the chain.
        #expect(event.inAppFrames.map(\.function) == ["charge", "<module>", "charge"])
        #expect(event.inAppFrames.map(\.lineno) == [21, 26, 23])
        #expect(event.inAppFrames.first?.module == "__main__")
        #expect(event.inAppFrames.first?.filename == "capture_python.py")
        #expect(event.release == "shop@1.4.2")
        #expect(event.environment == "production")
        #expect(event.serverName == "web-1")
        #expect(event.user == User(id: "42", email: "ada@example.com"))
        #expect(event.tags == [
            "region": "eu", "mechanism": "generic", "handled": "yes", "runtime": "CPython 3.11.7", "runtime.name": "CPython",
        ])
        #expect(close(event.timestamp, 1_796_022_275.047_617))
    }

    @Test func pythonLoggingGroupsOnTheTemplate() throws {
        let event = try event(SentryFixtures.pythonLogging)
        #expect(event.message == "user %s failed to pay")
        #expect(event.title == "user alice failed to pay")  // shown as formatted; grouped on the template
        #expect(event.formattedMessage == "user alice failed to pay")
        #expect(event.exception == nil)
        #expect(event.logger == "shop.pay")
        #expect(event.level == .error)
    }

    @Test func groupingSeesTheOutermostTypeAndEveryInAppFrameOfTheChain() throws {
        let fingerprint = Fingerprinter(rules: []).fingerprint(try event(SentryFixtures.python))
        #expect(fingerprint.source == "stacktrace")
        #expect(fingerprint.components == [
            "type:ValueError",
            "__main__|charge|capture_python.py", "__main__|<module>|capture_python.py", "__main__|charge|capture_python.py",
        ])
    }

    @Test func groupingOnTheTemplatePutsEveryUserInOneIssue() throws {
        let fingerprinter = Fingerprinter(rules: [])
        let alice = try store(#"{"logentry": {"message": "user %s failed to pay", "params": ["alice"], "formatted": "user alice failed to pay"}}"#)
        let bob = try store(#"{"logentry": {"message": "user %s failed to pay", "params": ["bob"], "formatted": "user bob failed to pay"}}"#)
        #expect(fingerprinter.fingerprint(alice) == fingerprinter.fingerprint(bob))
        #expect(fingerprinter.fingerprint(alice).source == "message")
    }

    /// A top-level stacktrace (`attach_stacktrace`) is not an exception: the grouping
    /// stays on the message.
    @Test func topLevelStacktraceEventsGroupOnTheirMessage() throws {
        let event = try store(#"{"message": "disk full", "stacktrace": {"frames": [{"function": "pay", "in_app": true}]}}"#)
        #expect(Fingerprinter(rules: []).fingerprint(event).source == "message")
    }

    // MARK: - Mapping rules

    @Test func theOutermostExceptionIsTheLastValue() throws {
        let event = try store(#"""
            {"exception": {"values": [
              {"type": "KeyError", "value": "'card'", "stacktrace": {"frames": [{"function": "lookup", "in_app": true}]}},
              null,
              {"type": "ValueError", "value": "card declined", "stacktrace": {"frames": [
                {"function": "main", "in_app": true}, {"function": "wrapper", "in_app": false}, {"function": "charge", "in_app": true}]}}
            ]}}
            """#)
        #expect(event.exception?.type == "ValueError")
        #expect(event.exception?.value == "card declined")
        #expect(event.exception?.stacktrace.map(\.function) == ["lookup", "main", "wrapper", "charge"])
        #expect(event.inAppFrames.map(\.function) == ["lookup", "main", "charge"])
        #expect(event.title == "ValueError: card declined")
    }

    @Test func exceptionsMayBeABareListAndStacktracesABareFrameList() throws {
        let event = try store(#"{"exception": [{"type": "E", "value": "v", "stacktrace": [{"function": "f", "in_app": true}]}]}"#)
        #expect(event.title == "E: v")
        #expect(event.inAppFrames.map(\.function) == ["f"])
    }

    @Test func absPathStandsInForAMissingFilename() throws {
        let event = try store(#"{"exception": {"values": [{"type": "E", "stacktrace": {"frames": [{"abs_path": "/src/a.go", "lineno": 3, "in_app": true}, {"filename": "b.go", "abs_path": "/src/b.go"}]}}]}}"#)
        #expect(event.exception?.stacktrace.map(\.filename) == ["/src/a.go", "b.go"])
    }

    @Test func exceptionValuesWithNothingInThemAreDropped() throws {
        let event = try store(#"{"message": "m", "exception": {"values": [{"mechanism": {"type": "generic"}}]}}"#)
        #expect(event.exception == nil)
        #expect(event.message == "m")
        #expect(event.tags["mechanism"] == "generic")
    }

    @Test func logentryTemplateGroupsAcrossParameters() throws {
        let alice = try store(#"{"logentry": {"message": "user %s failed", "params": ["alice"], "formatted": "user alice failed"}}"#)
        let bob = try store(#"{"logentry": {"message": "user %s failed", "params": ["bob"]}}"#)
        #expect(alice.message == "user %s failed")
        #expect(bob.message == alice.message)
        let named = try store(#"{"logentry": {"message": "user %(name)s failed", "params": {"name": "alice"}}}"#)
        #expect(named.message == "user %(name)s failed")
        // Without parameters the text as shown is the message.
        #expect(try store(#"{"logentry": {"message": "raw", "formatted": "shown"}}"#).message == "shown")
        #expect(try store(#"{"logentry": {"message": "only the template"}}"#).message == "only the template")
        #expect(try store(#"{"logentry": {"formatted": "done", "params": []}}"#).message == "done")
    }

    @Test func messageMayBeAStringOrTheLegacyObject() throws {
        #expect(try store(#"{"message": "plain"}"#).message == "plain")
        #expect(try store(#"{"message": {"message": "order {} failed", "params": [7], "formatted": "order 7 failed"}}"#).message == "order {} failed")
        #expect(try store(#"{"message": {"formatted": "only formatted"}}"#).message == "only formatted")
        // `logentry` is the current name and wins over the legacy one.
        #expect(try store(#"{"message": "legacy", "logentry": {"formatted": "current"}}"#).message == "current")
        #expect(try store(#"{"message": "legacy", "logentry": {}}"#).message == "legacy")
    }

    @Test func eventsWithNeitherMessageNorExceptionAreUnlabeled() throws {
        let event = try store(#"{"level": "info"}"#)
        #expect(event.message == "<unlabeled event>")
        #expect(event.title == "<unlabeled event>")
        #expect(event.eventID == "generated")
        #expect(event.timestamp == now)
        #expect(event.level == .info)
    }

    /// A top-level stacktrace (`attach_stacktrace`) is not an exception: the event groups on
    /// its message, titles as its message and answers no `exception.type` rule.
    @Test func topLevelStacktraceDoesNotMakeAnException() throws {
        let event = try store(#"{"message": "user 42 failed", "stacktrace": {"frames": [{"function": "pay", "in_app": true}]}}"#)
        #expect(event.exception == nil)
        #expect(event.inAppFrames.isEmpty)
        #expect(event.title == "user 42 failed")
    }

    @Test func tagsMayBePairsAndValuesAreStringified() throws {
        let event = try store(#"{"message": "m", "tags": [["region", "eu"], ["attempt", 3], ["ratio", 0.5], ["beta", true], ["broken"], ["region", "us"], null]}"#)
        #expect(event.tags == ["region": "us", "attempt": "3", "ratio": "0.5", "beta": "true"])
        let object = try store(#"{"message": "m", "tags": {"a": 1, "b": null, "c": {"nested": true}, "d": "x"}}"#)
        #expect(object.tags == ["a": "1", "d": "x"])
    }

    @Test func derivedTagsNeverOverrideTheSDKs() throws {
        let event = try store(#"""
            {"message": "m", "tags": {"handled": "maybe", "runtime": "mine"},
             "exception": {"values": [{"type": "E", "mechanism": {"type": "generic", "handled": false}}]},
             "contexts": {"runtime": {"name": "CPython", "version": "3.12.1"}, "browser": {"name": "Chrome"}}}
            """#)
        #expect(event.tags == [
            "handled": "maybe", "runtime": "mine", "mechanism": "generic",
            "runtime.name": "CPython", "browser": "Chrome", "browser.name": "Chrome",
        ])
    }

    @Test func eventIDsAreNormalizedAndTheEnvelopeHeaderWins() throws {
        #expect(try store(#"{"event_id": "9EC79C33-EC99-42AB-8353-589FCB2E04DC", "message": "m"}"#).eventID == "9ec79c33ec9942ab8353589fcb2e04dc")
        #expect(try store(#"{"event_id": "not an id", "message": "m"}"#).eventID == "generated")
        #expect(try store(#"{"event_id": 12, "message": "m"}"#).eventID == "generated")
        let body = #"{"event_id":"11111111111111111111111111111111"}"# + "\n" + #"{"type":"event"}"# + "\n"
            + #"{"event_id":"22222222222222222222222222222222","message":"m"}"#
        #expect(try contents(body).events.map(\.eventID) == ["11111111111111111111111111111111"])
        let noHeaderID = "{}\n" + #"{"type":"event"}"# + "\n" + #"{"event_id":"22222222-2222-2222-2222-222222222222","message":"m"}"#
        #expect(try contents(noHeaderID).events.map(\.eventID) == ["22222222222222222222222222222222"])
        #expect(try contents("{}\n" + #"{"type":"event"}"# + "\n" + #"{"message":"m"}"#).events.map(\.eventID) == ["generated"])
    }

    @Test func timestampsAreNumbersOrRFC3339WithOrWithoutZone() throws {
        #expect(try store(#"{"message": "m", "timestamp": 1796014800.5}"#).timestamp == Date(timeIntervalSince1970: 1_796_014_800.5))
        #expect(try store(#"{"message": "m", "timestamp": 1796014800}"#).timestamp == Date(timeIntervalSince1970: 1_796_014_800))
        #expect(try store(#"{"message": "m", "timestamp": "2026-11-30T05:00:00Z"}"#).timestamp == Date(timeIntervalSince1970: 1_796_014_800))
        #expect(try store(#"{"message": "m", "timestamp": "2026-11-30T05:00:00.250+01:00"}"#).timestamp == Date(timeIntervalSince1970: 1_796_011_200.25))
        #expect(try store(#"{"message": "m", "timestamp": "2026-11-30T05:00:00.123456"}"#).timestamp.timeIntervalSince1970 - 1_796_014_800.123456 < 0.000_01)
        // Unreadable or missing: when it arrived, as Relay does.
        #expect(try store(#"{"message": "m", "timestamp": "soon"}"#).timestamp == now)
        #expect(try store(#"{"message": "m"}"#).timestamp == now)
    }

    @Test func levelsAreLenientLikeRelays() throws {
        #expect(try store(#"{"message": "m", "level": "warning"}"#).level == .warning)
        #expect(try store(#"{"message": "m", "level": "critical"}"#).level == .fatal)
        #expect(try store(#"{"message": "m", "level": 30}"#).level == .warning)  // Python's logging.WARNING
        #expect(try store(#"{"message": "m", "level": "loud"}"#).level == .error)
        #expect(try store(#"{"message": "m"}"#).level == .error)
    }

    @Test func wrongTypesDropTheFieldNotTheEvent() throws {
        let event = try store(#"""
            {"message": "m", "release": 2, "environment": ["prod"], "user": "ada", "request": {"url": 5},
             "fingerprint": ["{{ default }}", 7, null], "server_name": null, "dist": "12",
             "exception": {"values": [{"type": "E", "value": {"code": 1}, "stacktrace": {"frames": [{"lineno": "12", "in_app": "yes", "function": "f"}]}}]}}
            """#)
        #expect(event.release == "2")
        #expect(event.environment == nil)
        #expect(event.user == nil)
        #expect(event.url == "5")
        #expect(event.fingerprint == ["{{ default }}", "7"])
        #expect(event.serverName == nil)
        #expect(event.dist == "12")
        #expect(event.exception?.value == nil)
        #expect(event.exception?.stacktrace == [Frame(function: "f")])
    }

    // MARK: - Envelopes and store bodies

    @Test func otherItemTypesAreCountedNotDecoded() throws {
        let body = "{}\n" + #"{"type":"session"}"# + "\n" + #"{"sid":"x"}"# + "\n"
            + #"{"type":"event"}"# + "\n" + #"{"message":"m"}"# + "\n"
            + #"{"type":"attachment","length":3,"filename":"a.txt"}"# + "\nabc\n"
            + #"{"type":"client_report"}"# + "\n{}\n"
            + #"{"type":"something_new"}"# + "\nnot json\n"
            + #"{"type":"attachment","length":0}"# + "\n"
        let contents = try contents(body)
        #expect(contents.events.map(\.message) == ["m"])
        #expect(contents.droppedItemTypes == ["session", "attachment", "client_report", "something_new", "attachment"])
    }

    @Test func emptyEnvelopeHasNothingToDecode() throws {
        let contents = try contents(#"{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}"#)
        #expect(contents.events.isEmpty)
        #expect(contents.droppedItemTypes.isEmpty)
    }

    @Test func aSecondEventItemIsRejected() {
        let body = "{}\n" + #"{"type":"event"}"# + "\n" + #"{"message":"a"}"# + "\n" + #"{"type":"event"}"# + "\n" + #"{"message":"b"}"#
        #expect(failure { _ = try contents(body) } == "envelope item 2 (event): a second event item; an envelope carries at most one event")
    }

    @Test func badEventPayloadsSayWhichItem() {
        #expect(failure { _ = try contents(SentryFixtures.Malformed.badEventJSON) }.hasPrefix("envelope item 1 (event): invalid JSON: "))
        #expect(failure { _ = try contents("{}\n" + #"{"type":"event","length":0}"# + "\n") } == "envelope item 1 (event): empty payload; expected one JSON event")
        #expect(failure { _ = try contents("{}\n" + #"{"type":"event"}"# + "\n[]") } == "envelope item 1 (event): invalid JSON: expected an object, got '['")
    }

    @Test func storeBodiesAreOneJSONEvent() throws {
        let event = try store(#"""
            {"event_id": "fc6d8c0c43fc4630ad850ee518f1b9d0", "timestamp": "2026-11-30T05:00:00", "platform": "python",
             "level": "error", "logger": "shop", "culprit": "shop.pay in charge",
             "exception": {"values": [{"type": "PaymentError", "value": "declined",
               "stacktrace": {"frames": [{"module": "shop.pay", "function": "charge", "filename": "shop/pay.py", "lineno": 88, "in_app": true}]}}]},
             "tags": {"region": "eu"}, "user": {"id": "7"}, "request": {"url": "https://shop.example/pay"}}
            """#)
        #expect(event.eventID == "fc6d8c0c43fc4630ad850ee518f1b9d0")
        #expect(event.timestamp == Date(timeIntervalSince1970: 1_796_014_800))
        #expect(event.title == "PaymentError: declined")
        #expect(event.inAppFrames.map(\.display) == ["shop.pay in charge (shop/pay.py:88)"])
        #expect(event.url == "https://shop.example/pay")
        #expect(failure { _ = try store("") } == "event: empty payload; expected one JSON event")
        #expect(failure { _ = try store(#"{"message": "x""#) }.hasPrefix("event: invalid JSON: "))
    }
}
