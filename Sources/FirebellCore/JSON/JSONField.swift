/// The keys of an object that a fast path reads, numbered by their raw values
/// (below 64) and named by `names` in the same order; `JSONReader.nextField` skips
/// the values under any other key.
protocol JSONField: RawRepresentable, CaseIterable where RawValue == Int {
    /// Each case's key, in the order of the cases.
    static var names: [StaticString] { get }
}

extension JSONField {
    /// The field whose name is `key` (compared as `JSONReader.Key == StaticString`).
    init?(key: JSONReader.Key) {
        assert(Self.names.count == Self.allCases.count, "\(Self.self).names must name every case")
        guard let index = Self.names.firstIndex(where: { key == $0 }) else { return nil }
        self.init(rawValue: index)
    }

    /// `init(key:)`, comparing names from the field numbered `hint` on, round to the start.
    init?(key: JSONReader.Key, hint: Int) {
        let names = Self.names
        var index = hint < names.count ? hint : 0
        for _ in 0..<names.count {
            if key == names[index] {
                self.init(rawValue: index)
                return
            }
            index += 1
            if index == names.count { index = 0 }
        }
        return nil
    }
}

extension JSONReader {
    /// The fields of one object read so far.
    ///
    /// A known key that comes twice makes the fast path give up: `JSONDecoder` keeps
    /// the first today, older Foundations kept the last, and the fast path bets on neither.
    struct Fields<Field: JSONField> {
        fileprivate var seen: UInt64 = 0
        /// The field after the last one read, whose name is compared first: `JSONWriter` (and
        /// `JSONEncoder`) write a model's keys in the order of its cases, and SDKs mostly
        /// keep an order too, so a key usually matches at the first comparison.
        fileprivate var next = 0
    }

    /// Consumes `{`; then call `nextField` until it returns `nil`.
    mutating func beginObject<Field>(_ field: Field.Type) throws(Failure) -> Fields<Field> {
        guard try peek() == .object else { throw failure("expected an object") }
        try beginObject()
        return Fields()
    }

    /// The next known field, ready for its value to be read; `nil` once the object's
    /// `}` is consumed.
    mutating func nextField<Field>(_ fields: inout Fields<Field>) throws(Failure) -> Field? {
        while let key = try nextKey() {
            guard let field = Field(key: key, hint: fields.next) else {
                try skip()
                continue
            }
            let bit: UInt64 = 1 << UInt64(field.rawValue)
            guard fields.seen & bit == 0 else { throw failure("a key comes twice").inside(field) }
            fields.seen |= bit
            fields.next = field.rawValue + 1
            return field
        }
        return nil
    }
}
