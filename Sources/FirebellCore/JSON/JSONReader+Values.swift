import Foundation

// Values of Firebell's model types (`Issue`, `Alert`, `Mute`) as `JSONWriter` writes them
// and their synthesized `Codable` conformances read them. Each throws where `JSONDecoder`
// would throw, and also where it might read a value its own way (an integer spelt `1.0`
// or `1e2`), so a model read never differs from what `JSONDecoder` would read.

extension JSONReader {
    /// An integer written as one (no fraction or exponent) that fits `Int64`.
    mutating func readInt64() throws(Failure) -> Int64 {
        guard try peek() == .number else { throw failure("expected an integer") }
        let start = offset
        guard let value = try readNumber().int64 else {
            throw Failure(reason: "expected an integer within 64 bits, without fraction or exponent", offset: start)
        }
        return value
    }

    mutating func readInt() throws(Failure) -> Int {
        let start = offset
        guard let value = Int(exactly: try readInt64()) else { throw Failure(reason: "an integer out of Int's range", offset: start) }
        return value
    }

    /// A date as `JSONDecoder`'s default strategy reads it: seconds since 1 January 2001.
    mutating func readDate() throws(Failure) -> Date {
        guard try peek() == .number else { throw failure("expected a date, in seconds since 2001") }
        let start = offset
        guard let seconds = try readNumber().double else { throw Failure(reason: "a number out of Double's range", offset: start) }
        return Date(timeIntervalSinceReferenceDate: seconds)
    }

    /// An enum by its raw value, as synthesized `Codable` reads a `String`-backed enum.
    mutating func readRawValue<T: RawRepresentable<String>>(_: T.Type = T.self) throws(Failure) -> T {
        guard try peek() == .string else { throw failure("expected a string") }
        let start = offset
        guard let value = T(rawValue: try readString()) else { throw Failure(reason: "not one of the known values", offset: start) }
        return value
    }

    /// An array of dates; a failure names the element's index.
    mutating func readDates() throws(Failure) -> [Date] {
        try readArray { reader throws(Failure) in try reader.readDate() }
    }

    /// An array of strings; a failure names the element's index.
    mutating func readStrings() throws(Failure) -> [String] {
        try readArray { reader throws(Failure) in try reader.readString() }
    }

    /// An array whose elements `element` reads; a failure names the element's index.
    private mutating func readArray<T>(_ element: (inout JSONReader) throws(Failure) -> T) throws(Failure) -> [T] {
        guard try peek() == .array else { throw failure("expected an array") }
        var values: [T] = []
        try beginArray()
        while try nextElement() {
            do throws(Failure) {
                values.append(try element(&self))
            } catch {
                throw error.inside(.index(values.count))
            }
        }
        return values
    }

    /// `value`, read for `field` of the object just read; a failure at the object's end
    /// if it was missing there, or `null`, as `JSONDecoder` fails on a required key.
    func required<T, Field: JSONField>(_ value: T?, _ field: Field) throws(Failure) -> T {
        guard let value else { throw Failure(reason: "missing or null in the object that ends", offset: offset - 1).inside(field) }
        return value
    }
}
