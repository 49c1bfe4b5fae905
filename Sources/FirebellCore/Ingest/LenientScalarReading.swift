import Foundation

// What `LenientString` and `Timestamps.parse(LenientString)` make of a JSON value,
// read by `JSONReader` for the fast paths of both generic and Sentry events.

extension JSONReader {
    /// The text `LenientString` decodes from the next value when it is a string, a
    /// boolean or an integer (`42` → "42"); `nil`, the value left unread, when it is
    /// `null`, an object or an array.
    ///
    /// Fails on any other number: `LenientString` decodes `1.0` and `1e2` as whole
    /// numbers ("1", "100") and `1.5` through `Double`'s description, a split the fast
    /// path leaves to it.
    mutating func readScalarText() throws(Failure) -> String? {
        switch try peek() {
        case .string:
            return try readString()
        case .bool:
            return String(try readBool())
        case .number:
            guard let integer = try readNumber().int64 else { throw failure("a number LenientString converts its own way") }
            return String(integer)
        case .null, .object, .array:
            return nil
        }
    }

    /// What `Timestamps.parse` finds in the `LenientString` text of the next value, a
    /// string, number or boolean; `nil` when that is no timestamp.
    ///
    /// A number stands for its own value in seconds either way `LenientString` spells it:
    /// `Timestamps.parse` reads the text back with `Double(_:)`, and `Double`'s description
    /// and an exact integer's digits both read back as the number itself.
    mutating func readTimestamp() throws(Failure) -> Date? {
        guard try peek() == .number else {
            guard let text = try readScalarText() else { throw failure("not a string, number or boolean") }
            return Timestamps.parse(text)
        }
        let number = try readNumber()
        if let integer = number.int64 {
            return Timestamps.parse(String(integer))
        }
        guard !number.hasExponent, let seconds = number.double else { throw failure("a timestamp with an exponent, or out of range") }
        return Date(timeIntervalSince1970: seconds)
    }
}
