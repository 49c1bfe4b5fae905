import Foundation
import Testing
@testable import FirebellCore

/// `Issue(jsonText:)` and `Alert(jsonText:)` (one reader, `JSONReader`) read back exactly
/// what `jsonText()` and `JSONEncoder` write. On any other text they read what
/// `JSONDecoder` reads or throw, never a different value, and they throw wherever
/// `JSONDecoder` throws; an error names the key path and the byte offset.
@Suite("Model JSON reading")
struct ModelJSONReadingTests {
    private let issue = ModelJSONTests.fullIssue

    /// Keys sorted: the variations below edit the text by search and replace, and
    /// `"score":110,` is not there when the key order of the run puts `score` last
    /// (a run in a few then kept the text valid, and the test failed).
    private func encoderText(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Checks that `Issue(jsonText:)` reads no value `JSONDecoder` would not: both read
    /// equal issues (dates to the bit), or it throws. Whether it read the text.
    @discardableResult
    private func expectNoOtherValueThanJSONDecoder(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let expected = Result { try JSONDecoder().decode(Issue.self, from: Data(text.utf8)) }
        let read = Result { try Issue(jsonText: text) }
        switch (expected, read) {
        case let (.success(expected), .success(read)):
            #expect(read == expected, "\(text)", sourceLocation: sourceLocation)
            #expect(read.lastSeen.timeIntervalSinceReferenceDate.bitPattern == expected.lastSeen.timeIntervalSinceReferenceDate.bitPattern, "\(text)", sourceLocation: sourceLocation)
            return true
        case (_, .failure):
            return false
        case (.failure(let error), .success(let read)):
            Testing.Issue.record("JSONDecoder throws \(error), Issue(jsonText:) read \(read) for \(text)", sourceLocation: sourceLocation)
            return true
        }
    }

    /// The issue's JSON as `JSONEncoder` writes it, with `"lastSeen":…` replaced by `replacement`.
    private func withLastSeen(_ replacement: String) throws -> String {
        var plain = issue
        plain.lastSeen = Date(timeIntervalSinceReferenceDate: 12345)
        return try encoderText(plain).replacingOccurrences(of: #""lastSeen":12345"#, with: replacement)
    }

    /// The failure reading `text` as `T`, which must throw one.
    private func failure<T: JSONReadable>(_ type: T.Type, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        do {
            _ = try JSONReader.read(T.self, from: text)
            Testing.Issue.record("read \(text)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error.description
        }
    }

    /// The UTF-8 offset of `part` in `text`.
    private func offset(of part: String, in text: String) throws -> Int {
        let range = try #require(text.range(of: part))
        return text.utf8.distance(from: text.startIndex, to: range.lowerBound)
    }

    // MARK: What the store writes reads back exactly

    @Test(arguments: [1, 2] as [UInt64])
    func randomIssuesAndAlertsReadBackExactlyFromEitherEncoder(seed: UInt64) throws {
        var random = RandomModels(seed: seed)
        for index in 0..<300 {
            let issue = random.issue(), alert = random.alert()
            for text in [try issue.jsonText(), try encoderText(issue)] {
                let read = try Issue(jsonText: text)
                #expect(read == issue, "seed \(seed) case \(index)")
                #expect(read.lastSeen.timeIntervalSinceReferenceDate.bitPattern == issue.lastSeen.timeIntervalSinceReferenceDate.bitPattern)
            }
            for text in [try alert.jsonText(), try encoderText(alert)] {
                let read = try Alert(jsonText: text)
                #expect(read == alert, "seed \(seed) case \(index)")
                #expect(read.createdAt.timeIntervalSinceReferenceDate.bitPattern == alert.createdAt.timeIntervalSinceReferenceDate.bitPattern)
            }
        }
    }

    @Test func handPickedValuesReadBack() throws {
        #expect(try Issue(jsonText: issue.jsonText()) == issue)
        var forever = issue
        forever.mute = .forever
        #expect(try Issue(jsonText: forever.jsonText()) == forever)
        #expect(try Alert(jsonText: ModelJSONTests.fullAlert.jsonText()) == ModelJSONTests.fullAlert)
        // JSONEncoder escapes every "/" and writes non-ASCII raw; these are the other escapes.
        var escaped = issue
        escaped.title = "é😀/\"\\\u{08}\u{0C}\n\r\t\u{00}\u{1F}"
        let text = try encoderText(escaped)
            .replacingOccurrences(of: "é", with: #"\u00E9"#)
            .replacingOccurrences(of: "😀", with: #"\ud83d\ude00"#)
        #expect(try Issue(jsonText: text) == escaped)
    }

    // MARK: Other text: JSONDecoder's value, or an error

    @Test func unusualJSONReadsAsJSONDecoderReadsItOrThrows() throws {
        let plain = try encoderText(issue)
        let pretty = String(decoding: try {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return try encoder.encode(issue)
        }(), as: UTF8.self)
        // JSONDecoder reads these, and so does Issue(jsonText:), to the same issue.
        let read: [String] = [
            pretty,
            plain.replacingOccurrences(of: #""culprit":"shop.pay in charge""#, with: #""culprit":null"#),
            #"{"unknown":[1,{"a":null}],"# + String(plain.dropFirst()),
            plain.replacingOccurrences(of: #""ti"#, with: #""t\u0069"#),
            plain.replacingOccurrences(of: #""score":110"#, with: #""score":-0"#),
            "\(plain) \n",
        ]
        for text in read {
            #expect(expectNoOtherValueThanJSONDecoder(text), "\(text)")
        }
        // Refused where JSONDecoder might read a value its own way (a repeated key, an
        // integer spelt as a float, a byte-order mark), and wherever JSONDecoder throws.
        let refused: [String] = [
            #"{"title":"first","# + String(plain.dropFirst()),
            plain.replacingOccurrences(of: #""score":110"#, with: #""score":110.0"#),
            plain.replacingOccurrences(of: #""score":110"#, with: #""score":1.1e2"#),
            "\u{FEFF}\(plain)",
            plain.replacingOccurrences(of: #""score":110"#, with: #""score":0110"#),
            plain.replacingOccurrences(of: #""score":110"#, with: #""score":99999999999999999999"#),
            plain.replacingOccurrences(of: #""level":"warning""#, with: #""level":"loud""#),
            plain.replacingOccurrences(of: #""score":110,"#, with: ""),
            plain.replacingOccurrences(of: #""title":""#, with: #""title":"\ud800 lone "#),
            plain.replacingOccurrences(of: #""title":""#, with: #""title":"\x"#),
            plain.replacingOccurrences(of: #""title":""#, with: "\"title\":\"raw\ttab "),
            "\(plain) x",
            "\(plain)}",
            String(plain.dropLast()),
            "",
            "[]",
        ]
        for text in refused {
            #expect(!expectNoOtherValueThanJSONDecoder(text), "\(text)")
        }
    }

    @Test func hardNumbersReadAsJSONDecoderReadsThemOrThrow() throws {
        let numbers = [
            "0", "-0.0", "0.1", "0.1000000000000000055511151231257827021181583404541015625",
            "9007199254740993", "9007199254740993.000000000000001", "2.2250738585072011e-308",
            "2.2250738585072012e-308", "4.9406564584124654e-324", "2.4703282292062327e-324",
            "2.4703282292062328e-324", "1e-400", "1.7976931348623157e308", "1.7976931348623158e308",
            "1.7976931348623159e308", "1e400", "-1e400", "1E5", "1e+5", "1.5e-05", "797000000.123456789012345678",
            "1.", ".5", "+1", "1e", "01.5", "-", "0x10", "Infinity", "NaN", "1_000",
        ]
        var read: [String] = []
        for number in numbers where expectNoOtherValueThanJSONDecoder(try withLastSeen(#""lastSeen":"# + number)) {
            read.append(number)
        }
        // Every number in JSON's grammar and in Double's range; not those that round to
        // infinity or (from a nonzero literal) to zero.
        #expect(read == [
            "0", "-0.0", "0.1", "0.1000000000000000055511151231257827021181583404541015625",
            "9007199254740993", "9007199254740993.000000000000001", "2.2250738585072011e-308",
            "2.2250738585072012e-308", "4.9406564584124654e-324",
            "2.4703282292062328e-324", "1.7976931348623157e308", "1.7976931348623158e308",
            "1E5", "1e+5", "1.5e-05", "797000000.123456789012345678",
        ])
    }

    // MARK: Errors say where

    @Test func errorsNameTheKeyPathAndTheByteOffset() throws {
        var muted = issue
        muted.mute = Mute(remainingEvents: 3)
        let soon = try muted.jsonText().replacingOccurrences(of: #""remainingEvents":3"#, with: #""until":"soon""#)
        #expect(failure(Issue.self, soon) == "'mute.until': expected a date, in seconds since 2001 at byte \(try offset(of: #""soon""#, in: soon))")

        let frames = try issue.jsonText().replacingOccurrences(of: #""topFrames":["a in b","#, with: #""topFrames":["a in b",7,"#)
        #expect(failure(Issue.self, frames) == "'topFrames[1]': expected a string at byte \(try offset(of: #""a in b",7"#, in: frames) + 9)")

        let untitled = try issue.jsonText().replacingOccurrences(of: #""explanation":"#, with: #""explanation":null,"x":"#)
        #expect(failure(Issue.self, untitled) == "'explanation': missing or null in the object that ends at byte \(untitled.utf8.count - 1)")

        let twice = try issue.jsonText().replacingOccurrences(of: #""score":110"#, with: #""score":110,"score":111"#)
        #expect(failure(Issue.self, twice) == "'score': a key comes twice at byte \(try offset(of: "111", in: twice))")

        let loud = try ModelJSONTests.fullAlert.jsonText().replacingOccurrences(of: #""kind":"repeat""#, with: #""kind":"loud""#)
        #expect(failure(Alert.self, loud) == "'kind': not one of the known values at byte \(try offset(of: #""loud""#, in: loud))")

        let cut = String(try issue.jsonText().prefix(40))
        #expect(failure(Issue.self, cut)?.hasSuffix("at byte 40") == true)
        #expect(failure(Issue.self, "[]") == "expected an object at byte 0")
    }
}
