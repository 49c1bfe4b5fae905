import Foundation
import Testing
@testable import FirebellCore

/// `Issue(jsonText:)` and `Alert(jsonText:)` must read exactly what `JSONDecoder` reads, and
/// throw where it throws; their fast path must take the JSON the store writes.
@Suite("Model JSON reading")
struct ModelJSONReadingTests {
    private let issue = ModelJSONTests.fullIssue

    private func encoderText(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    /// Both succeed with equal issues, or both throw.
    private func expectSameAsJSONDecoder(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = Result { try JSONDecoder().decode(Issue.self, from: Data(text.utf8)) }
        let read = Result { try Issue(jsonText: text) }
        switch (expected, read) {
        case let (.success(expected), .success(read)):
            #expect(read == expected, "\(text)", sourceLocation: sourceLocation)
            #expect(read.lastSeen.timeIntervalSinceReferenceDate.bitPattern == expected.lastSeen.timeIntervalSinceReferenceDate.bitPattern, "\(text)", sourceLocation: sourceLocation)
        case (.failure, .failure):
            break
        default:
            Testing.Issue.record("JSONDecoder: \(expected), Issue(jsonText:): \(read) for \(text)", sourceLocation: sourceLocation)
        }
    }

    /// The issue's JSON as `JSONEncoder` writes it, with `"lastSeen":…` replaced by `replacement`.
    private func withLastSeen(_ replacement: String) throws -> String {
        var plain = issue
        plain.lastSeen = Date(timeIntervalSinceReferenceDate: 12345)
        return try encoderText(plain).replacingOccurrences(of: #""lastSeen":12345"#, with: replacement)
    }

    // MARK: The fast path reads what the store writes

    @Test(arguments: [1, 2] as [UInt64])
    func randomIssuesAndAlertsTakeTheFastPathFromEitherEncoder(seed: UInt64) throws {
        var random = RandomModels(seed: seed)
        for index in 0..<300 {
            let issue = random.issue(), alert = random.alert()
            #expect(Issue.readFast(try issue.jsonText()) == issue, "seed \(seed) case \(index)")
            #expect(Issue.readFast(try encoderText(issue)) == issue, "seed \(seed) case \(index)")
            #expect(Alert.readFast(try alert.jsonText()) == alert, "seed \(seed) case \(index)")
            #expect(Alert.readFast(try encoderText(alert)) == alert, "seed \(seed) case \(index)")
        }
    }

    @Test func handPickedValuesTakeTheFastPath() throws {
        #expect(Issue.readFast(try issue.jsonText()) == issue)
        var forever = issue
        forever.mute = .forever
        #expect(Issue.readFast(try forever.jsonText()) == forever)
        #expect(Alert.readFast(try ModelJSONTests.fullAlert.jsonText()) == ModelJSONTests.fullAlert)
        // JSONEncoder escapes every "/" and writes non-ASCII raw; these are the other escapes.
        var escaped = issue
        escaped.title = "é😀/\"\\\u{08}\u{0C}\n\r\t\u{00}\u{1F}"
        let text = try encoderText(escaped)
            .replacingOccurrences(of: "é", with: #"\u00E9"#)
            .replacingOccurrences(of: "😀", with: #"\ud83d\ude00"#)
        #expect(Issue.readFast(text) == escaped)
    }

    // MARK: Anything unusual goes to JSONDecoder

    @Test func unusualJSONFallsBackAndStillReadsTheSame() throws {
        let plain = try encoderText(issue)
        let pretty = String(decoding: try {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return try encoder.encode(issue)
        }(), as: UTF8.self)
        let texts: [String] = [
            pretty,
            plain.replacingOccurrences(of: #""culprit":"shop.pay in charge""#, with: #""culprit":null"#),
            #"{"unknown":[1,{"a":null}],"# + String(plain.dropFirst()),
            #"{"title":"first","# + String(plain.dropFirst()),
            plain.replacingOccurrences(of: #""score":110"#, with: #""score":110.0"#),
            plain.replacingOccurrences(of: #""score":110"#, with: #""score":1.1e2"#),
            plain.replacingOccurrences(of: #""score":110"#, with: #""score":-0"#),
            plain.replacingOccurrences(of: #""score":110"#, with: #""score":0110"#),
            plain.replacingOccurrences(of: #""score":110"#, with: #""score":99999999999999999999"#),
            plain.replacingOccurrences(of: #""level":"warning""#, with: #""level":"loud""#),
            plain.replacingOccurrences(of: #""score":110,"#, with: ""),
            plain.replacingOccurrences(of: #""title":""#, with: #""title":"\ud800 lone "#),
            plain.replacingOccurrences(of: #""title":""#, with: #""title":"\x"#),
            plain.replacingOccurrences(of: #""title":""#, with: "\"title\":\"raw\ttab "),
            plain.replacingOccurrences(of: #""ti"#, with: #""t\u0069"#),
            "\u{FEFF}\(plain)",
            "\(plain) \n",
            "\(plain) x",
            "\(plain)}",
            String(plain.dropLast()),
            "",
            "[]",
        ]
        for text in texts {
            expectSameAsJSONDecoder(text)
        }
        #expect(Issue.readFast(texts[1]) == nil)
        #expect(Issue.readFast(texts[2]) == nil)
        #expect(Issue.readFast(texts[3]) == nil)
    }

    @Test func hardNumbersReadLikeJSONDecoderReadsThem() throws {
        let numbers = [
            "0", "-0.0", "0.1", "0.1000000000000000055511151231257827021181583404541015625",
            "9007199254740993", "9007199254740993.000000000000001", "2.2250738585072011e-308",
            "2.2250738585072012e-308", "4.9406564584124654e-324", "2.4703282292062327e-324",
            "2.4703282292062328e-324", "1e-400", "1.7976931348623157e308", "1.7976931348623158e308",
            "1.7976931348623159e308", "1e400", "-1e400", "1E5", "1e+5", "1.5e-05", "797000000.123456789012345678",
            "1.", ".5", "+1", "1e", "01.5", "-", "0x10", "Infinity", "NaN", "1_000",
        ]
        for number in numbers {
            expectSameAsJSONDecoder(try withLastSeen(#""lastSeen":"# + number))
        }
    }
}
