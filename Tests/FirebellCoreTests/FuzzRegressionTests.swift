import Foundation
import Testing

@testable import FirebellCore

/// Replays `make fuzz`'s inputs without the fuzzer: every seed in `fuzz/corpus/<harness>`
/// and every crash or hang it found, kept in `fuzz/regressions/<harness>`, through the
/// same promises the harnesses check (Sources/firebell-fuzz/Harness.swift), so a
/// regression fails `swift test` on any machine. The decompressor's inputs are replayed
/// by FirebellCompressionTests.
struct FuzzRegressionTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz")

    /// Each input of `harness` as "corpus/<harness>/<file>" or "regressions/<harness>/<file>".
    static func inputs(_ harness: String) -> [String] {
        ["corpus", "regressions"].flatMap { kind in
            let folder = fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(harness)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return files.filter { !$0.hasPrefix(".") }.sorted().map { "\(kind)/\(harness)/\($0)" }
        }
    }

    static func bytes(_ input: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fuzzDirectory.appendingPathComponent(input)))
    }

    @Test func everyHarnessHasSeeds() {
        for harness in ["envelope", "sentry-event", "generic", "json", "parameterizer", "config", "alertmanager"] {
            #expect(!Self.inputs(harness).filter { $0.hasPrefix("corpus/") }.isEmpty, "\(harness)")
        }
    }

    @Test(arguments: inputs("envelope"))
    func envelopeInputParsesOrFailsCleanly(input: String) throws {
        let body = try Self.bytes(input)
        for line in body.split(separator: UInt8(ascii: "\n")).prefix(8) {
            SentryFastPathTests.checkHeader(Array(line), input)
            SentryFastPathTests.checkItemHeader(Array(line), input)
        }
        guard let envelope = try? SentryEnvelope.parse(body) else { return }
        _ = try? SentryEventDecoder().decode(envelope: envelope, receivedAt: SentryFastPathTests.receivedAt, makeID: { "generated" })
    }

    @Test(arguments: inputs("sentry-event"))
    func sentryEventInputReadsAsItDecodes(input: String) throws {
        SentryFastPathTests.checkPayload(try Self.bytes(input), input)
    }

    @Test(arguments: inputs("generic"))
    func genericInputReadsAsItDecodes(input: String) throws {
        GenericEventFastPathTests.check(try Self.bytes(input), input)
    }

    @Test(arguments: inputs("json"))
    func jsonInputReadInFullAlsoSkipsAndParses(input: String) throws {
        let body = try Self.bytes(input)
        let read = (try? JSONReader.withReader(body[...]) { reader throws(JSONReader.Failure) in try Self.walk(&reader) }) != nil
        guard read else { return }
        #expect((try? JSONReader.withReader(body[...]) { reader throws(JSONReader.Failure) in try reader.skip() }) != nil, "\(input)")
        #expect((try? JSONDecoder().decode(SentrySkip.self, from: Data(body))) != nil, "\(input)")
    }

    static func walk(_ reader: inout JSONReader) throws(JSONReader.Failure) {
        switch try reader.peek() {
        case .object:
            try reader.beginObject()
            while let key = try reader.nextKey() {
                _ = key.string
                try walk(&reader)
            }
        case .array:
            try reader.beginArray()
            while try reader.nextElement() { try walk(&reader) }
        case .string: _ = try reader.readString()
        case .number:
            let number = try reader.readNumber()
            _ = (number.int64, number.double)
        case .bool: _ = try reader.readBool()
        case .null: try reader.readNull()
        }
    }

    @Test(arguments: inputs("parameterizer"))
    func parameterizedInputHasNoDigitsAndIsStable(input: String) throws {
        let template = Parameterizer.parameterize(String(decoding: try Self.bytes(input), as: UTF8.self))
        #expect(!template.utf8.contains { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }, "\(input)")
        #expect(Parameterizer.parameterize(template) == template, "\(input)")
    }

    @Test(arguments: inputs("config"))
    func configInputLoadsOrNamesItsErrors(input: String) throws {
        let yaml = String(decoding: try Self.bytes(input), as: UTF8.self)
        do {
            _ = try ConfigLoader.parse(yaml: yaml, path: "fuzz.yaml", environment: ["FUZZ": "value", "EMPTY": ""])
        } catch {
            #expect(!error.errors.isEmpty, "\(input)")
        }
    }

    @Test(arguments: inputs("alertmanager"))
    func alertmanagerInputDecodesOrIsRefusedWithADetail(input: String) throws {
        let body = try Self.bytes(input)
        #expect((try? AlertmanagerDecoder().decode(body)) == (try? AlertmanagerDecoder().decode(body)), "\(input)")
        do {
            let notification = try AlertmanagerDecoder().decode(try Self.bytes(input))
            for event in notification.firing + notification.resolved {
                #expect(event.eventID.count == 32 && event.fingerprint?.first == "alertmanager", "\(input)")
            }
        } catch let error as IngestError {
            #expect(!error.message.isEmpty, "\(input)")
        }
    }
}
