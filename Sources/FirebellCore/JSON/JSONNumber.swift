extension JSONReader {
    /// A number as written, converted only on request, so skipped numbers cost nothing.
    ///
    /// Points into the text being read: use it before `JSONReader.read` returns.
    struct Number {
        /// The literal's bytes, already checked against RFC 8259's grammar.
        private let literal: UnsafeBufferPointer<UInt8>
        /// Written with neither fraction nor exponent: `42`, `-7`, `0`.
        let isInteger: Bool
        let hasExponent: Bool

        init(literal: UnsafeBufferPointer<UInt8>, isInteger: Bool, hasExponent: Bool) {
            self.literal = literal
            self.isInteger = isInteger
            self.hasExponent = hasExponent
        }

        /// The value of an integer literal that fits; `nil` for a fraction, an exponent or
        /// an overflow, which `JSONDecoder` may still convert in ways not copied here.
        var int64: Int64? {
            guard isInteger else { return nil }
            let isNegative = literal[0] == UInt8(ascii: "-")
            var value: Int64 = 0
            for byte in literal[(isNegative ? 1 : 0)...] {
                let digit = Int64(byte - UInt8(ascii: "0"))
                let (shifted, overflowed) = value.multipliedReportingOverflow(by: 10)
                let (next, overflowedAgain) = isNegative
                    ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
                guard !overflowed, !overflowedAgain else { return nil }
                value = next
            }
            return value
        }

        /// The nearest `Double` (correctly rounded, as `JSONDecoder`'s parser rounds), or
        /// `nil` when it is out of range: too large (infinite), or so small that a literal
        /// with a nonzero digit rounds to zero (`1e-400`). `JSONDecoder` rejects both.
        var double: Double? {
            guard let value = Double(String(decoding: literal, as: UTF8.self)), value.isFinite else { return nil }
            if value == 0, hasNonzeroDigitBeforeExponent { return nil }
            return value
        }

        private var hasNonzeroDigitBeforeExponent: Bool {
            for byte in literal {
                if byte | 0x20 == UInt8(ascii: "e") { return false }
                if byte >= UInt8(ascii: "1"), byte <= UInt8(ascii: "9") { return true }
            }
            return false
        }
    }
}
