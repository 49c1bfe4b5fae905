#if FUZZING
import FirebellCompression
import Foundation

@testable import FirebellCore

/// The parsers and decoders `make fuzz` runs, one per process; the raw value is
/// FIREBELL_FUZZ_HARNESS and the name of its folders under `fuzz/corpus` and
/// `fuzz/regressions`.
enum Harness: String, CaseIterable {
    /// `SentryEnvelope.parse`, then the event item decoded; header lines read both ways.
    case envelope
    /// A `/store/` body through `SentryEventDecoder`, fast path against Codable path.
    case sentryEvent = "sentry-event"
    /// A `/v1/events` body through `GenericEventDecoder`, fast path against Codable path.
    case generic
    /// `JSONReader` walking any JSON value, read and skipped.
    case json
    /// `Parameterizer.parameterize` on any text.
    case parameterizer
    /// `Decompressor` with a 256 KiB cap; the first byte picks the encoding and the chunking.
    case decompress
    /// `ConfigLoader.parse(yaml:)` on any text.
    case config
    /// A `/v1/alertmanager` body through `AlertmanagerDecoder`.
    case alertmanager
    /// An OTLP body through `OTLPRequest` and `export`; the first byte picks logs or
    /// traces and protobuf or JSON.
    case otlp
    /// `StackTraceText.frames` on any text, with each language hint and none.
    case stacktrace

    func run(_ bytes: [UInt8]) {
        switch self {
        case .envelope: Self.envelope(bytes)
        case .sentryEvent: Self.sentryEvent(bytes)
        case .generic: Self.generic(bytes)
        case .json: Self.json(bytes)
        case .parameterizer: Self.parameterizer(bytes)
        case .decompress: Self.decompress(bytes)
        case .config: Self.config(bytes)
        case .alertmanager: Self.alertmanager(bytes)
        case .otlp: Self.otlp(bytes)
        case .stacktrace: Self.stacktrace(bytes)
        }
    }

    static let receivedAt = Date(timeIntervalSince1970: 1_800_000_000)

    /// Decodes the same way twice, and every event it makes is one the pipeline takes:
    /// a 32-hex id (repeats of a firing must count once), its Alertmanager fingerprint,
    /// and a title.
    static func alertmanager(_ bytes: [UInt8]) {
        // (Only whether and what it decoded: Foundation words some errors about invalid
        // text differently from one call to the next.)
        let first = try? AlertmanagerDecoder().decode(bytes)
        let again = try? AlertmanagerDecoder().decode(bytes)
        guard first == again else { broken("two decodes of one body differ") }
        guard let notification = first else { return }
        for event in notification.firing + notification.resolved {
            guard event.eventID.utf8.count == 32, event.eventID.utf8.allSatisfy({ $0 < 0x80 && isxdigit(Int32($0)) != 0 }) else {
                broken("an alert's event id is not 32 hex digits", event.eventID)
            }
            guard event.fingerprint?.first == "alertmanager", event.fingerprint?.count == 2 else {
                broken("an alert's event is not grouped by its fingerprint", "\(event.fingerprint ?? [])")
            }
            guard !event.title.isEmpty else { broken("an alert's event has no title") }
        }
    }

    /// Stops the run so libFuzzer keeps the input: the code under test broke a promise.
    static func broken(_ promise: String, _ detail: @autoclosure () -> String = "") -> Never {
        fatalError("\(promise)\(detail().isEmpty ? "" : ": \(detail())")")
    }

    // MARK: Sentry

    static func envelope(_ bytes: [UInt8]) {
        // Every line as an envelope header and as an item header: fast read implies
        // Codable decode, and the same value.
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).prefix(8) {
            sameOrFallBack(HeaderWire.self, line)
            sameOrFallBack(ItemHeaderWire.self, line)
        }
        guard let envelope = try? SentryEnvelope.parse(bytes) else { return }
        _ = try? SentryEventDecoder().decode(envelope: envelope, receivedAt: receivedAt, makeID: { "generated" })
    }

    static func sameOrFallBack<T: Decodable & JSONReadable>(_ type: T.Type, _ line: ArraySlice<UInt8>) {
        guard let fast = try? JSONReader.read(T.self, from: line) else { return }
        guard let codable = try? JSONDecoder().decode(T.self, from: Data(line)) else {
            broken("the fast path read a \(T.self) the Codable path rejects")
        }
        guard String(reflecting: fast) == String(reflecting: codable) else {
            broken("the fast path read a different \(T.self)", "\(fast) vs \(codable)")
        }
    }

    static func sentryEvent(_ bytes: [UInt8]) {
        func event(_ payload: SentryEventPayload) -> Event {
            SentryEventDecoder().event(from: payload, headerID: nil, receivedAt: receivedAt, makeID: { "generated" })
        }
        let codable = Result { () throws(IngestError) in
            event(try SentryEventDecoder.decodePayload(bytes, position: "event"))
        }
        let answer = Result { () throws(IngestError) in
            try SentryEventDecoder().decode(storeBody: bytes, receivedAt: receivedAt, makeID: { "generated" })
        }
        guard answer == codable else { broken("the decoder answered other than its Codable path", "\(answer) vs \(codable)") }
        guard let fast = try? JSONReader.read(SentryEventPayload.self, from: bytes[...]) else { return }
        guard case .success(let decoded) = codable else { broken("the fast path read a payload the Codable path rejects") }
        guard event(fast) == decoded else { broken("the fast path read a different event", "\(event(fast)) vs \(decoded)") }
    }

    // MARK: OpenTelemetry

    static func otlp(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let signal: OTLPSignal = first & 1 == 0 ? .logs : .traces
        let encoding: OTLPEncoding = first & 2 == 0 ? .protobuf : .json
        guard let request = try? OTLPRequest(Array(bytes.dropFirst()), signal: signal, encoding: encoding) else { return }
        let export = request.export(receivedAt: receivedAt, makeID: { "generated" })
        guard export.events.count + export.dropped + export.rejected <= request.itemCount else {
            broken("an export gave more outcomes than the request has items", "\(export) of \(request.itemCount)")
        }
        _ = OTLPResponse.success(signal, export: export, encoding: encoding)
    }

    static func stacktrace(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for language in [nil] + StackTraceText.Language.allCases.map(Optional.some) {
            if let frames = StackTraceText.frames(text, language: language), frames.isEmpty {
                broken("frames were found, but none given")
            }
        }
    }

    // MARK: Generic

    static func generic(_ bytes: [UInt8]) {
        func events(_ payloads: [GenericEventPayload]) -> Result<[Event], IngestError> {
            var n = 0
            return Result { () throws(IngestError) in
                try GenericEventDecoder.events(payloads, receivedAt: receivedAt, makeID: {
                    n += 1
                    return "generated-\(n)"
                })
            }
        }
        let payloads = Result { () throws(IngestError) in try GenericEventDecoder.decodePayloads(bytes) }
        let codable = payloads.flatMap(events)
        var n = 0
        let answer = Result { () throws(IngestError) in
            try GenericEventDecoder().decode(bytes, receivedAt: receivedAt, makeID: {
                n += 1
                return "generated-\(n)"
            })
        }
        guard answer == codable else { broken("the decoder answered other than its Codable path", "\(answer) vs \(codable)") }
        guard let fast = GenericEventDecoder.readPayloads(bytes) else { return }
        guard (try? payloads.get()) != nil else { broken("the fast path read a body the Codable path rejects") }
        guard events(fast) == codable else { broken("the fast path read different events", "\(events(fast)) vs \(codable)") }
    }

    // MARK: JSON

    static func json(_ bytes: [UInt8]) {
        let read = Result { () throws(JSONReader.Failure) in
            try JSONReader.withReader(bytes[...]) { reader throws(JSONReader.Failure) in try walk(&reader) }
        }
        let skipped = Result { () throws(JSONReader.Failure) in
            try JSONReader.withReader(bytes[...]) { reader throws(JSONReader.Failure) in try reader.skip() }
        }
        // Skipping checks less (no UTF-8), never more.
        if case .success = read, case .failure(let failure) = skipped {
            broken("a value read in full fails to skip", "\(failure)")
        }
        // Strict where JSONDecoder is lenient: what the reader reads in full, JSONDecoder
        // accepts. (Not JSONSerialization, which also refuses numbers out of Double's
        // range, like 2E1406; JSONDecoder converts only the numbers it is asked for.)
        if case .success = read, (try? JSONDecoder().decode(AnyValue.self, from: Data(bytes))) == nil {
            broken("JSONReader read a document JSONDecoder rejects")
        }
    }

    /// Any JSON value, checked by `JSONDecoder` and never converted.
    struct AnyValue: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    /// Reads every value in full, as the fast paths read the fields they want.
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
            while try reader.nextElement() {
                try walk(&reader)
            }
        case .string:
            _ = try reader.readString()
        case .number:
            let number = try reader.readNumber()
            _ = number.int64
            _ = number.double
        case .bool:
            _ = try reader.readBool()
        case .null:
            try reader.readNull()
        }
    }

    // MARK: Grouping

    static func parameterizer(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let template = Parameterizer.parameterize(text)
        if template.utf8.contains(where: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            broken("the template keeps an ASCII digit", "\(text.debugDescription) → \(template.debugDescription)")
        }
        let again = Parameterizer.parameterize(template)
        guard again == template else {
            broken("parameterizing twice changes the template", "\(text.debugDescription) → \(template.debugDescription) → \(again.debugDescription)")
        }
    }

    // MARK: Compression

    static let decompressionLimit = 256 * 1024

    static func decompress(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let encodings: [ContentEncoding] = [.identity, .gzip, .deflate, .brotli, .zstd]
        let encoding = encodings[Int(first & 0x07) % encodings.count]
        // The high bits pick a chunk size from 1 byte to the whole body.
        let chunkSize = [1, 2, 7, 64, 1000, 4096, 65536, Int.max][Int(first >> 5)]
        let body = Array(bytes.dropFirst())
        let whole = Result { () throws(DecompressionError) in
            try Decompressor.decompress(body, encoding, limit: decompressionLimit)
        }
        let chunked = Result { () throws(DecompressionError) in
            var decompressor = Decompressor(encoding, limit: decompressionLimit)
            var start = 0
            while start < body.count {
                let end = body.count - start <= chunkSize ? body.count : start + chunkSize
                try decompressor.feed(Array(body[start..<end]))
                start = end
            }
            return try decompressor.finish()
        }
        if case .success(let output) = whole, output.count > decompressionLimit {
            broken("decompressed past the limit", "\(output.count) bytes")
        }
        switch (whole, chunked) {
        case (.success(let a), .success(let b)):
            guard a == b else { broken("chunked \(encoding.name) decompressed to other bytes") }
        case (.success, .failure(let error)), (.failure(let error), .success):
            broken("chunked and whole \(encoding.name) disagree", "\(error)")
        case (.failure, .failure):
            break
        }
    }

    // MARK: Config

    static func config(_ bytes: [UInt8]) {
        let yaml = String(decoding: bytes, as: UTF8.self)
        do {
            _ = try ConfigLoader.parse(yaml: yaml, path: "fuzz.yaml", environment: ["FUZZ": "value", "EMPTY": ""])
        } catch {
            _ = error.description
        }
    }
}
#endif
