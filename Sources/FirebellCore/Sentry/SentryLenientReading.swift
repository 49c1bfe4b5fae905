// The fast twins of SentryLenientDecoding's tools, for `SentryEventPayload`'s fast
// path: take what has the right type, drop what doesn't, and give up (so the Codable
// path decides) only where `JSONDecoder` might convert a value in its own way.

/// A Sentry wire type read as `lenient(T.self, key)` decodes it: `nil`, the value
/// consumed, wherever `init(from:)` would throw.
protocol SentryLenientReadable {
    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure)
}

extension JSONReader {
    /// `lenient(T.self, key)`.
    mutating func lenient<T: SentryLenientReadable>(_ type: T.Type) throws(Failure) -> T? {
        try T(lenientReading: &self)
    }

    /// `lenient(SentryList<T>.self, key)?.elements`: an array's elements that read as `T`,
    /// `null`s and the rest dropped; `nil`, the value skipped, for anything but an array.
    mutating func lenientList<T: SentryLenientReadable>(of type: T.Type) throws(Failure) -> [T]? {
        guard try peek() == .array else {
            try skip()
            return nil
        }
        var elements: [T] = []
        try beginArray()
        while try nextElement() {
            if let element = try T(lenientReading: &self) {
                elements.append(element)
            }
        }
        return elements
    }

    /// Consumes `{` and returns its fields; `nil`, the value skipped, for anything but an
    /// object (where `container(keyedBy:)` throws).
    mutating func lenientObject<Field>(_ field: Field.Type) throws(Failure) -> Fields<Field>? {
        guard try peek() == .object else {
            try skip()
            return nil
        }
        return try beginObject(field)
    }

    /// `lenientString(key)`: the text of a string, number or boolean, `nil` when empty or
    /// of another type.
    mutating func lenientString() throws(Failure) -> String? {
        guard let text = try lenient(LenientString.self)?.value, !text.isEmpty else { return nil }
        return text
    }

    /// `lenient(String.self, key)`: a string, even an empty one.
    mutating func lenientStringValue() throws(Failure) -> String? {
        guard try peek() == .string else {
            try skip()
            return nil
        }
        return try readString()
    }

    /// `lenient(Int.self, key)`. Gives up on numbers other than plain integers, which
    /// `JSONDecoder` converts when they are whole (`88.0`, `8.8e1`).
    mutating func lenientInt() throws(Failure) -> Int? {
        guard try peek() == .number else {
            try skip()
            return nil
        }
        guard let value = try readNumber().int64.flatMap(Int.init(exactly:)) else {
            throw failure("a number Int decoding converts its own way")
        }
        return value
    }

    /// `lenient(Bool.self, key)`: `JSONDecoder` takes no number or string for a Bool.
    mutating func lenientBool() throws(Failure) -> Bool? {
        guard try peek() == .bool else {
            try skip()
            return nil
        }
        return try readBool()
    }
}

extension LenientString: SentryLenientReadable {
    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure) {
        guard let text = try reader.readScalarText() else {
            try reader.skip()
            return nil
        }
        value = text
    }
}

extension SentrySkip: SentryLenientReadable {
    /// A `SentryList` skips `null` elements before decoding; any other value decodes.
    init?(lenientReading reader: inout JSONReader) throws(JSONReader.Failure) {
        guard try !reader.skipNull() else { return nil }
        try reader.skip()
    }
}
