import Foundation

/// A small, strict reader of the messages the `email` channel writes, for
/// assertions: header fields unfolded, RFC 2047 decoded on request,
/// multipart split, quoted-printable decoded. Written independently of the
/// encoder, so a test does not check the encoder against itself.
struct ParsedMessage {
    /// Unfolded header fields in order; values as written (still encoded).
    var fields: [(name: String, value: String)]
    var body: String

    init(_ text: String) {
        let split = text.range(of: "\r\n\r\n")
        let head = split.map { String(text[..<$0.lowerBound]) } ?? text
        body = split.map { String(text[$0.upperBound...]) } ?? ""
        var fields: [(name: String, value: String)] = []
        for line in head.components(separatedBy: "\r\n") {
            if line.hasPrefix(" ") || line.hasPrefix("\t"), !fields.isEmpty {
                fields[fields.count - 1].value += line  // unfolding: drop the CRLF only
            } else if let colon = line.firstIndex(of: ":") {
                let value = line[line.index(after: colon)...]
                fields.append((name: String(line[..<colon]), value: String(value.hasPrefix(" ") ? value.dropFirst() : value)))
            } else {
                fields.append((name: line, value: ""))  // not a header: will show in names
            }
        }
        self.fields = fields
    }

    var names: [String] { fields.map(\.name) }

    func values(_ name: String) -> [String] {
        fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    func header(_ name: String) -> String? { values(name).first }

    /// The value with encoded-words decoded (whitespace between adjacent encoded-words dropped).
    func decoded(_ name: String) -> String? { header(name).map(Self.decodeWords) }

    /// The parts of a multipart body: each a parsed message of its own.
    var parts: [ParsedMessage] {
        guard let type = header("Content-Type"), let range = type.range(of: "boundary=\"") else { return [] }
        let boundary = String(type[range.upperBound...].prefix { $0 != "\"" })
        let sections = body.components(separatedBy: "--\(boundary)")
        // [preamble, part, part, "--\r\n" epilogue]
        return sections.dropFirst().filter { !$0.hasPrefix("--") }.map { section in
            var text = section
            if text.hasPrefix("\r\n") { text.removeFirst() }  // "\r\n" is one Character
            if text.hasSuffix("\r\n") { text.removeLast() }
            return ParsedMessage(text)
        }
    }

    /// A part's body, transfer-decoded.
    var decodedBody: String {
        switch header("Content-Transfer-Encoding")?.lowercased() {
        case "quoted-printable": Self.decodeQuotedPrintable(body)
        case "base64": String(decoding: Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: "")) ?? Data(), as: UTF8.self)
        default: body
        }
    }

    static func decodeQuotedPrintable(_ text: String) -> String {
        var bytes: [UInt8] = []
        let lines = text.components(separatedBy: "\r\n")
        for (index, line) in lines.enumerated() {
            var line = Array(line.utf8)
            let soft = line.last == UInt8(ascii: "=")
            if soft { line.removeLast() }
            var i = 0
            while i < line.count {
                if line[i] == UInt8(ascii: "="), i + 2 < line.count + 0, let byte = UInt8(String(decoding: line[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                    bytes.append(byte)
                    i += 3
                } else {
                    bytes.append(line[i])
                    i += 1
                }
            }
            if !soft && index < lines.count - 1 { bytes += [0x0D, 0x0A] }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// RFC 2047 `B` and `Q` encoded-words (UTF-8) decoded.
    static func decodeWords(_ value: String) -> String {
        let pattern = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/
        var out = ""
        var rest = Substring(value)
        var lastWasWord = false
        while let match = rest.firstMatch(of: pattern) {
            let between = rest[..<match.range.lowerBound]
            if !(lastWasWord && between.allSatisfy { $0 == " " || $0 == "\t" }) {
                out += between
            }
            let payload = String(match.output.3)
            let bytes: [UInt8]
            if match.output.2.uppercased() == "B" {
                bytes = Array(Data(base64Encoded: payload) ?? Data())
            } else {
                bytes = Array(decodeQuotedPrintable(payload.replacingOccurrences(of: "_", with: " ")).utf8)
            }
            out += String(decoding: bytes, as: UTF8.self)
            rest = rest[match.range.upperBound...]
            lastWasWord = true
        }
        return out + rest
    }
}
