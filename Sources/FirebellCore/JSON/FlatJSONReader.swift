import Foundation

/// Reads the plain JSON objects the store keeps for issues and alerts, for their fast decoders.
///
/// Deliberately partial and strict: every method returns `nil` (or `false`) on anything it
/// does not expect, a `null`, a number spelt unusually, a key with an escape in it, and
/// the caller then hands the text to `JSONDecoder`, which reads it or reports the error.
/// So this reader never has to agree with `JSONDecoder` on a hard case: only on the
/// plain ones, where both read the same value. Not a general JSON reader.
struct FlatJSONReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    /// - Parameter bytes: valid UTF-8, as a `String`'s always is: strings are cut from it
    ///   at ASCII quotes and backslashes only, and so stay valid without checking.
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// An object key, compared without copying it into a `String`.
    struct Key {
        fileprivate let bytes: UnsafeBufferPointer<UInt8>

        static func ~= (name: StaticString, key: Key) -> Bool {
            name.withUTF8Buffer { name in
                guard name.count == key.bytes.count else { return false }
                guard let nameStart = name.baseAddress, let keyStart = key.bytes.baseAddress else { return true }
                return memcmp(nameStart, keyStart, name.count) == 0
            }
        }
    }

    /// Reads one object: `member` is called with each key, reads its value and says whether
    /// it could. `false` if the syntax is off or `member` gave up.
    mutating func object(_ member: (inout FlatJSONReader, Key) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "{")) else { return false }
        if consume(UInt8(ascii: "}")) { return true }
        repeat {
            guard let key = plainKey(), consume(UInt8(ascii: ":")), member(&self, key) else { return false }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "}"))
    }

    /// Whether only whitespace is left.
    mutating func atEnd() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }

    mutating func string() -> String? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                defer { index += 1 }
                return String(decoding: slice(start..<index), as: UTF8.self)
            case UInt8(ascii: "\\"):
                return escapedString(after: String(decoding: slice(start..<index), as: UTF8.self))
            case ..<0x20:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    mutating func strings() -> [String]? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        var values: [String] = []
        if consume(UInt8(ascii: "]")) { return values }
        repeat {
            guard let value = string() else { return nil }
            values.append(value)
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]")) ? values : nil
    }

    /// A plain integer: optional minus, digits, no leading zero, no fraction or exponent, no `-0`.
    mutating func integer() -> Int64? {
        skipWhitespace()
        let negative = peek() == UInt8(ascii: "-")
        if negative { index += 1 }
        guard let first = peek(), isDigit(first), first != UInt8(ascii: "0") || !isDigit(peek(at: index + 1)) else { return nil }
        var value: Int64 = 0
        while let byte = peek(), isDigit(byte) {
            let digit = Int64(byte &- UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
            index += 1
        }
        guard !(negative && value == 0), !isNumberContinuation(peek()) else { return nil }
        return value
    }

    /// A number in JSON's grammar, parsed (correctly rounded, as `JSONDecoder` does); `nil` if it
    /// overflows to infinity or underflows to zero, which `JSONDecoder` rejects.
    mutating func double() -> Double? {
        skipWhitespace()
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { return nil }
        var isZero = true  // whether every digit before the exponent is 0
        if first == UInt8(ascii: "0") { index += 1 } else { isZero = !skipDigits() }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard isDigit(peek()) else { return nil }
            if skipDigits() { isZero = false }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard isDigit(peek()) else { return nil }
            _ = skipDigits()
        }
        guard !isNumberContinuation(peek()),
              let value = Double(String(decoding: slice(start..<index), as: UTF8.self)),
              value.isFinite, value != 0 || isZero
        else { return nil }
        return value
    }

    // MARK: Private

    private func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[range])
    }

    private func peek() -> UInt8? {
        peek(at: index)
    }

    private func peek(at position: Int) -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// A byte that would make the number just read longer or malformed (`01`, `1.5` as an integer, `1x`).
    private func isNumberContinuation(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        switch byte {
        case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: " "), 0x09, 0x0A, 0x0D: return false
        default: return true
        }
    }

    /// Skips a run of digits; whether any of them was not 0.
    private mutating func skipDigits() -> Bool {
        var nonZero = false
        while let byte = peek(), isDigit(byte) {
            if byte != UInt8(ascii: "0") { nonZero = true }
            index += 1
        }
        return nonZero
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    /// Skips whitespace, then takes `byte` if it is next.
    private mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    /// A key without escapes (every key the model types have); one with escapes gives up.
    private mutating func plainKey() -> Key? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while let byte = peek() {
            if byte == UInt8(ascii: "\"") {
                index += 1
                return Key(bytes: slice(start..<index - 1))
            }
            guard byte != UInt8(ascii: "\\"), byte >= 0x20 else { return nil }
            index += 1
        }
        return nil
    }

    /// The rest of a string whose first escape is at `index`, appended to `prefix`.
    private mutating func escapedString(after prefix: String) -> String? {
        var result = prefix
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return result
            case UInt8(ascii: "\\"):
                index += 1
                guard let escaped = peek() else { return nil }
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): result.unicodeScalars.append(Unicode.Scalar(escaped))
                case UInt8(ascii: "b"): result.unicodeScalars.append("\u{08}")
                case UInt8(ascii: "f"): result.unicodeScalars.append("\u{0C}")
                case UInt8(ascii: "n"): result.unicodeScalars.append("\n")
                case UInt8(ascii: "r"): result.unicodeScalars.append("\r")
                case UInt8(ascii: "t"): result.unicodeScalars.append("\t")
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    result.unicodeScalars.append(scalar)
                default:
                    return nil
                }
            case ..<0x20:
                return nil
            default:
                let start = index
                while let byte = peek(), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 { index += 1 }
                result += String(decoding: slice(start..<index), as: UTF8.self)
            }
        }
        return nil
    }

    /// The scalar of a `\uXXXX` (the `\u` already read), joining a surrogate pair; a lone
    /// surrogate gives up.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let unit = hex4() else { return nil }
        if UTF16.isTrailSurrogate(unit) { return nil }
        if UTF16.isLeadSurrogate(unit) {
            guard peek() == UInt8(ascii: "\\"), peek(at: index + 1) == UInt8(ascii: "u") else { return nil }
            index += 2
            guard let trail = hex4(), UTF16.isTrailSurrogate(trail) else { return nil }
            return UTF16.decode(UTF16.EncodedScalar([unit, trail]))
        }
        return Unicode.Scalar(unit)
    }

    private mutating func hex4() -> UInt16? {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { return nil }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }
}

// MARK: Model values

extension FlatJSONReader {
    mutating func int() -> Int? {
        integer().flatMap { Int(exactly: $0) }
    }

    /// A date as `JSONDecoder`'s default strategy reads it: seconds since the 2001 reference date.
    mutating func date() -> Date? {
        double().map { Date(timeIntervalSinceReferenceDate: $0) }
    }

    /// An enum by its raw value; an unknown one gives up (and `JSONDecoder` will throw).
    mutating func rawValue<T: RawRepresentable<String>>(_: T.Type = T.self) -> T? {
        string().flatMap(T.init(rawValue:))
    }

    /// Puts a value read for a key into its slot: `false` if it could not be read or the key
    /// came twice, for `JSONDecoder` to settle.
    static func fill<T>(_ slot: inout T?, with value: T?) -> Bool {
        guard slot == nil, let value else { return false }
        slot = value
        return true
    }
}
