/// A cursor over the body: lines and length-prefixed payloads, no copying.
struct SentryEnvelopeReader {
    let body: [UInt8]
    var position = 0

    init(body: [UInt8]) {
        self.body = body
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09
    }

    /// The bytes up to the next `\n` (not included) or the end; moves past the `\n`.
    mutating func line() -> ArraySlice<UInt8> {
        let newline = body[position...].firstIndex(of: UInt8(ascii: "\n"))
        let end = newline ?? body.endIndex
        defer { position = newline.map { $0 + 1 } ?? body.endIndex }
        return body[position..<end]
    }

    /// Skips lines holding only whitespace; `false` at the end of the body.
    mutating func skipBlankLines() -> Bool {
        while position < body.endIndex {
            let newline = body[position...].firstIndex(of: UInt8(ascii: "\n")) ?? body.endIndex
            guard body[position..<newline].allSatisfy(Self.isSpace) else { return true }
            position = min(newline + 1, body.endIndex)
        }
        return false
    }

    /// `'x'` for printable ASCII, `'\r'`, else the byte in hex.
    static func describe(_ byte: UInt8) -> String {
        switch byte {
        case 0x0d: "'\\r'"
        case 0x20...0x7e: "'\(Character(Unicode.Scalar(byte)))'"
        default: "byte 0x\(String(byte, radix: 16))"
        }
    }

    /// Exactly `length` bytes, then a `\n` or the end of the body.
    mutating func payload(length: Int, item: Int) throws(IngestError) -> ArraySlice<UInt8> {
        let left = body.endIndex - position
        guard length <= left else {
            throw IngestError("envelope item \(item): length \(length) runs past the end of the body (\(left) bytes left)")
        }
        let end = position + length
        let payload = body[position..<end]
        if end < body.endIndex {
            guard body[end] == UInt8(ascii: "\n") else {
                let found = Self.describe(body[end])
                throw IngestError("envelope item \(item): the \(length)-byte payload is followed by \(found), not a newline (is length right?)")
            }
            position = end + 1
        } else {
            position = end
        }
        return payload
    }
}
