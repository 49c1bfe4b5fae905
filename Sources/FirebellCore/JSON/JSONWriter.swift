import Foundation

/// Appends compact JSON to a byte buffer, for the hot paths where `JSONEncoder` costs too much.
///
/// `JSONEncoder` builds a tree of boxed values and walks it again to print; for the
/// store's per-event writes that is most of the cost of an event. This writer prints
/// straight into one growing buffer, and the hand-written encoders on top of it
/// (`Event.writeJSON(to:)` and friends) follow the types' synthesized `Codable`
/// conformances, so `JSONDecoder()` reads their output back as it reads `JSONEncoder`'s.
///
/// It checks no structure: the caller opens and closes what it writes. Commas are
/// its only bookkeeping. Keys given as `StaticString` are written as they are and must
/// need no escaping (Swift property names never do); every `String` value is escaped.
public struct JSONWriter: ~Copyable {
    /// The JSON written so far: `count` bytes of a buffer of `capacity`, freed by `deinit`.
    ///
    /// A raw buffer, not a `[UInt8]`: `Array.append` checks uniqueness and capacity
    /// through a runtime call on every byte, which was a third of an event's encoding.
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    /// Whether the next key or value follows a sibling and so needs a comma first.
    private var needsComma = false
    /// The first number JSON cannot spell, if any was written; `finish()` throws it.
    private var nonFiniteNumber: Double?

    /// - Parameter capacity: bytes to reserve up front, so that a typical value is written
    ///   without the buffer growing.
    public init(reservingCapacity capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        storage = .allocate(capacity: self.capacity)
    }

    deinit {
        storage.deallocate()
    }

    /// The finished JSON as bytes.
    ///
    /// - Throws: `NonFiniteNumber` if a NaN or infinite `Double` (or `Date`) was written,
    ///   which JSON has no spelling for; `JSONEncoder` refuses those too.
    public consuming func finish() throws(NonFiniteNumber) -> [UInt8] {
        if let nonFiniteNumber { throw NonFiniteNumber(value: nonFiniteNumber) }
        return Array(UnsafeBufferPointer(start: storage, count: count))
    }

    /// The finished JSON as text, copied once from the buffer.
    ///
    /// - Throws: `NonFiniteNumber`, as `finish()` does.
    public consuming func finishText() throws(NonFiniteNumber) -> String {
        if let nonFiniteNumber { throw NonFiniteNumber(value: nonFiniteNumber) }
        return String(decoding: UnsafeBufferPointer(start: storage, count: count), as: UTF8.self)
    }

    /// A `Double` that JSON cannot represent (NaN or ±infinity).
    public struct NonFiniteNumber: Error, CustomStringConvertible {
        public var value: Double
        public var description: String { "JSON has no spelling for the number \(value)" }
    }

    // MARK: Structure

    public mutating func beginObject() {
        separate()
        append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// An object key known at compile time, written without escaping: it must be plain
    /// ASCII without quotes, backslashes or control characters.
    public mutating func key(_ name: StaticString) {
        name.withUTF8Buffer { name in
            assert(name.allSatisfy { $0 >= 0x20 && $0 < 0x80 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
            reserve(name.count + 4)
            if needsComma { appendReserved(UInt8(ascii: ",")) }
            appendReserved(UInt8(ascii: "\""))
            appendReserved(name)
            appendReserved(UInt8(ascii: "\""))
            appendReserved(UInt8(ascii: ":"))
        }
        needsComma = false
    }

    /// An object key from data (a tag name, say), escaped like any string.
    public mutating func key(_ name: String) {
        string(name)
        append(UInt8(ascii: ":"))
        needsComma = false
    }

    // MARK: Values

    public mutating func null() {
        separate()
        append("null")
    }

    public mutating func bool(_ value: Bool) {
        separate()
        append(value ? "true" : "false")
    }

    public mutating func integer(_ value: Int) {
        integer(Int64(value))
    }

    public mutating func integer(_ value: Int64) {
        separate()
        reserve(20)  // "-9223372036854775808"
        if value < 0 { appendReserved(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits = 1
        var rest = magnitude
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        count += digits
        var index = count - 1
        repeat {
            storage[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
            index -= 1
        } while magnitude > 0
    }

    /// A number in Swift's shortest round-trip spelling (`0.1`, `1e-07`, `797000000.123456`),
    /// which `JSONDecoder` parses back to the identical `Double`.
    ///
    /// NaN and infinities are written as `null` and make `finish()` throw.
    public mutating func double(_ value: Double) {
        guard value.isFinite else {
            if nonFiniteNumber == nil { nonFiniteNumber = value }
            null()
            return
        }
        separate()
        var text = value.description
        text.withUTF8 { append($0) }
    }

    /// A date as `JSONEncoder`'s default strategy writes it (and `JSONDecoder`'s reads it):
    /// seconds since 2001-01-01 00:00 UTC, the reference date.
    public mutating func date(_ value: Date) {
        double(value.timeIntervalSinceReferenceDate)
    }

    /// A string, quoted, with `"`, `\` and the control characters below U+0020 escaped.
    ///
    /// Everything else passes through as UTF-8, which a Swift `String` always is, including
    /// U+2028/U+2029 (valid in JSON) and `/` (which `JSONEncoder` escapes, needlessly).
    public mutating func string(_ value: String) {
        separate()
        let done: Void? = value.utf8.withContiguousStorageIfAvailable { appendQuoted($0) }
        if done == nil {
            Array(value.utf8).withUnsafeBufferPointer { appendQuoted($0) }
        }
    }

    public mutating func strings(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    public mutating func dates(_ values: [Date]) {
        beginArray()
        for value in values { date(value) }
        endArray()
    }

    /// A string-to-string dictionary as an object, in the dictionary's order.
    public mutating func strings(_ values: [String: String]) {
        beginObject()
        for (name, value) in values {
            key(name)
            string(value)
        }
        endObject()
    }

    public mutating func value(_ value: some JSONWritable) {
        value.writeJSON(to: &self)
    }

    public mutating func array(_ values: [some JSONWritable]) {
        beginArray()
        for value in values { value.writeJSON(to: &self) }
        endArray()
    }

    // MARK: Private

    @inline(__always)
    private mutating func separate() {
        if needsComma { append(UInt8(ascii: ",")) }
        needsComma = true
    }

    /// Makes room for `extra` more bytes, doubling the buffer as `Array` would.
    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let newStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newStorage.update(from: storage, count: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        reserve(1)
        appendReserved(byte)
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        appendReserved(bytes)
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    /// Only after `reserve` has made room.
    @inline(__always)
    private mutating func appendReserved(_ byte: UInt8) {
        storage[count] = byte
        count += 1
    }

    /// Only after `reserve` has made room.
    @inline(__always)
    private mutating func appendReserved(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        (storage + count).update(from: base, count: bytes.count)
        count += bytes.count
    }

    /// The string in quotes, escaped; room for it unescaped is made once up front.
    private mutating func appendQuoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        reserve(utf8.count + 2)
        appendReserved(UInt8(ascii: "\""))
        var pending = 0  // start of the bytes not yet copied
        for index in utf8.indices {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            append(UnsafeBufferPointer(rebasing: utf8[pending..<index]))
            appendEscape(for: byte)
            pending = index + 1
        }
        append(UnsafeBufferPointer(rebasing: utf8[pending...]))
        append(UInt8(ascii: "\""))
    }

    private mutating func appendEscape(for byte: UInt8) {
        reserve(6)
        appendReserved(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): appendReserved(byte)
        case 0x0A: appendReserved(UInt8(ascii: "n"))
        case 0x0D: appendReserved(UInt8(ascii: "r"))
        case 0x09: appendReserved(UInt8(ascii: "t"))
        case 0x08: appendReserved(UInt8(ascii: "b"))
        case 0x0C: appendReserved(UInt8(ascii: "f"))
        default:
            let hex: StaticString = "0123456789abcdef"
            appendReserved(UInt8(ascii: "u"))
            appendReserved(UInt8(ascii: "0"))
            appendReserved(UInt8(ascii: "0"))
            hex.withUTF8Buffer { hex in
                appendReserved(hex[Int(byte >> 4)])
                appendReserved(hex[Int(byte & 0x0F)])
            }
        }
    }
}

// MARK: Object members

/// `key: value` pairs for an object's stored properties. A `nil` writes nothing, as
/// synthesized `Codable` omits a `nil` optional (`encodeIfPresent`).
extension JSONWriter {
    public mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    public mutating func field(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        integer(value)
    }

    public mutating func field(_ name: StaticString, _ value: Int64?) {
        guard let value else { return }
        key(name)
        integer(value)
    }

    public mutating func field(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        bool(value)
    }

    public mutating func field(_ name: StaticString, _ value: Date?) {
        guard let value else { return }
        key(name)
        date(value)
    }

    /// An enum by its raw value, as synthesized `Codable` writes a `String`-backed enum.
    public mutating func field(_ name: StaticString, _ value: (some RawRepresentable<String>)?) {
        guard let value else { return }
        key(name)
        string(value.rawValue)
    }

    public mutating func field(_ name: StaticString, _ value: [String]?) {
        guard let value else { return }
        key(name)
        strings(value)
    }

    public mutating func field(_ name: StaticString, _ value: [Date]?) {
        guard let value else { return }
        key(name)
        dates(value)
    }

    public mutating func field(_ name: StaticString, _ value: [String: String]?) {
        guard let value else { return }
        key(name)
        strings(value)
    }

    public mutating func field(_ name: StaticString, _ value: (some JSONWritable)?) {
        guard let value else { return }
        key(name)
        value.writeJSON(to: &self)
    }

    public mutating func field(_ name: StaticString, _ values: [some JSONWritable]?) {
        guard let values else { return }
        key(name)
        array(values)
    }
}
