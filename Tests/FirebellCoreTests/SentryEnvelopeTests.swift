import Foundation
import Testing

@testable import FirebellCore

/// The framing rules of develop.sentry.dev/sdk/envelopes/, mostly on the docs'
/// own examples and Relay's parser tests (relay-server/src/envelope/mod.rs).
struct SentryEnvelopeTests {
    func parse(_ text: String) throws(IngestError) -> SentryEnvelope {
        try SentryEnvelope.parse(Array(text.utf8))
    }

    func failure(_ text: String) -> String {
        failure(Array(text.utf8))
    }

    func failure(_ bytes: [UInt8]) -> String {
        do {
            _ = try SentryEnvelope.parse(bytes)
            return "accepted"
        } catch {
            return error.message
        }
    }

    @Test func docsEnvelopeWithTwoItemsKeepsTheAttachmentsWindowsNewline() throws {
        var body = Array(#"{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42"}"#.utf8)
        body += Array("\n".utf8)
        body += Array(#"{"type":"attachment","length":10,"content_type":"text/plain","filename":"hello.txt"}"#.utf8) + [0x0a]
        body += [0xef, 0xbb, 0xbf] + Array("Hello\r\n".utf8) + [0x0a]
        body += Array(#"{"type":"event","length":41,"content_type":"application/json","filename":"application.log"}"#.utf8) + [0x0a]
        body += Array(#"{"message":"hello world","level":"error"}"#.utf8) + [0x0a]

        let envelope = try SentryEnvelope.parse(body)
        #expect(envelope.header.eventID == "9ec79c33ec9942ab8353589fcb2e04dc")
        #expect(envelope.header.dsn == "https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42")
        #expect(envelope.items.map(\.type) == ["attachment", "event"])
        #expect(envelope.items[0].payload == [0xef, 0xbb, 0xbf] + Array("Hello\r\n".utf8))
        #expect(envelope.items[0].contentType == "text/plain")
        #expect(envelope.items[0].filename == "hello.txt")
        #expect(envelope.items[1].payload == Array(#"{"message":"hello world","level":"error"}"#.utf8))
        #expect(envelope.items[1].contentType == "application/json")
    }

    @Test func emptyEnvelopeIsValidWithOrWithoutTrailingNewline() throws {
        let header = #"{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","sent_at":"2026-11-30T05:00:00Z"}"#
        for body in [header, header + "\n"] {
            let envelope = try parse(body)
            #expect(envelope.items.isEmpty)
            #expect(envelope.header.sentAt == "2026-11-30T05:00:00Z")
        }
        #expect(try parse("{}").header == SentryEnvelope.Header())
    }

    @Test func implicitLengthRunsToTheNextNewlineOrTheEnd() throws {
        let header = #"{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}"#
        let terminated = try parse(header + "\n" + #"{"type":"attachment"}"# + "\nhelloworld\n")
        #expect(terminated.items.map(\.payload) == [Array("helloworld".utf8)])
        let atEOF = try parse(header + "\n" + #"{"type":"attachment"}"# + "\nhelloworld")
        #expect(atEOF.items.map(\.payload) == [Array("helloworld".utf8)])
        // Relay's panic regression: a last item header with nothing after it is an empty item.
        let headerOnly = try parse(header + "\n" + #"{"type":"attachment"}"#)
        #expect(headerOnly.items.map(\.payload) == [[]])
        // The docs' sessions example: no envelope headers, implicit length, no last newline.
        let sessions = try parse("{}\n" + #"{"type":"session"}"# + "\n" + #"{"started": "2020-02-07T14:16:00Z","attrs":{"release":"sentry-test@1.0.0"}}"#)
        #expect(sessions.items.map(\.type) == ["session"])
        #expect(sessions.items[0].payload.count == 75)
    }

    @Test func zeroLengthItemsWithAndWithoutTheLastNewline() throws {
        let base = #"{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}"# + "\n" + #"{"type":"attachment","length":0}"# + "\n\n"
            + #"{"type":"attachment","length":0}"# + "\n"
        for body in [base + "\n", base] {
            let envelope = try parse(body)
            #expect(envelope.items.map(\.payload) == [[], []])
        }
    }

    @Test func carriageReturnBeforeNewlineBelongsToTheImplicitLengthPayload() throws {
        let envelope = try parse("{}\r\n" + #"{"type":"attachment"}"# + "\r\nhello\r\n" + #"{"type":"event"}"# + "\r\n" + #"{"message":"x"}"# + "\r\n")
        #expect(envelope.items.map(\.type) == ["attachment", "event"])
        #expect(envelope.items[0].payload == Array("hello\r".utf8))
        #expect(envelope.items[1].payload == Array("{\"message\":\"x\"}\r".utf8))
        // The event decodes anyway: `\r` is JSON whitespace.
        let contents = try SentryEventDecoder().decode(envelope: envelope, receivedAt: Date(timeIntervalSince1970: 0), makeID: { "id" })
        #expect(contents.events.map(\.message) == ["x"])
    }

    @Test func carriageReturnInsideALengthIsPayloadButAfterItIsAnError() throws {
        let inside = try parse("{}\n" + #"{"type":"attachment","length":7}"# + "\nhello\r\n\n")
        #expect(inside.items[0].payload == Array("hello\r\n".utf8))
        #expect(failure("{}\n" + #"{"type":"attachment","length":5}"# + "\nhello\r\n")
            == #"envelope item 1: the 5-byte payload is followed by '\r', not a newline (is length right?)"#)
    }

    @Test func unknownItemTypesAreKeptForTheDecoderToCount() throws {
        let envelope = try parse("{}\n" + #"{"type":"invalid_unknown"}"# + "\nhelloworld\n" + #"{"type":"client_report"}"# + "\n{}\n")
        #expect(envelope.items.map(\.type) == ["invalid_unknown", "client_report"])
    }

    @Test func blankLinesWhereAnItemHeaderIsExpectedAreSkipped() throws {
        let envelope = try parse("{}\n\n" + #"{"type":"event","length":2}"# + "\n{}\n\n\n" + #"{"type":"session"}"# + "\n{}\n\n  \n")
        #expect(envelope.items.map(\.type) == ["event", "session"])
    }

    @Test func headerEventIDIsNormalizedOrRejected() throws {
        #expect(try parse(#"{"event_id":"9EC79C33-EC99-42AB-8353-589FCB2E04DC"}"#).header.eventID == "9ec79c33ec9942ab8353589fcb2e04dc")
        #expect(try parse(#"{"event_id":null}"#).header.eventID == nil)
        #expect(failure(#"{"event_id":"not-an-id"}"#) == "envelope header: event_id 'not-an-id' is not a UUID (32 hex digits, dashes allowed)")
        #expect(failure(#"{"event_id":42}"#).hasPrefix("envelope header is not valid: field 'event_id'"))
    }

    static let sdkFixtures: KeyValuePairs<String, String> = [
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

    @Test(arguments: sdkFixtures.map(\.key))
    func everySDKFixtureIsOneEventItem(fixture: String) throws {
        let body = try #require(Self.sdkFixtures.first { $0.key == fixture }?.value)
        let envelope = try parse(body)
        #expect(envelope.items.map(\.type) == ["event"])
        #expect(envelope.header.eventID?.count == 32)
        #expect(envelope.items[0].payload.first == UInt8(ascii: "{"))
        #expect(envelope.items[0].payload.last == UInt8(ascii: "}"))
    }

    @Test func sdkFixturesCoverItemsWithAndWithoutLength() throws {
        func declaresLength(_ body: String) -> Bool {
            body.split(separator: "\n")[1].contains("\"length\"")
        }
        #expect([SentryFixtures.java, SentryFixtures.go, SentryFixtures.dotnet, SentryFixtures.python].allSatisfy(declaresLength))
        #expect(![SentryFixtures.javascriptBrowser, SentryFixtures.javascriptNode, SentryFixtures.ruby, SentryFixtures.php].contains(where: declaresLength))
        #expect(SentryFixtures.python.hasSuffix("}\n") && SentryFixtures.go.hasSuffix("}\n"))
        #expect(SentryFixtures.javascriptBrowser.hasSuffix("}}") && SentryFixtures.ruby.hasSuffix("}}"))
        #expect(try parse(SentryFixtures.dotnet).header.sentAt == "2026-11-30T05:00:05.1154382+00:00")
        #expect(try parse(SentryFixtures.go).header.dsn == "http://6f2b1a0c9d8e4f7a8b3c2d1e0f9a8b7c@127.0.0.1:8470/1")
    }

    @Test func malformedEnvelopesSayWhatIsWrongAndWhere() {
        typealias M = SentryFixtures.Malformed
        #expect(failure(M.truncatedBody) == "envelope item 1: length 41 runs past the end of the body (28 bytes left)")
        #expect(failure(M.lengthTooShort)
            == "envelope item 1: the 20-byte payload is followed by 'r', not a newline (is length right?)")
        #expect(failure(M.lengthPastEnd) == "envelope item 2: length 500 runs past the end of the body (120 bytes left)")
        #expect(failure(M.badHeaderJSON).hasPrefix("envelope header is not valid JSON: "))
        #expect(failure(M.badItemHeader).hasPrefix("envelope item 2: header is not valid JSON: "))
        #expect(failure(M.itemHeaderWithoutType) == "envelope item 1: header is not valid: field 'type' is missing")
        #expect(failure("{}\n" + #"{"type":"attachment","length":-1}"# + "\n") == "envelope item 1: length -1 is negative")
        #expect(failure("{}\n" + #"{"type":"attachment","length":"10"}"# + "\n0123456789").hasPrefix("envelope item 1: header is not valid: field 'length'"))
        #expect(failure("{}\n[1]\n") == "envelope item 1: header is not valid JSON: expected an object, got '['")
        #expect(failure("").hasPrefix("empty envelope"))
        #expect(failure(" \n").hasPrefix("empty envelope"))
        #expect(failure(#"{"message":"a store body, not an envelope"}"# + "\n" + "{\n").hasPrefix("envelope item 1: header is not valid JSON"))
    }
}
