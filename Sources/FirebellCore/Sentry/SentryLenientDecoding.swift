// The few tools `SentryEventPayload` needs to read JSON the way Relay does: take what
// has the right type, drop what doesn't, never fail a whole event over one field.

/// A JSON list whose `null` or malformed elements are skipped rather than failing the list.
struct SentryList<Element: Decodable>: Decodable {
    var elements: [Element] = []

    init(from decoder: any Decoder) throws {
        var list = try decoder.unkeyedContainer()
        while !list.isAtEnd {
            if try list.decodeNil() { continue }
            if let element = try? list.decode(Element.self) {
                elements.append(element)
            } else {
                _ = try list.decode(SentrySkip.self)
            }
        }
    }
}

/// Any JSON value, consumed and forgotten (never materialized as `Any`).
struct SentrySkip: Decodable {
    init(from decoder: any Decoder) throws {}
}

/// A key spelled at the use site, for payloads with few fields read each.
struct SentryKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer {
    /// The value, or `nil` when it is absent, `null` or of another type.
    func lenient<T: Decodable>(_ type: T.Type, _ key: Key) -> T? {
        (try? decodeIfPresent(T.self, forKey: key)) ?? nil
    }

    /// A string, number or boolean as text; `nil` when absent, empty or not a scalar.
    func lenientString(_ key: Key) -> String? {
        guard let text = lenient(LenientString.self, key)?.value, !text.isEmpty else { return nil }
        return text
    }
}
