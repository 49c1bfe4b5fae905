/// A strict pull reader over UTF-8 JSON text (RFC 8259): Firebell's one JSON reader,
/// for the ingest fast paths and for the issues and alerts the store keeps as JSON.
///
/// Foundation's `JSONDecoder` maps the whole document, then Codable asks for each
/// field through containers that throw `DecodingError` at every miss: 30–50 µs for
/// a 1 KB event. This reader walks the bytes once. The caller pulls the values it
/// wants, compares keys as bytes against static names, and `skip()`s the rest
/// (a Sentry event's breadcrumbs, source context, modules) without allocating.
/// It knows nothing of events.
///
/// Strict where `JSONDecoder` is lenient. `JSONDecoder` accepts trailing commas,
/// malformed numbers in places it never reads, and control characters or bad
/// escapes in strings it never decodes; this reader fails on anything outside
/// RFC 8259. On a request body the fast paths then leave it to the Codable path,
/// which decides as it always did and words the client's error. The store's rows,
/// which only `JSONWriter` writes, have no second path: a failure is the error, and
/// it names the byte offset and the key path (`Failure.path`). Strings the caller reads, and the keys of objects
/// it reads field by field (which `JSONDecoder` always decodes), are checked as
/// `JSONDecoder` checks them: escapes, surrogate pairs, UTF-8. Skipped strings
/// are checked for escapes and control characters, not for UTF-8, which
/// `JSONDecoder` never looks at either.
///
/// Nesting deeper than `JSONDecoder`'s 512 arrays and objects fails, so skipping
/// a hostile body cannot overflow the stack.
///
/// A reader lives inside `JSONReader.read(_:from:)` or `withReader(_:_:)`,
/// which keep the bytes alive: keys and numbers point into them.
struct JSONReader {
    /// Why reading stopped and where. The reason is static text and the path starts
    /// empty, so a fast path that gives up allocates nothing.
    struct Failure: Error, CustomStringConvertible {
        let reason: StaticString
        /// The byte the reader was at.
        let offset: Int
        /// The keys and indexes from the document's top to the value that failed, filled
        /// in by readers whose errors reach an operator (`inside(_:)`), outermost first.
        private(set) var path: [PathComponent] = []

        init(reason: StaticString, offset: Int) {
            self.reason = reason
            self.offset = offset
        }

        /// The failure as met inside `component`: a key or an index one level up.
        func inside(_ component: PathComponent) -> Failure {
            var failure = self
            failure.path.insert(component, at: 0)
            return failure
        }

        /// The failure as met inside the value of `field`.
        func inside<Field: JSONField>(_ field: Field) -> Failure {
            inside(.key(Field.names[field.rawValue]))
        }

        /// `mute.until`, `topFrames[2]`.
        var pathText: String {
            var text = ""
            for component in path {
                switch component {
                case .key(let name):
                    if !text.isEmpty { text += "." }
                    text += "\(name)"
                case .index(let index):
                    text += "[\(index)]"
                }
            }
            return text
        }

        var description: String {
            path.isEmpty ? "\(reason) at byte \(offset)" : "'\(pathText)': \(reason) at byte \(offset)"
        }
    }

    /// One step of `Failure.path`.
    enum PathComponent {
        case key(StaticString)
        case index(Int)
    }

    /// What the next value is, judged by its first byte.
    enum Kind {
        case object, array, string, number, bool, null
    }

    /// `JSONDecoder`'s limit: 512 nested arrays and objects are fine, 513 are not.
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    /// The byte the reader is at: after `peek()`, the next value's first byte.
    private(set) var offset = 0
    private var depth = 0
    /// Set by `beginObject`/`beginArray` until the container's first member, which takes no comma.
    private var atFirstMember = false
    /// Whether the text is a `String`'s, valid UTF-8 by construction, so strings read from
    /// it need no check.
    private let isValidUTF8: Bool

    private init(_ bytes: UnsafeBufferPointer<UInt8>, isValidUTF8: Bool) {
        self.bytes = bytes
        self.isValidUTF8 = isValidUTF8
    }

    /// Runs `body` on a reader over `bytes`, then requires that only whitespace is left.
    static func withReader<T>(
        _ bytes: ArraySlice<UInt8>, _ body: (inout JSONReader) throws(Failure) -> T
    ) throws(Failure) -> T {
        let result: Result<T, Failure> = bytes.withUnsafeBufferPointer { buffer in
            reading(buffer, isValidUTF8: false, body)
        }
        return try result.get()
    }

    /// `withReader` over a string's UTF-8, read in place.
    static func withReader<T>(_ text: String, _ body: (inout JSONReader) throws(Failure) -> T) throws(Failure) -> T {
        var text = text
        let result: Result<T, Failure> = text.withUTF8 { buffer in
            reading(buffer, isValidUTF8: true, body)
        }
        return try result.get()
    }

    private static func reading<T>(
        _ buffer: UnsafeBufferPointer<UInt8>, isValidUTF8: Bool, _ body: (inout JSONReader) throws(Failure) -> T
    ) -> Result<T, Failure> {
        var reader = JSONReader(buffer, isValidUTF8: isValidUTF8)
        return Result { () throws(Failure) -> T in
            let value = try body(&reader)
            try reader.expectEnd()
            return value
        }
    }

    /// A whole JSON text read as `T`, or the reason the fast path gave up on it.
    static func read<T: JSONReadable>(_ type: T.Type, from bytes: ArraySlice<UInt8>) throws(Failure) -> T {
        try withReader(bytes) { reader throws(Failure) in try T(reading: &reader) }
    }

    /// A whole JSON text read as `T`, or the reason it could not be.
    static func read<T: JSONReadable>(_ type: T.Type, from text: String) throws(Failure) -> T {
        try withReader(text) { reader throws(Failure) in try T(reading: &reader) }
    }

    /// A failure at the current byte; fast paths throw it to give up.
    func failure(_ reason: StaticString) -> Failure {
        Failure(reason: reason, offset: offset)
    }

    // MARK: - Values

    /// The kind of the next value, after whitespace.
    mutating func peek() throws(Failure) -> Kind {
        switch try nextByte() {
        case UInt8(ascii: "{"): .object
        case UInt8(ascii: "["): .array
        case UInt8(ascii: "\""): .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): .bool
        case UInt8(ascii: "n"): .null
        default: throw failure("no JSON value starts with this byte")
        }
    }

    mutating func readNull() throws(Failure) {
        try expectWord("null")
    }

    /// Consumes a `null` if one is next: `decodeIfPresent`'s test.
    mutating func skipNull() throws(Failure) -> Bool {
        guard try peek() == .null else { return false }
        try readNull()
        return true
    }

    mutating func readBool() throws(Failure) -> Bool {
        if try nextByte() == UInt8(ascii: "t") {
            try expectWord("true")
            return true
        }
        try expectWord("false")
        return false
    }

    /// Consumes the next value, whatever it is, checking its syntax but decoding nothing.
    mutating func skip() throws(Failure) {
        switch try nextByte() {
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "{"):
            try beginObject()
            while try nextMember(closing: UInt8(ascii: "}")) {
                try skipString()
                try expect(UInt8(ascii: ":"))
                try skipMember()
            }
        case UInt8(ascii: "["):
            try beginArray()
            while try nextMember(closing: UInt8(ascii: "]")) {
                try skipMember()
            }
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            _ = try readBool()
        case UInt8(ascii: "n"):
            try readNull()
        default:
            _ = try readNumber()
        }
    }

    /// `skip()` for a member of a container being skipped, strings (most of them) without a call.
    @inline(__always)
    private mutating func skipMember() throws(Failure) {
        if try nextByte() == UInt8(ascii: "\"") {
            try skipString()
        } else {
            try skip()
        }
    }

    // MARK: - Objects and arrays

    /// Consumes `{`; then call `nextKey()` until it returns `nil`.
    mutating func beginObject() throws(Failure) {
        try enter(UInt8(ascii: "{"))
    }

    /// The next key of the object being read, its `:` consumed, ready for the value;
    /// `nil` once the closing `}` is consumed.
    mutating func nextKey() throws(Failure) -> Key? {
        guard try nextMember(closing: UInt8(ascii: "}")) else { return nil }
        let key = try readKey()
        try expect(UInt8(ascii: ":"))
        return key
    }

    /// Consumes `[`; then call `nextElement()` before each element until it returns `false`.
    mutating func beginArray() throws(Failure) {
        try enter(UInt8(ascii: "["))
    }

    /// Whether another element follows (ready to be read); `false` once the closing `]` is consumed.
    mutating func nextElement() throws(Failure) -> Bool {
        try nextMember(closing: UInt8(ascii: "]"))
    }

    private mutating func enter(_ opening: UInt8) throws(Failure) {
        try expect(opening)
        guard depth < Self.maximumDepth else { throw failure("nested deeper than 512 arrays and objects") }
        depth += 1
        atFirstMember = true
    }

    /// Consumes the comma before a member, or the closing bracket; rejects trailing commas.
    @inline(__always)
    private mutating func nextMember(closing: UInt8) throws(Failure) -> Bool {
        let byte = try nextByte()
        if byte == closing {
            offset += 1
            depth -= 1
            atFirstMember = false
            return false
        }
        if atFirstMember {
            atFirstMember = false
            return true
        }
        guard byte == UInt8(ascii: ",") else { throw failure("expected a comma or the end of the container") }
        offset += 1
        guard try nextByte() != closing else { throw failure("trailing comma") }
        return true
    }

    // MARK: - Strings

    /// The next string, decoded as `JSONDecoder` decodes it, failing where it fails:
    /// on a control character, a bad escape, a lone surrogate or invalid UTF-8.
    mutating func readString() throws(Failure) -> String {
        guard try nextByte() == UInt8(ascii: "\"") else { throw failure("expected a string") }
        offset += 1
        let start = offset
        let run = plainRun(from: start)
        offset = run.end
        guard offset < bytes.count else { throw failure("unterminated string") }
        switch bytes[offset] {
        case UInt8(ascii: "\""):
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<offset])
            offset += 1
            if run.isASCII { return String(decoding: raw, as: UTF8.self) }
            return try string(raw)
        case UInt8(ascii: "\\"):
            return try readEscapedString(from: start)
        default:
            throw failure("control character in a string")
        }
    }

    /// The rest of a string from its first backslash; `start` is just past the opening quote.
    private mutating func readEscapedString(from start: Int) throws(Failure) -> String {
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<offset]))
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                // Escapes only ever add whole UTF-8 sequences, so checking the result
                // checks the raw stretches between them, as JSONDecoder does one by one.
                return try utf8.withUnsafeBufferPointer { buffer throws(Failure) in try string(buffer) }
            case UInt8(ascii: "\\"):
                try readEscape(into: &utf8)
            case ..<0x20:
                throw failure("control character in a string")
            default:
                utf8.append(byte)
                offset += 1
            }
        }
        throw failure("unterminated string")
    }

    /// Checked UTF-8 as a `String`. ASCII, the common case, is checked here eight bytes at
    /// a time; the rest by the standard library, as `JSONDecoder` checks it.
    private func string(_ utf8: UnsafeBufferPointer<UInt8>) throws(Failure) -> String {
        if isValidUTF8 || Self.isASCII(utf8) {
            return String(decoding: utf8, as: UTF8.self)
        }
        guard let text = String(validating: utf8, as: UTF8.self) else { throw failure("invalid UTF-8 in a string") }
        return text
    }

    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        var bits: UInt64 = 0
        while index + 8 <= bytes.count {
            bits |= UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            bits |= UInt64(bytes[index])
            index += 1
        }
        return bits & 0x8080_8080_8080_8080 == 0
    }

    /// One escape sequence, from its backslash, appended as UTF-8.
    private mutating func readEscape(into utf8: inout [UInt8]) throws(Failure) {
        offset += 1
        guard offset < bytes.count else { throw failure("unterminated string") }
        let byte = bytes[offset]
        offset += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0c)
        case UInt8(ascii: "n"): utf8.append(0x0a)
        case UInt8(ascii: "r"): utf8.append(0x0d)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try readHexUnit()
            var scalar = Unicode.Scalar(unit)
            if UTF16.isLeadSurrogate(unit) {
                guard bytes.count - offset >= 2, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw failure("high surrogate without a low one")
                }
                offset += 2
                let trail = try readHexUnit()
                guard UTF16.isTrailSurrogate(trail) else { throw failure("high surrogate without a low one") }
                scalar = UTF16.decode(UTF16.EncodedScalar([unit, trail]))
            }
            guard let scalar else { throw failure("low surrogate without a high one") }
            UTF8.encode(scalar) { utf8.append($0) }
        default:
            offset -= 1
            throw failure("unknown escape")
        }
    }

    /// The four hex digits of a `\u` escape.
    private mutating func readHexUnit() throws(Failure) -> UInt16 {
        guard bytes.count - offset >= 4 else { throw failure("unterminated string") }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("not a hex digit in a \\u escape")
            }
            unit = unit << 4 | UInt16(digit)
            offset += 1
        }
        return unit
    }

    /// A key of an object read field by field. `JSONDecoder` decodes every such key, so it is
    /// checked like a string value; plain ASCII keys stay bytes, the rest are decoded.
    @inline(__always)  // one caller, `nextKey`; left to itself the optimizer outlines it (+2 % for a generic event)
    private mutating func readKey() throws(Failure) -> Key {
        try expect(UInt8(ascii: "\""))
        let start = offset
        let run = plainRun(from: start)
        offset = run.end
        guard offset < bytes.count else { throw failure("unterminated string") }
        let raw = UnsafeBufferPointer(rebasing: bytes[start..<offset])
        guard bytes[offset] == UInt8(ascii: "\""), run.isASCII else {
            offset = start - 1
            return Key(decoded: try readString())
        }
        offset += 1
        return Key(ascii: raw)
    }

    /// A string consumed unread: escapes and control characters are checked, UTF-8 is not.
    @inline(__always)
    private mutating func skipString() throws(Failure) {
        try expect(UInt8(ascii: "\""))
        while true {
            offset = plainRun(from: offset).end
            guard offset < bytes.count else { throw failure("unterminated string") }
            switch bytes[offset] {
            case UInt8(ascii: "\""):
                offset += 1
                return
            case UInt8(ascii: "\\"):
                try skipEscape()
            default:
                throw failure("control character in a string")
            }
        }
    }

    /// Where the run of plain string bytes from `start` ends (at the first `"`, backslash
    /// or control character, or at the end of the text) and whether it is all ASCII.
    /// Eight bytes at a time: strings are most of what a reader goes through.
    @inline(__always)
    private func plainRun(from start: Int) -> (end: Int, isASCII: Bool) {
        var index = start
        var seen: UInt64 = 0
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while index + 8 <= bytes.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self))
            // Flags bytes below 0x20, and bytes that are zero once the quote or the
            // backslash is xored away: the "has less than" test, whose lowest flag is exact.
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5c)
            let flags = ((word &- ones &* 0x20) & ~word | (quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & highs
            if flags != 0 {
                let stop = flags.trailingZeroBitCount / 8
                seen |= stop == 0 ? 0 : word & (UInt64.max >> (64 - 8 * stop))
                return (index + stop, seen & highs == 0)
            }
            seen |= word
            index += 8
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            seen |= UInt64(byte)
            index += 1
        }
        return (index, seen & highs == 0)
    }

    private mutating func skipEscape() throws(Failure) {
        offset += 1
        guard offset < bytes.count else { throw failure("unterminated string") }
        let byte = bytes[offset]
        offset += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return
        case UInt8(ascii: "u"):
            _ = try readHexUnit()
        default:
            offset -= 1
            throw failure("unknown escape")
        }
    }

    // MARK: - Numbers

    /// The next number, checked against RFC 8259's grammar (no leading zeros, a digit
    /// on both sides of the point, an exponent with digits); converted on request.
    mutating func readNumber() throws(Failure) -> Number {
        _ = try nextByte()
        let start = offset
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "0") {
            offset += 1
        } else {
            try skipDigits()
        }
        var isInteger = true
        var hasExponent = false
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            isInteger = false
            offset += 1
            try skipDigits()
        }
        if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            hasExponent = true
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") {
                offset += 1
            }
            try skipDigits()
        }
        return Number(literal: UnsafeBufferPointer(rebasing: bytes[start..<offset]), isInteger: isInteger, hasExponent: hasExponent)
    }

    /// One or more digits.
    private mutating func skipDigits() throws(Failure) {
        let start = offset
        while offset < bytes.count, bytes[offset] &- UInt8(ascii: "0") < 10 {
            offset += 1
        }
        guard offset > start else { throw failure("expected a digit") }
    }

    // MARK: - Bytes

    /// The next byte after whitespace, not consumed; fails at the end of the text.
    @inline(__always)
    private mutating func nextByte() throws(Failure) -> UInt8 {
        if offset < bytes.count, bytes[offset] > 0x20 {
            return bytes[offset]
        }
        return try nextByteAfterWhitespace()
    }

    private mutating func nextByteAfterWhitespace() throws(Failure) -> UInt8 {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0a, 0x0d, 0x09: offset += 1
            case let byte: return byte
            }
        }
        throw failure("unexpected end of the text")
    }

    @inline(__always)
    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard try nextByte() == byte else { throw failure("unexpected byte") }
        offset += 1
    }

    private mutating func expectWord(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - offset >= count else { throw failure("unexpected end of the text") }
        for index in 0..<count where bytes[offset + index] != word.utf8Start[index] {
            offset += index
            throw failure("misspelled literal")
        }
        offset += count
    }

    private mutating func expectEnd() throws(Failure) {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0a, 0x0d, 0x09: offset += 1
            default: throw failure("more text after the value")
            }
        }
    }
}

/// A type the fast paths read straight from JSON bytes: the same value its
/// `init(from:)` would decode, or a `JSONReader.Failure` whenever the two might
/// differ, so that `init(from:)` decides.
protocol JSONReadable {
    init(reading reader: inout JSONReader) throws(JSONReader.Failure)
}
