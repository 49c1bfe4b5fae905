import Foundation

/// What an envelope held, once read: the events to process and the items dropped.
public struct SentryEnvelopeContents: Sendable, Equatable {
    public var events: [Event]
    /// One entry per item accepted and dropped (`transaction`, `session`, `attachment`,
    /// `client_report`, or a type Firebell doesn't know), in envelope order, so each gets
    /// its outcome counted. A type is cut to `EventLimits.itemType`, as it becomes a label.
    public var droppedItemTypes: [String]

    public init(events: [Event], droppedItemTypes: [String]) {
        self.events = events
        self.droppedItemTypes = droppedItemTypes
    }
}

/// Maps Sentry event payloads (an envelope's `event` item, or a legacy `/store/` body)
/// onto `Event`.
///
/// The mapping, and why:
/// - **Exceptions.** `exception.values` is ordered oldest first; the last one is the
///   outermost, the one Sentry titles the issue with, so type and value come from it.
///   The stack trace is every value's frames in order, so grouping sees every in-app
///   frame of the chain.
/// - **Messages.** `logentry` (or the legacy `message`, as a string or an object).
///   With parameters, `Event.message` is the template (`"user %s failed"`), so one
///   issue collects every user; without, the formatted text. An event with neither a
///   message nor an exception is still an event (SDKs send them) and is called
///   `"<unlabeled event>"`, Sentry's name for it.
/// - **Top-level `stacktrace`** (a message sent with `attach_stacktrace`) is not turned
///   into an exception: a fake nameless exception would title the alert
///   "Error: <message>", answer `exception.type` rules and group by call site instead
///   of by the message template. Such events group on their message, like any log line.
/// - **Tags** come as an object or as `[key, value]` pairs. As Sentry does, Firebell
///   adds `handled` and `mechanism` from the exception mechanism and `os`, `runtime`,
///   `browser` (`<name> <version>`) and their `.name` from the contexts — never
///   overriding a tag the SDK sent.
/// - **Ids.** The envelope header's `event_id` wins over the payload's (the envelope docs:
///   "the Envelope header takes precedence"), then the payload's, then `makeID`; Sentry
///   ids are normalized to 32 lowercase hex digits.
public struct SentryEventDecoder: Sendable {
    /// Sentry's title for an event with neither message nor exception.
    public static let unlabeledMessage = "<unlabeled event>"

    public init() {}

    /// The envelope's `event` item as an `Event`; other item types are counted, not decoded.
    ///
    /// The envelope docs allow one `event` item per envelope; a second is rejected, as Relay
    /// rejects it ("Event items can never occur twice in an envelope", `DuplicateItem`),
    /// rather than guessing which one the header's `event_id` names.
    public func decode(envelope: SentryEnvelope, receivedAt: Date, makeID: () -> String) throws(IngestError) -> SentryEnvelopeContents {
        var events: [Event] = []
        var dropped: [String] = []
        for (index, item) in envelope.items.enumerated() {
            guard item.type == "event" else {
                dropped.append(EventLimits.itemType.cut(item.type))
                continue
            }
            let position = "envelope item \(index + 1) (event)"
            guard events.isEmpty else {
                throw IngestError("\(position): a second event item; an envelope carries at most one event")
            }
            let payload = try Self.payload(item.payload, position: position)
            events.append(event(from: payload, headerID: envelope.header.eventID, receivedAt: receivedAt, makeID: makeID))
        }
        return SentryEnvelopeContents(events: events, droppedItemTypes: dropped)
    }

    /// The legacy `/store/` body: one JSON event.
    public func decode(storeBody: [UInt8], receivedAt: Date, makeID: () -> String) throws(IngestError) -> Event {
        event(from: try Self.payload(storeBody, position: "event"), headerID: nil, receivedAt: receivedAt, makeID: makeID)
    }

    /// The fast path (`JSONReader`) where it is sure, else `decodePayload`. A payload the
    /// fast path reads is a JSON object, so `decodePayload`'s first checks would pass.
    private static func payload(_ bytes: [UInt8], position: String) throws(IngestError) -> SentryEventPayload {
        if let payload = try? JSONReader.read(SentryEventPayload.self, from: bytes[...]) {
            return payload
        }
        return try decodePayload(bytes, position: position)
    }

    /// The Codable path, `JSONDecoder`'s: it decides every payload the fast path leaves,
    /// and says what is wrong with those it rejects.
    static func decodePayload(_ bytes: [UInt8], position: String) throws(IngestError) -> SentryEventPayload {
        guard let first = bytes.first(where: { !($0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09) }) else {
            throw IngestError("\(position): empty payload; expected one JSON event")
        }
        guard first == UInt8(ascii: "{") else {
            throw IngestError("\(position): invalid JSON: expected an object, got '\(Character(Unicode.Scalar(first)))'")
        }
        do {
            return try JSONDecoder().decode(SentryEventPayload.self, from: Data(bytes))
        } catch {
            throw IngestError("\(position): invalid JSON: \(GenericEventDecoder.describe(error))")
        }
    }

    func event(from payload: SentryEventPayload, headerID: String?, receivedAt: Date, makeID: () -> String) -> Event {
        let exception = Self.exception(payload.exceptions)
        var message = Self.message(payload.logentry) ?? Self.message(payload.message)
        let entry = payload.logentry ?? payload.message
        let formatted = entry.flatMap { $0.parameterCount > 0 ? $0.formatted : nil }
        if message == nil, exception == nil {
            message = Self.unlabeledMessage
        }
        return Event(
            eventID: headerID ?? payload.eventID.flatMap(SentryEventID.normalize) ?? makeID(),
            timestamp: payload.timestamp ?? receivedAt,
            level: payload.level ?? .error,
            message: message,
            environment: payload.environment,
            release: payload.release,
            platform: payload.platform,
            exception: exception,
            fingerprint: payload.fingerprint.flatMap { $0.isEmpty ? nil : $0 },
            tags: Self.tags(payload),
            user: payload.user.flatMap(Self.user),
            url: payload.requestURL,
            logger: payload.logger,
            dist: payload.dist,
            serverName: payload.serverName,
            formattedMessage: formatted
        )
    }

    /// The template when parameters came with it, else the text as shown.
    private static func message(_ logentry: SentryLogEntryPayload?) -> String? {
        guard let logentry else { return nil }
        if logentry.parameterCount > 0, let template = logentry.template {
            return template
        }
        return logentry.formatted ?? logentry.template
    }

    /// The outermost (last) exception's type and value over the whole chain's frames.
    private static func exception(_ values: [SentryExceptionPayload]) -> ExceptionInfo? {
        let chain = values.filter { $0.type != nil || $0.value != nil || !$0.frames.isEmpty }
        guard let outermost = chain.last else { return nil }
        return ExceptionInfo(
            type: outermost.type,
            value: outermost.value,
            stacktrace: chain.flatMap { $0.frames.map(\.frame) }
        )
    }

    private static func user(_ payload: SentryUserPayload) -> User? {
        let user = User(id: payload.id, email: payload.email, username: payload.username, ipAddress: payload.ipAddress)
        return user.identity == nil ? nil : user
    }

    /// The SDK's tags, plus the ones Sentry derives (sentry/interfaces/exception.py and
    /// contexts.py `iter_tags`) where the SDK did not set them. Like Sentry, the mechanism
    /// is read from the first exception in the list that has one.
    private static func tags(_ payload: SentryEventPayload) -> [String: String] {
        var tags = payload.tags
        func derive(_ key: String, _ value: String?) {
            if let value, !value.isEmpty, tags[key] == nil { tags[key] = value }
        }
        if let mechanism = payload.exceptions.lazy.compactMap(\.mechanism).first {
            derive("mechanism", mechanism.type)
            derive("handled", mechanism.handled.map { $0 ? "yes" : "no" })
        }
        for (key, context) in [("os", payload.contexts?.os), ("runtime", payload.contexts?.runtime), ("browser", payload.contexts?.browser)] {
            guard let name = context?.name else { continue }
            derive(key, [name, context?.version].compactMap { $0 }.joined(separator: " "))
            derive(key + ".name", name)
        }
        return tags
    }
}
