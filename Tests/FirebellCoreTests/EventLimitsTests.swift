import Foundation
import Testing

@testable import FirebellCore

/// Every decoder path bounds what it makes: a hostile client with a public key sends
/// megabytes of text, hundreds of tags and frames; the `Event` keeps at most
/// `EventLimits` of it, cut with the marker, never refused.
@Suite("Event limits")
struct EventLimitsTests {
    static let receivedAt = Date(timeIntervalSince1970: 1_800_000_000)
    static let marker = EventLimits.marker

    /// Every way a request body becomes an `Event`.
    enum Path: String, CaseIterable, CustomTestStringConvertible {
        case genericFast, genericBatchFast, genericCodable, sentryStoreFast, sentryStoreCodable, sentryEnvelope
        var testDescription: String { rawValue }
    }

    /// The members of one event object (JSON text, no braces) in each wire shape.
    struct Members {
        var generic: [String]
        var sentry: [String]
    }

    static func quoted(_ text: String) -> String {
        String(decoding: TestJSON.quoted(text), as: UTF8.self)
    }

    /// A number the fast paths leave to the Codable path (a timestamp with an exponent).
    static let codableOnly = #""timestamp": 1.8e9"#

    /// Decodes one event made of `members` along `path`, checking that the path is the one taken.
    static func decode(_ members: Members, along path: Path) throws -> Event {
        switch path {
        case .genericFast, .genericCodable, .genericBatchFast:
            var fields = members.generic
            if path == .genericCodable { fields.append(codableOnly) }
            var body = "{" + fields.joined(separator: ",") + "}"
            if path == .genericBatchFast { body = "[" + body + #", {"message": "second"}]"# }
            let bytes = Array(body.utf8)
            #expect((GenericEventDecoder.readPayloads(bytes) != nil) == (path != .genericCodable), "\(path)")
            let events = try GenericEventDecoder().decode(bytes, receivedAt: receivedAt, makeID: { "generated" })
            return events[0]
        case .sentryStoreFast, .sentryStoreCodable:
            var fields = members.sentry
            if path == .sentryStoreCodable { fields.append(codableOnly) }
            let bytes = Array(("{" + fields.joined(separator: ",") + "}").utf8)
            #expect(((try? JSONReader.read(SentryEventPayload.self, from: bytes[...])) != nil) == (path == .sentryStoreFast), "\(path)")
            return try SentryEventDecoder().decode(storeBody: bytes, receivedAt: receivedAt, makeID: { "generated" })
        case .sentryEnvelope:
            let payload = "{" + members.sentry.joined(separator: ",") + "}"
            let body = "{\"event_id\": \"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\": \"event\"}\n\(payload)\n"
            let envelope = try SentryEnvelope.parse(Array(body.utf8))
            let contents = try SentryEventDecoder().decode(envelope: envelope, receivedAt: receivedAt, makeID: { "generated" })
            return try #require(contents.events.first)
        }
    }

    static func message(_ text: String) -> Members {
        Members(generic: [#""message": "# + quoted(text)], sentry: [#""message": "# + quoted(text)])
    }

    /// Every text, with the limit it must keep, of `event` (title included).
    static func texts(_ event: Event) -> [(name: String, text: String, limit: TextLimit)] {
        var texts: [(String, String, TextLimit)] = [
            ("eventID", event.eventID, EventLimits.eventID), ("title", event.title, EventLimits.title),
        ]
        func add(_ name: String, _ text: String?, _ limit: TextLimit) {
            if let text { texts.append((name, text, limit)) }
        }
        add("message", event.message, EventLimits.message)
        add("formattedMessage", event.formattedMessage, EventLimits.message)
        add("environment", event.environment, EventLimits.environment)
        add("service", event.service, EventLimits.service)
        add("release", event.release, EventLimits.release)
        add("platform", event.platform, EventLimits.platform)
        add("url", event.url, EventLimits.url)
        add("logger", event.logger, EventLimits.logger)
        add("dist", event.dist, EventLimits.dist)
        add("serverName", event.serverName, EventLimits.serverName)
        add("exception.type", event.exception?.type, EventLimits.exceptionType)
        add("exception.value", event.exception?.value, EventLimits.exceptionValue)
        for (index, frame) in (event.exception?.stacktrace ?? []).enumerated() {
            add("frame \(index) module", frame.module, EventLimits.frameText)
            add("frame \(index) function", frame.function, EventLimits.frameText)
            add("frame \(index) filename", frame.filename, EventLimits.frameText)
        }
        for (index, part) in (event.fingerprint ?? []).enumerated() {
            add("fingerprint[\(index)]", part, EventLimits.fingerprintPart)
        }
        for (key, value) in event.tags {
            add("tag key", key, EventLimits.tagKey)
            add("tag value", value, EventLimits.tagValue)
        }
        add("user.id", event.user?.id, EventLimits.userID)
        add("user.email", event.user?.email, EventLimits.userEmail)
        add("user.username", event.user?.username, EventLimits.username)
        add("user.ipAddress", event.user?.ipAddress, EventLimits.ipAddress)
        return texts
    }

    /// Whether `cut` is `original` cut on a character boundary with the marker appended.
    static func isCut(_ cut: String, of original: String) -> Bool {
        guard cut.hasSuffix(marker) else { return false }
        let kept = String(cut.utf8.dropLast(marker.utf8.count))!
        return original.utf8.starts(with: kept.utf8) && original.starts(with: kept)
    }

    // MARK: The issue's cases, on every path

    @Test(arguments: Path.allCases)
    func aMegabyteMessageComesOutWithin8KiBWithTheMarker(path: Path) throws {
        let original = (0..<100_000).map { "word\($0 % 10) " }.joined()  // ~700 KB, then more
        let message = original + String(repeating: "x", count: 1_000_000 - original.utf8.count)
        let event = try Self.decode(Self.message(message), along: path)
        let kept = try #require(event.message)
        #expect(kept.utf8.count <= 8 * 1024)
        #expect(kept.utf8.count > 8 * 1024 - 8)
        #expect(Self.isCut(kept, of: message))
        #expect(event.title.count <= 256 && Self.isCut(event.title, of: message))
        // What the store keeps is the event re-encoded: the cut message, not the megabyte.
        #expect(try event.jsonText().utf8.count < 9 * 1024)
    }

    @Test(arguments: Path.allCases)
    func fiveHundredTagsBecomeTheFirstHundredInKeyOrder(path: Path) throws {
        let tags = (0..<500).shuffled().map { #""tag\#(String(format: "%03d", $0))": "v\#($0)""# }.joined(separator: ",")
        let members = Members(
            generic: [#""message": "m""#, #""tags": {"# + tags + "}"],
            sentry: [#""message": "m""#, #""tags": {"# + tags + "}"])
        let event = try Self.decode(members, along: path)
        #expect(event.tags.count == 100)
        #expect(event.tags.keys.sorted() == (0..<100).map { "tag" + String(format: "%03d", $0) })
        #expect(event.tags["tag042"] == "v42")
    }

    @Test(arguments: Path.allCases)
    func twoHundredFramesKeepTheInnermostFifty(path: Path) throws {
        // Outermost first, as reporters send them: f0 is the thread's entry, f199 raised.
        let frames = (0..<200).map { #"{"function": "f\#($0)", "module": "app.m\#($0)", "in_app": true}"# }.joined(separator: ",")
        let members = Members(
            generic: [#""exception": {"type": "E", "value": "v", "stacktrace": ["# + frames + "]}"],
            sentry: [#""exception": {"values": [{"type": "E", "value": "v", "stacktrace": {"frames": ["# + frames + "]}}]}"])
        let event = try Self.decode(members, along: path)
        let kept = try #require(event.exception?.stacktrace)
        #expect(kept.map(\.function) == (150..<200).map { "f\($0)" })
        #expect(event.inAppFrames.last?.function == "f199")
        let (components, source) = Fingerprinter.defaultComponents(event)
        #expect(source == "stacktrace" && components.count == 51 && components.last == "app.m199|f199|")
    }

    @Test(arguments: Path.allCases)
    func noTextOfADecodedEventIsOverItsCap(path: Path) throws {
        let piece = "Zahlung fehlgeschlagen – 支払い失敗 👩‍👩‍👧 "
        let long = Self.quoted(String(repeating: piece, count: 70))  // 2,240 characters, over every cap in characters
        let huge = Self.quoted(String(repeating: piece, count: 300))  // 19 KB, over every cap in bytes
        let frame = #"{"module": \#(long), "function": \#(long), "filename": \#(long), "lineno": 1, "in_app": true}"#
        let frames = Array(repeating: frame, count: 51).joined(separator: ",")
        let tags = (0..<101).map { #"\#(Self.quoted("\($0) " + piece + piece)): \#(long)"# }.joined(separator: ",")
        let parts = Array(repeating: long, count: 33).joined(separator: ",")
        let user = #"{"id": \#(long), "email": \#(long), "username": \#(long), "ip_address": \#(long)}"#
        let shared = [
            #""environment": \#(long)"#, #""release": \#(long)"#, #""platform": \#(long)"#,
            #""fingerprint": [\#(parts)]"#, #""tags": {\#(tags)}"#, #""user": \#(user)"#,
        ]
        let members = Members(
            generic: shared + [
                #""event_id": \#(long)"#, #""message": \#(huge)"#, #""service": \#(long)"#, #""url": \#(long)"#,
                #""exception": {"type": \#(long), "value": \#(huge), "stacktrace": [\#(frames)]}"#,
            ],
            sentry: shared + [
                #""logentry": {"message": \#(huge), "formatted": \#(huge), "params": [1]}"#,
                #""logger": \#(long)"#, #""dist": \#(long)"#, #""server_name": \#(long)"#, #""request": {"url": \#(long)}"#,
                #""exception": {"values": [{"type": \#(long), "value": \#(huge), "stacktrace": {"frames": [\#(frames)]}}]}"#,
            ])
        let event = try Self.decode(members, along: path)
        let isGeneric = path.rawValue.hasPrefix("generic")
        let texts = Self.texts(event)
        // eventID and title, the event's own texts, then 3 per frame, the fingerprint, 2 per tag, the user's 4.
        #expect(texts.count == 2 + (isGeneric ? 8 : 11) + 3 * 50 + 32 + 2 * 100 + 4)
        for (name, text, limit) in texts {
            #expect(limit.fits(text), "\(name): \(text.utf8.count) bytes, \(text.count) characters")
            // A Sentry event's id is the envelope's or a made one, never the payload's text.
            if name != "eventID" || isGeneric {
                #expect(text.hasSuffix(Self.marker), "\(name) was not cut")
            }
        }
        #expect(event.exception?.stacktrace.count == 50)
        #expect(event.fingerprint?.count == 32)
        #expect(event.tags.count == 100)
        // With every cap full of 2-3-byte characters, the stored JSON stays within a known size.
        #expect(try event.jsonText().utf8.count < 250_000)
    }

    // MARK: Cutting text

    @Test func multiByteTextIsCutOnACharacterBoundary() {
        let limit = EventLimits.message
        for piece in ["é", "e\u{301}", "日本", "😀", "👩‍👩‍👧", "🇫🇷", "a👩‍👩‍👧"] {
            let original = String(repeating: piece, count: 10_000)
            let cut = limit.cut(original)
            #expect(cut.utf8.count <= 8 * 1024, "\(piece)")
            #expect(cut.utf8.count > 8 * 1024 - 3 - piece.utf8.count, "\(piece): cut too short")
            #expect(Self.isCut(cut, of: original), "\(piece)")
        }
    }

    @Test func characterCapsCountCharactersAndBoundTheirBytes() {
        let key = EventLimits.tagKey
        #expect(key.cut(String(repeating: "k", count: 32)) == String(repeating: "k", count: 32))
        #expect(key.cut(String(repeating: "k", count: 33)) == String(repeating: "k", count: 31) + Self.marker)
        #expect(key.cut(String(repeating: "日", count: 32)).count == 32)  // 96 bytes: within 4 a character
        // One character of a hundred thousand accents is one Character and 200 KB: bytes bound it.
        let bomb = "e" + String(repeating: "\u{301}", count: 100_000)
        #expect(bomb.count == 1)
        #expect(key.cut(bomb) == Self.marker)
        #expect(key.fits(key.cut("ab" + bomb)) && key.cut("ab" + bomb) == "ab" + Self.marker)
    }

    @Test func aTitleIsAtMost256Characters() {
        let event = Event(
            eventID: "e", timestamp: Self.receivedAt,
            exception: ExceptionInfo(type: "PaymentError", value: String(repeating: "card declined ", count: 500)))
        #expect(event.title.count == 256)
        #expect(event.title.hasPrefix("PaymentError: card declined") && event.title.hasSuffix(Self.marker))
        #expect(Event(eventID: "e", timestamp: Self.receivedAt, message: "short").title == "short")
    }

    // MARK: What stays as it is

    @Test func eventsWithinTheCapsAreUnchanged() {
        #expect(EventLimits.bounded(ModelJSONTests.benchEvent) == ModelJSONTests.benchEvent)
        // Every text and count exactly at its cap, set after `init` so that `init` cuts nothing.
        var full = Event(eventID: "e", timestamp: Self.receivedAt)
        full.message = String(repeating: "x", count: 8 * 1024)
        full.formattedMessage = String(repeating: "é", count: 4 * 1024)
        full.release = String(repeating: "日", count: 200)
        full.tags = Dictionary(uniqueKeysWithValues: (0..<100).map {
            (String(format: "%032d", $0), String(repeating: "v", count: 200))
        })
        let frame = Frame(module: String(repeating: "m", count: 256), function: "f", filename: "f.py", lineno: 1, inApp: true)
        full.exception = ExceptionInfo(
            type: String(repeating: "T", count: 256), value: String(repeating: "v", count: 8 * 1024),
            stacktrace: Array(repeating: frame, count: 50))
        full.fingerprint = Array(repeating: String(repeating: "p", count: 200), count: 32)
        #expect(EventLimits.bounded(full) == full)
    }

    @Test func tagKeysCutAlikeKeepTheFirstInKeyOrder() {
        let stem = String(repeating: "k", count: 40)
        let tags = EventLimits.bounded(tags: [stem + "b": "second", stem + "a": "first"])
        #expect(tags == [String(repeating: "k", count: 31) + Self.marker: "first"])
    }

    @Test func droppedEnvelopeItemTypesAreCut() throws {
        let type = String(repeating: "t", count: 10_000)
        let body = "{}\n{\"type\": \"\(type)\", \"length\": 2}\n{}\n"
        let contents = try SentryEventDecoder().decode(
            envelope: try SentryEnvelope.parse(Array(body.utf8)), receivedAt: Self.receivedAt, makeID: { "generated" })
        #expect(contents.droppedItemTypes == [String(repeating: "t", count: 31) + Self.marker])
    }
}
