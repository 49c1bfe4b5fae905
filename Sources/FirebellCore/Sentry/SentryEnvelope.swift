import Foundation

/// A Sentry envelope split into its header and items, payloads untouched.
///
/// The path of a Sentry event through Firebell: the request body (already
/// decompressed) → `SentryEnvelope.parse` (framing only, this file) →
/// `SentryEventDecoder` (reads `event` items as `SentryEventPayload`, the wire
/// shape, and maps them onto `Event`) → the pipeline. Like Sentry Relay, the
/// protocol types know nothing of what Firebell does with them.
///
/// The format is the one in Sentry's developer docs, "Envelopes"
/// (develop.sentry.dev/sdk/envelopes/, since moved to
/// /sdk/foundations/transport/envelopes/; "Serialization Format"),
/// with Relay's parser (`relay-server/src/envelope/{mod,item}.rs`) settling
/// what the prose leaves open:
///
///     Envelope = Headers { "\n" Item } [ "\n" ] ;
///     Item     = Headers "\n" Payload ;
///
/// - A header is one line of JSON (an object).
/// - With `length`, the payload is exactly that many bytes and must be
///   followed by `\n` or the end of the body; anything else is malformed.
/// - Without `length`, the payload runs to the next `\n` or the end of the
///   body. The docs: "If an Item with implicit length is terminated by
///   `\r\n`, then `\r` is considered an arbitrary character not part of the
///   newline, and thus part of the payload" — so `\r` is kept, never stripped.
///   (JSON payloads don't mind: `\r` is JSON whitespace.)
/// - An envelope may end right after its header, with or without `\n`.
public struct SentryEnvelope: Sendable, Equatable {
    public var header: Header
    public var items: [Item]

    public init(header: Header, items: [Item]) {
        self.header = header
        self.items = items
    }

    /// The envelope header fields Firebell reads; the others (`sdk`, `trace`, …) are ignored.
    public struct Header: Sendable, Equatable {
        /// The event's id, normalized to 32 lowercase hex digits. The docs: "If the
        /// identifier mismatches between the Envelope and payload, the Envelope header
        /// takes precedence."
        public var eventID: String?
        /// The full DSN when the envelope authenticates itself (`http://<key>@host/<project>`).
        public var dsn: String?
        /// When the SDK sent it (RFC 3339), as sent.
        public var sentAt: String?

        public init(eventID: String? = nil, dsn: String? = nil, sentAt: String? = nil) {
            self.eventID = eventID
            self.dsn = dsn
            self.sentAt = sentAt
        }
    }

    public struct Item: Sendable, Equatable {
        /// `event`, `transaction`, `session`, `attachment`, … — kept as sent, known or not.
        public var type: String
        public var contentType: String?
        public var filename: String?
        public var payload: [UInt8]

        public init(type: String, contentType: String? = nil, filename: String? = nil, payload: [UInt8]) {
            self.type = type
            self.contentType = contentType
            self.filename = filename
            self.payload = payload
        }
    }

    /// Splits an envelope body. Items are counted from 1 in error messages.
    ///
    /// Lenient in one way Relay is too: blank lines where an item header is
    /// expected are skipped (Relay's JSON reader skips the whitespace; the .NET
    /// SDK's own reader notes "some envelopes may have them after payloads"),
    /// including at the very end, which Relay would reject.
    public static func parse(_ body: [UInt8]) throws(IngestError) -> SentryEnvelope {
        var reader = SentryEnvelopeReader(body: body)

        let headerLine = reader.line()
        if headerLine.allSatisfy(SentryEnvelopeReader.isSpace) {
            throw IngestError("empty envelope: the body must start with a JSON header line, e.g. {\"event_id\":\"…\"}")
        }
        let header = try decodeHeader(headerLine)

        var items: [Item] = []
        while reader.skipBlankLines() {
            let number = items.count + 1
            let itemHeader = try decodeItemHeader(reader.line(), number: number)
            let payload: ArraySlice<UInt8>
            if let length = itemHeader.length {
                payload = try reader.payload(length: length, item: number)
            } else {
                payload = reader.line()
            }
            items.append(Item(
                type: itemHeader.type, contentType: itemHeader.contentType,
                filename: itemHeader.filename, payload: Array(payload)))
        }
        return SentryEnvelope(header: header, items: items)
    }

    private static func decodeHeader(_ line: ArraySlice<UInt8>) throws(IngestError) -> Header {
        let wire: HeaderWire
        do {
            wire = try decodeObject(HeaderWire.self, line)
        } catch {
            throw IngestError("envelope header \(error.message)")
        }
        var eventID: String?
        if let raw = wire.eventID {
            guard let normalized = SentryEventID.normalize(raw) else {
                throw IngestError("envelope header: event_id '\(raw)' is not a UUID (32 hex digits, dashes allowed)")
            }
            eventID = normalized
        }
        return Header(eventID: eventID, dsn: wire.dsn, sentAt: wire.sentAt)
    }

    private static func decodeItemHeader(_ line: ArraySlice<UInt8>, number: Int) throws(IngestError) -> ItemHeaderWire {
        let wire: ItemHeaderWire
        do {
            wire = try decodeObject(ItemHeaderWire.self, line)
        } catch {
            throw IngestError("envelope item \(number): header \(error.message)")
        }
        if let length = wire.length, length < 0 {
            throw IngestError("envelope item \(number): length \(length) is negative")
        }
        return wire
    }

    /// Decodes one header line, on the fast path when it can; the error message continues
    /// "envelope header …".
    private static func decodeObject<T: Decodable & JSONReadable>(
        _ type: T.Type, _ line: ArraySlice<UInt8>
    ) throws(IngestError) -> T {
        guard let first = line.first(where: { !SentryEnvelopeReader.isSpace($0) }) else {
            throw IngestError("is missing: expected a JSON object line")
        }
        guard first == UInt8(ascii: "{") else {
            throw IngestError("is not valid JSON: expected an object, got \(SentryEnvelopeReader.describe(first))")
        }
        if let read = try? JSONReader.read(T.self, from: line) {
            return read
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(line))
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw IngestError("is not valid JSON: \(GenericEventDecoder.describe(DecodingError.dataCorrupted(context)))")
        } catch {
            throw IngestError("is not valid: \(GenericEventDecoder.describe(error))")
        }
    }
}
