import Foundation

/// Why a request body could not be turned into events; the text goes back to the client.
public struct IngestError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Decodes `POST /v1/events` bodies: one JSON event, a JSON array of events, or NDJSON.
///
/// All or nothing: one bad event rejects the request, naming the event, so a
/// client never has to guess which of its events were kept.
///
/// Two paths to one result: `readPayloads` (`JSONReader`, several times cheaper) where
/// it is sure, else `decodePayloads` (`JSONDecoder` and the Codable wire types), which
/// decides everything else and words every error a client sees.
public struct GenericEventDecoder: Sendable {
    public init() {}

    /// - Parameters:
    ///   - receivedAt: used for events without a `timestamp`.
    ///   - makeID: makes an `event_id` for events without one.
    public func decode(_ body: [UInt8], receivedAt: Date, makeID: () -> String) throws(IngestError) -> [Event] {
        let payloads: [GenericEventPayload]
        if let read = Self.readPayloads(body) {
            payloads = read
        } else {
            payloads = try Self.decodePayloads(body)
        }
        return try Self.events(payloads, receivedAt: receivedAt, makeID: makeID)
    }

    /// The payloads' events, or the error naming the first bad one.
    static func events(
        _ payloads: [GenericEventPayload], receivedAt: Date, makeID: () -> String
    ) throws(IngestError) -> [Event] {
        var events: [Event] = []
        events.reserveCapacity(payloads.count)
        for (index, payload) in payloads.enumerated() {
            let position = payloads.count == 1 ? "event" : "event \(index)"
            events.append(try payload.event(position: position, receivedAt: receivedAt, makeID: makeID))
        }
        return events
    }

    /// The fast path: the payloads `decodePayloads` would return, read by `JSONReader`,
    /// or `nil` whenever it is not sure, and always where `decodePayloads` would throw.
    static func readPayloads(_ body: [UInt8]) -> [GenericEventPayload]? {
        switch body.first(where: { !isSpace($0) }) {
        case UInt8(ascii: "["):
            return try? JSONReader.withReader(body[...]) { reader throws(JSONReader.Failure) in
                var payloads: [GenericEventPayload] = []
                try reader.beginArray()
                while try reader.nextElement() {
                    payloads.append(try GenericEventPayload(reading: &reader))
                }
                return payloads
            }
        case UInt8(ascii: "{"):
            if let payload = try? JSONReader.read(GenericEventPayload.self, from: body[...]) {
                return [payload]
            }
            // NDJSON. With more than one line and every line an object, the body is not
            // one JSON value (the second line's `{` follows a complete object), so
            // `decodePayloads` would come to these lines too.
            let lines = nonBlankLines(body)
            guard lines.count > 1 else { return nil }
            var payloads: [GenericEventPayload] = []
            for (_, line) in lines {
                guard let payload = try? JSONReader.read(GenericEventPayload.self, from: line) else { return nil }
                payloads.append(payload)
            }
            return payloads
        default:
            return nil
        }
    }

    /// The Codable path, `JSONDecoder`'s: it decides every body the fast path leaves,
    /// and says what is wrong with those it rejects.
    static func decodePayloads(_ body: [UInt8]) throws(IngestError) -> [GenericEventPayload] {
        guard let first = body.firstIndex(where: { !isSpace($0) }) else {
            throw IngestError("empty body: send one JSON event, a JSON array of events, or NDJSON")
        }
        let data = Data(body)
        let decoder = JSONDecoder()
        if body[first] == UInt8(ascii: "[") {
            do {
                return try decoder.decode([GenericEventPayload].self, from: data)
            } catch {
                throw IngestError("invalid JSON array: \(describe(error))")
            }
        }
        guard body[first] == UInt8(ascii: "{") else {
            throw IngestError("invalid JSON: expected an object, an array or NDJSON, got '\(Character(Unicode.Scalar(body[first])))'")
        }
        let single: Error
        do {
            return [try decoder.decode(GenericEventPayload.self, from: data)]
        } catch {
            single = error
        }
        // Not one object: NDJSON if there are several lines and the first stands alone.
        let lines = nonBlankLines(body)
        guard lines.count > 1, (try? decoder.decode(GenericEventPayload.self, from: Data(lines[0].element))) != nil else {
            throw IngestError("invalid JSON: \(describe(single))")
        }
        var payloads: [GenericEventPayload] = []
        for (lineIndex, line) in lines {
            do {
                payloads.append(try decoder.decode(GenericEventPayload.self, from: Data(line)))
            } catch {
                throw IngestError("invalid NDJSON at line \(lineIndex + 1): \(describe(error))")
            }
        }
        return payloads
    }

    /// NDJSON's lines, numbered as `split(separator: "\n")` numbers its non-empty pieces,
    /// whitespace-only ones dropped. A plain loop: `split` costs more than reading the events.
    static func nonBlankLines(_ body: [UInt8]) -> [(offset: Int, element: ArraySlice<UInt8>)] {
        var lines: [(offset: Int, element: ArraySlice<UInt8>)] = []
        var number = 0
        var start = body.startIndex
        while start < body.endIndex {
            var end = start
            while end < body.endIndex, body[end] != UInt8(ascii: "\n") {
                end += 1
            }
            if end > start {
                let line = body[start..<end]
                if !line.allSatisfy(isSpace) {
                    lines.append((number, line))
                }
                number += 1
            }
            start = end + 1
        }
        return lines
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09
    }

    /// One readable line from a decoding error: the field path and what was wrong.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field '\(path(context.codingPath))': \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "field '\(path(context.codingPath + [key]))' is missing"
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            let detail = underlying ?? context.debugDescription
            return context.codingPath.isEmpty ? detail : "field '\(path(context.codingPath))': \(detail)"
        @unknown default:
            return "\(error)"
        }
    }
}
