@testable import FirebellCore

/// JSON as a tree, for making variations of fixtures: member order and repeated keys
/// are kept, and any bytes (valid JSON or not) can stand in for a value or a key.
indirect enum TestJSON {
    /// Keys are kept as written, quotes and escapes included.
    case object([(key: [UInt8], value: TestJSON)])
    case array([TestJSON])
    /// A scalar, or anything else spliced in as is.
    case raw([UInt8])

    /// Loads a fixture; numbers are rewritten in Swift's spelling.
    init(_ text: some Collection<UInt8>) throws {
        self = try JSONReader.withReader(ArraySlice(text)) { reader throws(JSONReader.Failure) in try Self.load(&reader) }
    }

    private static func load(_ reader: inout JSONReader) throws(JSONReader.Failure) -> TestJSON {
        switch try reader.peek() {
        case .object:
            var members: [(key: [UInt8], value: TestJSON)] = []
            try reader.beginObject()
            while let key = try reader.nextKey() {
                members.append((quoted(key.string), try load(&reader)))
            }
            return .object(members)
        case .array:
            var elements: [TestJSON] = []
            try reader.beginArray()
            while try reader.nextElement() {
                elements.append(try load(&reader))
            }
            return .array(elements)
        case .string:
            return .raw(quoted(try reader.readString()))
        case .number:
            let number = try reader.readNumber()
            return .raw(Array((number.int64.map { "\($0)" } ?? "\(number.double ?? 0)").utf8))
        case .bool:
            return .raw(Array("\(try reader.readBool())".utf8))
        case .null:
            try reader.readNull()
            return .raw(Array("null".utf8))
        }
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes += [UInt8(ascii: "\\"), byte]
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            default:
                bytes.append(byte)
            }
        }
        return bytes + [UInt8(ascii: "\"")]
    }

    var bytes: [UInt8] {
        var bytes: [UInt8] = []
        write(into: &bytes)
        return bytes
    }

    private func write(into bytes: inout [UInt8]) {
        switch self {
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes += member.key
                bytes.append(UInt8(ascii: ":"))
                member.value.write(into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                element.write(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .raw(let raw):
            bytes += raw
        }
    }
}

/// Systematic variations of a JSON document: every value replaced by each of
/// `replacements` (wrong types, numbers the Codable path converts, unicode and
/// escapes, nested junk, and JSON that is broken or that only `JSONDecoder` takes);
/// every member removed, repeated, given an escaped key; junk members and elements added.
///
/// Only where a decoder looks: a value under a key no Firebell decoder reads is skipped
/// whole, so it gets only `skippedReplacements` and its insides no variations; and of a
/// list's elements, alike as a stack's frames, only the first and the last are varied.
enum JSONVariations {
    static let replacements: [[UInt8]] = [
        "null", "true", "0", "42", "-0", "1.5", "1.0", "1e2", "12345678901234567890", "1796014801.204",
        #""""#, #""x""#, #""42""#, #""2026-11-30T05:00:00Z""#, #""soon""#, #""warn""#, #""{{auto}}""#,
        #""caf\u00e9 \ud83d\ude00 \n\t\"\\\/ é 日本""#, #""\u0000""#, #""e\u0301""#,
        "[]", "[null]", #"["a", 1, true, null, {}]"#, #"[["k", "v"], ["n", 2], ["x"], null]"#, #"[["k", 1.5]]"#,
        "{}", #"{"x": [1, {"y": null}], "z": "\u00e9"}"#, #"{"values": []}"#, #"{"frames": [{"function": "f", "in_app": true}]}"#,
        #"{"name": "n", "version": 2}"#,
    ].map { Array($0.utf8) } + broken

    /// Broken JSON, or JSON only JSONDecoder's lax scanner takes.
    static let broken: [[UInt8]] = [
        #""\ud800""#, #""\q""#, "[1,]", #"{"a": 1,}"#, "01", "tru",
    ].map { Array($0.utf8) } + [
        [0x22, 0xff, 0x22],  // invalid UTF-8
        [0x22, 0x61, 0x01, 0x22],  // a raw control character
    ]

    static let skippedReplacements: [[UInt8]] = ["null", "1.5", #""x""#, "{}"].map { Array($0.utf8) } + broken

    /// The keys some Firebell decoder reads, in events, envelope headers or item headers.
    static let readKeys: Set<String> = [
        "event_id", "timestamp", "level", "message", "environment", "service", "release", "platform", "exception",
        "fingerprint", "tags", "user", "url", "type", "value", "stacktrace", "frames", "module", "function", "filename",
        "lineno", "in_app", "id", "email", "username", "ip_address", "logger", "dist", "server_name", "logentry",
        "formatted", "params", "values", "mechanism", "handled", "abs_path", "request", "contexts", "os", "runtime",
        "browser", "name", "version", "dsn", "sent_at", "length", "content_type",
    ]

    /// A member and an element big enough that skipping them is work.
    static let junk = Array(#"{"breadcrumbs": {"values": [{"timestamp": 1796014799.87, "category": "ui.click", "message": "button#pay \u00e9", "data": {"nested": [[[{"deep": [1, 2.5e-3, true, false, null, "x"]}]]]}}]}, "vars": {"a": "\ud83d\ude00"}}"#.utf8)

    /// Every variation of `json`, with a name saying where and what changed.
    static func of(_ json: TestJSON) -> [(name: String, json: TestJSON)] {
        var variations: [(name: String, json: TestJSON)] = []
        vary(json, at: "") { variations.append(($0, $1)) }
        return variations
    }

    private static func vary(_ json: TestJSON, at path: String, _ emit: (String, TestJSON) -> Void) {
        for replacement in replacements {
            emit("\(path) = \(String(decoding: replacement, as: UTF8.self))", .raw(replacement))
        }
        switch json {
        case .object(let members):
            for (index, member) in members.enumerated() {
                let name = "\(path).\(String(decoding: member.key, as: UTF8.self))"
                var removed = members
                removed.remove(at: index)
                emit("\(name) removed", .object(removed))
                emit("\(name) twice", .object(members + [member]))
                emit("\(name) twice, then null", .object(members + [(member.key, .raw(Array("null".utf8)))]))
                emit("\(name) twice, first null", .object([(member.key, .raw(Array("null".utf8)))] + members))
                var escaped = members
                escaped[index].key = escape(member.key)
                emit("\(name) escaped", .object(escaped))
                func change(_ name: String, _ value: TestJSON) {
                    var changed = members
                    changed[index].value = value
                    emit(name, .object(changed))
                }
                if readKeys.contains(String(decoding: member.key.dropFirst().dropLast(), as: UTF8.self)) {
                    vary(member.value, at: name, change)
                } else {
                    for replacement in skippedReplacements {
                        change("\(name) = \(String(decoding: replacement, as: UTF8.self))", .raw(replacement))
                    }
                }
            }
            emit("\(path) + junk", .object(members + [(Array(#""junk""#.utf8), .raw(junk))]))
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                var removed = elements
                removed.remove(at: index)
                emit("\(path)[\(index)] removed", .array(removed))
                guard index == 0 || index == elements.count - 1 else { continue }
                vary(element, at: "\(path)[\(index)]") { change, value in
                    var changed = elements
                    changed[index] = value
                    emit(change, .array(changed))
                }
            }
            emit("\(path) + null", .array(elements + [.raw(Array("null".utf8))]))
            emit("\(path) + junk", .array([.raw(junk)] + elements))
        case .raw:
            break
        }
    }

    /// `"key"` as `"\u006bey"`: the same key to a decoder.
    private static func escape(_ key: [UInt8]) -> [UInt8] {
        guard key.count > 2, key[1] < 0x80, key[1] != UInt8(ascii: "\\") else { return key }
        let hex = Array("0123456789abcdef".utf8)
        let first = key[1]
        return [key[0]] + Array("\\u00".utf8) + [hex[Int(first >> 4)], hex[Int(first & 0xf)]] + key[2...]
    }
}
