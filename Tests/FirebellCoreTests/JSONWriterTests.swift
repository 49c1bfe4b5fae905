import Foundation
import Testing
@testable import FirebellCore

@Suite("JSONWriter")
struct JSONWriterTests {
    private func text(_ write: (inout JSONWriter) -> Void) throws -> String {
        var writer = JSONWriter(reservingCapacity: 16)
        write(&writer)
        return String(decoding: try writer.finish(), as: UTF8.self)
    }

    private func decodedString(_ value: String) throws -> String {
        var writer = JSONWriter()
        writer.string(value)
        return try JSONDecoder().decode(String.self, from: Data(try writer.finish()))
    }

    @Test func stringsEscapeQuotesBackslashesAndControlCharacters() throws {
        #expect(try text { $0.string("a\"b\\c") } == #""a\"b\\c""#)
        #expect(try text { $0.string("\n\r\t\u{08}\u{0C}") } == #""\n\r\t\b\f""#)
        #expect(try text { $0.string("\u{00}\u{01}\u{1F}x") } == #""\u0000\u0001\u001fx""#)
        #expect(try text { $0.string("") } == #""""#)
    }

    @Test func everythingAboveTheControlCharactersPassesThroughAsUTF8() throws {
        let value = "/ \u{7F} é 中 😀 👩‍👩‍👧 \u{2028}\u{2029} \u{FFFF} \u{10FFFF}"
        #expect(try text { $0.string(value) } == "\"\(value)\"")
    }

    @Test func everyASCIICharacterDecodesBackToItself() throws {
        let all = String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self)
        #expect(try decodedString(all) == all)
        for scalar in 0..<0x80 {
            let one = String(UnicodeScalar(UInt8(scalar)))
            #expect(try decodedString("x\(one)y\(one)") == "x\(one)y\(one)")
        }
    }

    @Test func integersCoverTheWholeRange() throws {
        #expect(try text { $0.integer(0) } == "0")
        #expect(try text { $0.integer(-7) } == "-7")
        #expect(try text { $0.integer(1_000_000) } == "1000000")
        #expect(try text { $0.integer(Int64.max) } == "9223372036854775807")
        #expect(try text { $0.integer(Int64.min) } == "-9223372036854775808")
        #expect(try text { $0.integer(Int.min) } == "-9223372036854775808")
    }

    @Test func doublesDecodeToTheIdenticalBits() throws {
        let values: [Double] = [
            0, -0.0, 1, -1, 0.1, 1.0 / 3, 1e-7, 123_456_789.123_456_78, 797_000_000.000_001,
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude,
            .leastNormalMagnitude, .ulpOfOne, 1e21, 1e22, 9_007_199_254_740_991, -63_113_904_000,
        ]
        for value in values {
            var writer = JSONWriter()
            writer.double(value)
            let decoded = try JSONDecoder().decode(Double.self, from: Data(try writer.finish()))
            #expect(decoded.bitPattern == value.bitPattern || (value == 0 && decoded == 0), "\(value)")
        }
    }

    @Test func nonFiniteNumbersMakeFinishThrow() {
        for value in [Double.nan, .infinity, -.infinity] {
            #expect(throws: JSONWriter.NonFiniteNumber.self) {
                try self.text { writer in
                    writer.beginArray()
                    writer.double(value)
                    writer.endArray()
                }
            }
        }
    }

    @Test func commasSeparateSiblingsAtEveryDepth() throws {
        let json = try text { writer in
            writer.beginObject()
            writer.field("a", 1)
            writer.key("b")
            writer.beginArray()
            writer.beginObject()
            writer.endObject()
            writer.beginArray()
            writer.endArray()
            writer.null()
            writer.bool(true)
            writer.endArray()
            writer.key("tag \"x\"")
            writer.strings([String: String]())
            writer.field("absent", String?.none)
            writer.field("c", false)
            writer.endObject()
        }
        #expect(json == #"{"a":1,"b":[{},[],null,true],"tag \"x\"":{},"c":false}"#)
    }

    @Test func datesAreSecondsSinceTheReferenceDateLikeJSONEncoderWritesThem() throws {
        let date = Date(timeIntervalSinceReferenceDate: 797_000_000.25)
        #expect(try text { $0.date(date) } == "797000000.25")
        let encoded = try JSONDecoder().decode(Double.self, from: JSONEncoder().encode(date))
        #expect(encoded == 797_000_000.25)
    }
}
