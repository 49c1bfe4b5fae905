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
public struct GenericEventDecoder: Sendable {
    public init() {}

    /// - Parameters:
    ///   - receivedAt: used for events without a `timestamp`.
    ///   - makeID: makes an `event_id` for events without one.
    public func decode(_ body: [UInt8], receivedAt: Date, makeID: () -> String) throws(IngestError) -> [Event] {
        let payloads = try Self.payloads(body)
        var events: [Event] = []
        events.reserveCapacity(payloads.count)
        for (index, payload) in payloads.enumerated() {
            let position = payloads.count == 1 ? "event" : "event \(index)"
            events.append(try payload.event(position: position, receivedAt: receivedAt, makeID: makeID))
        }
        return events
    }

    private static func payloads(_ body: [UInt8]) throws(IngestError) -> [GenericEventPayload] {
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
        let lines = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
            .enumerated().filter { !$0.element.allSatisfy(isSpace) }
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
