import Foundation
import Testing

@testable import FirebellCore

/// The reader on its own: RFC 8259 in, values out, failures where JSON is broken.
struct JSONReaderTests {
    func read<T>(_ text: String, _ body: (inout JSONReader) throws(JSONReader.Failure) -> T) throws(JSONReader.Failure) -> T {
        try JSONReader.withReader(Array(text.utf8)[...], body)
    }

    func string(_ text: String) throws(JSONReader.Failure) -> String {
        try read(text) { reader throws(JSONReader.Failure) in try reader.readString() }
    }

    func skips(_ text: String) -> Bool {
        (try? read(text) { reader throws(JSONReader.Failure) in try reader.skip() }) != nil
    }

    func skips(_ bytes: [UInt8]) -> Bool {
        (try? JSONReader.withReader(bytes[...]) { reader throws(JSONReader.Failure) in try reader.skip() }) != nil
    }

    /// `JSONDecoder`'s reading of one string, for comparison.
    func decoded(_ text: String) -> String? {
        try? JSONDecoder().decode([String].self, from: Data("[\(text)]".utf8))[0]
    }

    // MARK: - Values

    @Test func readsAnObjectFieldByFieldAndSkipsTheRest() throws {
        let text = #" { "name" : "firebell", "junk": {"a": [1, 2.5e-3, true, null, "x"], "b": {}}, "count": 42, "ok": false, "none": null } "#
        let (name, count, ok, sawNull) = try read(text) { reader throws(JSONReader.Failure) in
            var name = "", count: Int64 = 0, ok = true, sawNull = false
            try reader.beginObject()
            while let key = try reader.nextKey() {
                switch key {
                case "name": name = try reader.readString()
                case "count": count = try reader.readNumber().int64 ?? -1
                case "ok": ok = try reader.readBool()
                case "none": sawNull = try reader.skipNull()
                default: try reader.skip()
                }
            }
            return (name, count, ok, sawNull)
        }
        #expect(name == "firebell")
        #expect(count == 42)
        #expect(ok == false)
        #expect(sawNull)
    }

    @Test func readsArraysElementByElement() throws {
        let values = try read("[1, -2 ,3]") { reader throws(JSONReader.Failure) in
            var values: [Int64] = []
            try reader.beginArray()
            while try reader.nextElement() {
                values.append(try reader.readNumber().int64 ?? 0)
            }
            return values
        }
        #expect(values == [1, -2, 3])
        #expect(try read("[ ]") { reader throws(JSONReader.Failure) in
            try reader.beginArray()
            return try reader.nextElement()
        } == false)
    }

    @Test func peekNamesTheNextValuesKind() throws {
        let kinds = try read(#"[{}, [], "s", -1, true, false, null]"#) { reader throws(JSONReader.Failure) in
            var kinds: [JSONReader.Kind] = []
            try reader.beginArray()
            while try reader.nextElement() {
                kinds.append(try reader.peek())
                try reader.skip()
            }
            return kinds
        }
        #expect(kinds == [.object, .array, .string, .number, .bool, .bool, .null])
    }

    // MARK: - Strings

    @Test func decodesEveryEscape() throws {
        #expect(try string(#""a\"b\\c\/d\be\ff\ng\rh\ti""#) == "a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti")
        #expect(try string(#""\u00e9\u00C9 \u20ac \ud83d\ude00 \uD83D\uDE00 \u0000""#) == "éÉ € 😀 😀 \u{0}")
        #expect(try string(#""caf\u00e9 and raw é, 日本, 😀""#) == "café and raw é, 日本, 😀")
        #expect(try string(#""""#) == "")
    }

    @Test func rejectsWhatJSONDecoderRejectsInAString() {
        for text in [
            #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800x""#, #""\udbff\udbff""#,  // surrogates
            #""\q""#, #""\u00g0""#, #""\u12""#, #""\x41""#, #""\'""#,  // escapes
            "\"a\u{1}b\"", "\"tab\there\"", "\"new\nline\"",  // control characters
            #""unterminated"#, #""ends in a backslash\"#,
        ] {
            #expect(throws: JSONReader.Failure.self, "\(text)") { try string(text) }
            #expect(decoded(text) == nil, "JSONDecoder should reject \(text) too")
        }
    }

    @Test func rejectsInvalidUTF8InAStringItReads() {
        for bad: [UInt8] in [[0xff], [0xc3], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf]] {
            let plain = [UInt8(ascii: "\"")] + bad + [UInt8(ascii: "\"")]
            let escaped = Array(#""\n"#.utf8) + bad + [UInt8(ascii: "\"")]
            for text in [plain, escaped] {
                #expect(throws: JSONReader.Failure.self) {
                    try JSONReader.withReader(text[...]) { reader throws(JSONReader.Failure) in try reader.readString() }
                }
            }
            // Skipped strings are not decoded, by JSONDecoder either.
            #expect(skips(plain))
        }
    }

    /// Strings built from pieces that exercise escapes, surrogates and non-ASCII text:
    /// the reader decodes each exactly as JSONDecoder does.
    @Test func decodesStringsAsJSONDecoderDoes() throws {
        let pieces = [
            "a", "é", "日本", "😀", #"\""#, #"\\"#, #"\/"#, #"\n"#, #"\u0041"#, #"\u00e9"#, #"\ud83d\ude00"#,
            #"\u0000"#, #"\u001f"#, #"\uffff"#, #"\ufeff"#, "e\u{301}", " ", "~",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let count = Int.random(in: 0...8, using: &generator)
            let text = "\"" + (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined() + "\""
            let expected = try #require(decoded(text), "\(text)")
            let actual = try string(text)
            #expect(Array(actual.unicodeScalars) == Array(expected.unicodeScalars), "\(text)")
        }
    }

    /// Strings are scanned eight bytes at a time: every length, with an escape, a
    /// control character, a non-ASCII character or invalid UTF-8 at every position, both
    /// where the text ends with the string and where more follows, read as JSONDecoder reads them.
    @Test func scansStringsOfEveryLengthAndEveryPosition() throws {
        let letters = Array("abcdefghijklmnopqrstuvwxyz".utf8)
        let inserts: [[UInt8]] = [Array(#"\n"#.utf8), Array(#"\""#.utf8), [0x01], [0x1f], Array("é".utf8), Array("😀".utf8), [0xff], [0xc3]]
        for length in 0...20 {
            for position in 0...length {
                for insert in inserts + [[]] {
                    let content = letters[..<position] + insert + letters[position..<length]
                    let quoted = [UInt8(ascii: "\"")] + content + [UInt8(ascii: "\"")]
                    let expected = try? JSONDecoder().decode([String].self, from: Data([UInt8(ascii: "[")] + quoted + Array(#", "x"]"#.utf8)))[0]
                    for text in [quoted, Array("[".utf8) + quoted + Array(#", "x"]"#.utf8)] {
                        let actual = try? JSONReader.withReader(text[...]) { reader throws(JSONReader.Failure) in
                            guard try reader.peek() == .array else { return try reader.readString() }
                            try reader.beginArray()
                            _ = try reader.nextElement()
                            let string = try reader.readString()
                            while try reader.nextElement() { try reader.skip() }
                            return string
                        }
                        #expect(actual.map { Array($0.utf8) } == expected.map { Array($0.utf8) }, "\(text)")
                        // A skipped string ends where a read one does, or both fail (UTF-8 aside).
                        if insert.first.map({ $0 < 0x80 }) ?? true {
                            #expect(skips(text) == (actual != nil), "\(text)")
                        }
                    }
                }
            }
        }
    }

    // MARK: - Keys

    @Test func keysCompareAsBytesAgainstNames() throws {
        let names = try read(#"{"event_id": 1, "\u0065vent_id": 2, "évent": 3, "Event_id": 4, "event_i": 5}"#) { reader throws(JSONReader.Failure) in
            var matches: [Bool] = []
            try reader.beginObject()
            while let key = try reader.nextKey() {
                matches.append(key == "event_id")
                try reader.skip()
            }
            return matches
        }
        #expect(names == [true, true, false, false, false])
    }

    @Test func keysAreCheckedLikeStrings() {
        for text in [#"{"\q": 1}"#, #"{"\ud800": 1}"#, "{\"a\u{1}\": 1}", #"{a: 1}"#, #"{'a': 1}"#, #"{1: 1}"#] {
            #expect(throws: JSONReader.Failure.self, "\(text)") {
                try read(text) { reader throws(JSONReader.Failure) in
                    try reader.beginObject()
                    while try reader.nextKey() != nil { try reader.skip() }
                }
            }
        }
    }

    @Test func keyTextIsDecoded() throws {
        let keys = try read(#"{"plain": 1, "caf\u00e9": 2, "日本": 3}"#) { reader throws(JSONReader.Failure) in
            var keys: [String] = []
            try reader.beginObject()
            while let key = try reader.nextKey() {
                keys.append(key.string)
                try reader.skip()
            }
            return keys
        }
        #expect(keys == ["plain", "café", "日本"])
    }

    // MARK: - Numbers

    @Test func integersConvertExactlyOrNotAtAll() throws {
        /// The conversions, made while the text is alive (a number points into it).
        func number(_ text: String) throws -> (int64: Int64?, isInteger: Bool, hasExponent: Bool, double: Double?) {
            try read(text) { reader throws(JSONReader.Failure) in
                let number = try reader.readNumber()
                return (number.int64, number.isInteger, number.hasExponent, number.double)
            }
        }
        #expect(try number("0").int64 == 0)
        #expect(try number("-0").int64 == 0)
        #expect(try number("42").int64 == 42)
        #expect(try number("9223372036854775807").int64 == .max)
        #expect(try number("-9223372036854775808").int64 == .min)
        #expect(try number("9223372036854775808").int64 == nil)
        #expect(try number("-9223372036854775809").int64 == nil)
        #expect(try number("1.0").int64 == nil)
        #expect(try number("1e2").int64 == nil)
        #expect(try number("1.0").isInteger == false)
        #expect(try number("1E+2").hasExponent)
        #expect(try number("1796014801.204").double == 1_796_014_801.204)
        #expect(try number("-2.5e-3").double == -0.0025)
        #expect(try number("1e400").double == nil)
    }

    /// Random decimals round to the same Double as JSONDecoder rounds them, which the
    /// timestamp fast path relies on.
    @Test func doublesRoundAsJSONDecoderRoundsThem() throws {
        var generator = SystemRandomNumberGenerator()
        var texts: [String] = []
        for _ in 0..<2_000 {
            let whole = UInt64.random(in: 0...4_000_000_000, using: &generator)
            let digits = Int.random(in: 1...20, using: &generator)
            let fraction = (0..<digits).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
            texts.append("\(Bool.random(using: &generator) ? "-" : "")\(whole).\(fraction)")
        }
        let expected = try JSONDecoder().decode([Double].self, from: Data("[\(texts.joined(separator: ","))]".utf8))
        for (text, value) in zip(texts, expected) {
            let double = try read(text) { reader throws(JSONReader.Failure) in try reader.readNumber().double }
            #expect(double?.bitPattern == value.bitPattern, "\(text)")
        }
    }

    @Test func numbersFollowTheGrammar() {
        for good in ["0", "-0", "10", "0.5", "-1.25", "1e5", "1E-5", "2.5e+10", "0e0"] {
            #expect(skips(good), "\(good)")
        }
        for bad in ["01", "-01", "00", "1.", ".5", "-", "+1", "1e", "1e+", "1.e3", "0x10", "NaN", "Infinity", "-Infinity", "1.2.3", "--1"] {
            #expect(!skips(bad), "\(bad)")
        }
    }

    // MARK: - Structure

    @Test func rejectsBrokenStructure() {
        for bad in [
            "", " ", "[1,]", #"{"a":1,}"#, "[,1]", "{,}", "[1 2]", #"{"a" 1}"#, #"{"a":1 "b":2}"#, "[1}", #"{"a":1]"#,
            "[", "{", #"{"a":"#, "tru", "nul", "True", "{} {}", "[] x", "\u{feff}{}", "[1]\u{0}", "{\u{c}}",
        ] {
            #expect(!skips(bad), "\(bad.debugDescription)")
        }
        for good in ["{}", "[]", " \t\r\n{ } \n", #"{"a":[{"b":[]}],"c":{}}"#, "true", "null", #""x""#] {
            #expect(skips(good), "\(good.debugDescription)")
        }
    }

    @Test func skipChecksEscapesButNotUTF8() {
        #expect(!skips(#"{"a": "\q"}"#))
        #expect(!skips(#"{"a": "\u12"}"#))
        #expect(!skips("{\"a\": \"x\u{1}\"}"))
        #expect(skips(#"{"a": "\ud800"}"#))  // well-formed escape; only decoding judges surrogates
        #expect(skips(Array(#"{"a": ""#.utf8) + [0xff] + Array(#""}"#.utf8)))
    }

    @Test func nestingStopsAtJSONDecodersLimit() {
        func nested(_ depth: Int) -> String {
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        }
        #expect(skips(nested(512)))
        #expect(!skips(nested(513)))
        #expect(!skips(String(repeating: "[", count: 200_000)))
        #expect(!skips(String(repeating: #"{"a":"#, count: 100_000)))
    }

    @Test func failuresSayWhereAndWhy() {
        do {
            _ = try read(#"{"a": [1, 2,]}"#) { reader throws(JSONReader.Failure) in try reader.skip() }
            Issue.record("accepted a trailing comma")
        } catch {
            #expect(error.description == "trailing comma at byte 12")
        }
    }
}
