import CCompression
import CCompression.TestEncoders
import Foundation
import Testing

@testable import FirebellCompression

// Request-body decompression: Content-Encoding parsing, each encoding's
// streaming decoder, and the max_body cap that keeps compression bombs out.
// Fixtures are compressed here with the encoders of the same C libraries
// (zlib, libbrotlienc through CCompression.TestEncoders, zstd).

@Suite("Request-body decompression")
struct DecompressionTests {
    // MARK: Content-Encoding header

    @Test(arguments: [
        (nil, .identity), ("", .identity), ("  ", .identity), ("identity", .identity),
        ("UTF-8", .identity), ("utf8", .identity), ("gzip", .gzip), ("GZIP", .gzip),
        ("x-gzip", .gzip), ("deflate", .deflate), (" br ", .brotli), ("zstd", .zstd),
        ("gzip, identity", .gzip), ("identity,br", .brotli), ("identity, identity", .identity),
    ] as [(String?, ContentEncoding)])
    func headerValueNamesItsEncoding(header: String?, expected: ContentEncoding) throws {
        #expect(try ContentEncoding(header: header) == expected)
    }

    @Test(arguments: [
        ("compress", "compress"), (" X-Unknown ", "X-Unknown"), ("gzip, br", "gzip, br"),
        ("gzip, lzma", "lzma"), ("br;q=1", "br;q=1"),
    ])
    func unknownOrStackedEncodingIsUnsupported(header: String, named: String) {
        #expect(throws: DecompressionError.unsupported(named)) { try ContentEncoding(header: header) }
    }

    @Test func errorsSayWhatIsAccepted() {
        #expect(DecompressionError.unsupported("lzma").description.contains("gzip, deflate, br, zstd or identity"))
        #expect(DecompressionError.tooLarge(limit: 1_048_576).description.contains("1048576 bytes"))
    }

    // MARK: Round trips

    @Test(arguments: Form.allCases)
    func jsonBodyRoundTripsInSevenByteChunks(form: Form) throws {
        let body = Fixture.json
        let decoded = try decompress(form.compress(body), form.encoding, limit: 1 << 20, chunk: 7)
        #expect(decoded == body)
    }

    @Test(arguments: Form.allCases)
    func jsonBodyRoundTripsFedOneByteAtATime(form: Form) throws {
        let body = Fixture.json
        let decoded = try decompress(form.compress(body), form.encoding, limit: 1 << 20, chunk: 1)
        #expect(decoded == body)
    }

    @Test(arguments: Form.allCases)
    func incompressibleBodyRoundTripsThroughManyScratchChunks(form: Form) throws {
        let body = Fixture.noise(count: 300_000)
        let decoded = try decompress(form.compress(body), form.encoding, limit: 1 << 20, chunk: 1000)
        #expect(decoded == body)
    }

    @Test func deflateAcceptsBothZlibWrappedAndRawStreams() throws {
        let zlibWrapped = Form.zlibDeflate.compress(Fixture.json)
        let raw = Form.rawDeflate.compress(Fixture.json)
        #expect(zlibWrapped.first == 0x78)
        #expect(Array(zlibWrapped.dropFirst(2).dropLast(4)) == raw)
        #expect(try Decompressor.decompress(zlibWrapped, .deflate, limit: 1 << 20) == Fixture.json)
        #expect(try Decompressor.decompress(raw, .deflate, limit: 1 << 20) == Fixture.json)
    }

    @Test func concatenatedGzipMembersDecodeToBothBodies() throws {
        let first = Array("first member\n".utf8)
        let second = Fixture.json
        let body = Form.gzip.compress(first) + Form.gzip.compress(second)
        #expect(try decompress(body, .gzip, limit: 1 << 20, chunk: 7) == first + second)
    }

    @Test func zstdFrameWithoutContentSizeDecodes() throws {
        let frame = Encoders.zstdWithoutContentSize(Fixture.json)
        #expect(ZSTD_getFrameContentSize(frame, frame.count) == UInt64.max)  // ZSTD_CONTENTSIZE_UNKNOWN
        #expect(try decompress(frame, .zstd, limit: 1 << 20, chunk: 7) == Fixture.json)
    }

    @Test func concatenatedZstdFramesDecodeToBothBodies() throws {
        let body = Form.zstd.compress(Array("one".utf8)) + Form.zstd.compress(Array("two".utf8))
        #expect(try decompress(body, .zstd, limit: 100, chunk: 3) == Array("onetwo".utf8))
    }

    @Test func emptyBodyIsEmptyForIdentityAndCorruptForCompressedEncodings() throws {
        #expect(try Decompressor.decompress([], .identity, limit: 0) == [])
        for encoding in [ContentEncoding.gzip, .deflate, .brotli, .zstd] {
            #expect(isCorrupt(#expect(throws: DecompressionError.self) { try Decompressor.decompress([], encoding, limit: 100) }))
        }
    }

    @Test(arguments: Form.allCases)
    func emptyPayloadCompressedDecodesWithLimitZero(form: Form) throws {
        #expect(try Decompressor.decompress(form.compress([]), form.encoding, limit: 0) == [])
    }

    // MARK: Corrupt streams

    @Test(arguments: Form.compressed)
    func truncatedStreamIsCorruptOnFinish(form: Form) throws {
        for cut in [1, 4] {
            let compressed = form.compress(Fixture.json)
            var decompressor = Decompressor(form.encoding, limit: 1 << 20)
            try decompressor.feed(Array(compressed.dropLast(cut)))
            let error = finishError(consuming: decompressor)
            #expect(isCorrupt(error), "cut \(cut): \(String(describing: error))")
        }
    }

    @Test(arguments: Form.compressed)
    func garbageIsCorrupt(form: Form) {
        let garbage = Array("{\"this\": \"is JSON, not a compressed stream\"}".utf8) + Fixture.noise(count: 64)
        let error = #expect(throws: DecompressionError.self) {
            try decompress(garbage, form.encoding, limit: 1 << 20, chunk: 7)
        }
        #expect(isCorrupt(error), "\(String(describing: error))")
    }

    @Test(arguments: Form.compressed)
    func dataAfterTheEndOfTheStreamIsCorrupt(form: Form) {
        let body = form.compress(Fixture.json) + Array("trailing".utf8)
        let error = #expect(throws: DecompressionError.self) {
            try decompress(body, form.encoding, limit: 1 << 20, chunk: 7)
        }
        #expect(isCorrupt(error), "\(String(describing: error))")
    }

    @Test func corruptStreamSaysWhatTheLibrarySaid() {
        var gzip = Form.gzip.compress(Fixture.json)
        gzip[3] = 0xE0  // reserved FLG bits
        #expect(throws: DecompressionError.corrupt("gzip: unknown header flags set")) {
            try Decompressor.decompress(gzip, .gzip, limit: 1 << 20)
        }
        #expect(throws: DecompressionError.corrupt("zstd: Unknown frame descriptor")) {
            try Decompressor.decompress(Array("nope".utf8), .zstd, limit: 1 << 20)
        }
    }

    @Test func errorIsRepeatedByEveryLaterCall() throws {
        var decompressor = Decompressor(.zstd, limit: 1 << 20)
        #expect(throws: DecompressionError.corrupt("zstd: Unknown frame descriptor")) { try decompressor.feed(Array("nope".utf8)) }
        #expect(throws: DecompressionError.corrupt("zstd: Unknown frame descriptor")) { try decompressor.feed(Form.zstd.compress(Fixture.json)) }
        #expect(finishError(consuming: decompressor) == .corrupt("zstd: Unknown frame descriptor"))
    }

    // zstd frame: magic, descriptor (no content size, not single-segment),
    // window descriptor, one empty raw last block. Window byte 0x68 is 8 MiB,
    // 0x70 is 16 MiB.
    private static func zstdFrame(windowDescriptor: UInt8) -> [UInt8] {
        [0x28, 0xB5, 0x2F, 0xFD, 0x00, windowDescriptor, 0x01, 0x00, 0x00]
    }

    @Test func zstdWindowAbove8MiBIsRefusedUnderASmallLimit() throws {
        #expect(try Decompressor.decompress(Self.zstdFrame(windowDescriptor: 0x68), .zstd, limit: 1 << 20) == [])
        let error = #expect(throws: DecompressionError.self) {
            try Decompressor.decompress(Self.zstdFrame(windowDescriptor: 0x70), .zstd, limit: 1 << 20)
        }
        #expect(isCorrupt(error))
        #expect(error?.description.contains("up to 8388608 bytes") == true)
    }

    @Test func zstdWindowUpToTheLimitIsAccepted() throws {
        #expect(try Decompressor.decompress(Self.zstdFrame(windowDescriptor: 0x70), .zstd, limit: 16 << 20) == [])
    }

    // MARK: The limit

    @Test(arguments: Form.allCases)
    func outputExactlyAtTheLimitIsAcceptedAndOneByteMoreIsTooLarge(form: Form) throws {
        let body = Fixture.json
        let compressed = form.compress(body)
        #expect(try decompress(compressed, form.encoding, limit: body.count, chunk: 7) == body)
        #expect(throws: DecompressionError.tooLarge(limit: body.count - 1)) {
            try decompress(compressed, form.encoding, limit: body.count - 1, chunk: 7)
        }
    }

    // 1 MiB is max_body's default; 1,000,000 is no power-of-two multiple of
    // the first allocation, so growth past the limit would show.
    @Test(arguments: Form.bombs, [1 << 20, 1_000_000])
    func compressionBombStopsAtTheLimitWithoutGrowingPastIt(form: Form, limit: Int) throws {
        let bomb = form.compress(Fixture.fiftyMegabytesOfZeros)
        #expect(bomb.count < 64 * 1024, "a bomb: \(bomb.count) bytes for 50 MB")

        var decompressor = Decompressor(form.encoding, limit: limit)
        var fed = 0
        var thrown: DecompressionError?
        while fed < bomb.count, thrown == nil {
            let chunk = Array(bomb[fed..<min(fed + 16, bomb.count)])
            do {
                try decompressor.feed(chunk)
            } catch {
                thrown = error
            }
            fed += chunk.count
        }
        // The buffer never shrinks, so its capacity now is the most it ever had.
        #expect(thrown == .tooLarge(limit: limit), "thrown while feeding, not at finish")
        #expect(fed < bomb.count, "stopped after \(fed) of \(bomb.count) bytes")
        #expect(decompressor.outputCount <= limit)
        #expect(decompressor.outputCapacity <= limit + Decompressor.chunkSize)
        #expect(throws: DecompressionError.tooLarge(limit: limit)) { try decompressor.feed([0]) }
        #expect(finishError(consuming: decompressor) == .tooLarge(limit: limit))
    }

    @Test func identityBodyOverTheLimitIsTooLargeBeforeItIsStored() throws {
        let limit = 1000
        var decompressor = Decompressor(.identity, limit: limit)
        try decompressor.feed([UInt8](repeating: 1, count: 600))
        #expect(throws: DecompressionError.tooLarge(limit: limit)) { try decompressor.feed([UInt8](repeating: 1, count: 401)) }
        #expect(decompressor.outputCount == 600)
        #expect(decompressor.outputCapacity <= limit + Decompressor.chunkSize)
    }

    @Test func outputBufferGrowsNoFurtherThanTheLimit() throws {
        let limit = 700_000
        let body = Fixture.noise(count: limit)
        var decompressor = Decompressor(.zstd, limit: limit)
        let compressed = Form.zstd.compress(body)
        for start in stride(from: 0, to: compressed.count, by: 4096) {
            try decompressor.feed(Array(compressed[start..<min(start + 4096, compressed.count)]))
        }
        #expect(decompressor.outputCapacity <= limit + Decompressor.chunkSize)
        #expect(try decompressor.finish() == body)
    }
}

// MARK: - Helpers

/// Decompresses `body` fed in chunks of `chunk` bytes, as the network would deliver it.
private func decompress(_ body: [UInt8], _ encoding: ContentEncoding, limit: Int, chunk: Int) throws(DecompressionError) -> [UInt8] {
    var decompressor = Decompressor(encoding, limit: limit)
    for start in stride(from: 0, to: body.count, by: chunk) {
        try decompressor.feed(Array(body[start..<min(start + chunk, body.count)]))
    }
    return try decompressor.finish()
}

/// The error `finish()` throws, or nil if it returned (`finish` consumes, so
/// it cannot run inside `#expect(throws:)`'s closure).
private func finishError(consuming decompressor: consuming Decompressor) -> DecompressionError? {
    do {
        _ = try decompressor.finish()
        return nil
    } catch {
        return error
    }
}

private func isCorrupt(_ error: DecompressionError?) -> Bool {
    if case .corrupt = error { return true }
    return false
}

extension DecompressionTests {
    /// A way a body reaches Firebell: an encoding and the encoder that produces it.
    enum Form: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case identity, gzip, zlibDeflate, rawDeflate, brotli, zstd

        static let compressed: [Form] = [.gzip, .zlibDeflate, .rawDeflate, .brotli, .zstd]
        static let bombs: [Form] = compressed

        var testDescription: String { rawValue }

        var encoding: ContentEncoding {
            switch self {
            case .identity: .identity
            case .gzip: .gzip
            case .zlibDeflate, .rawDeflate: .deflate
            case .brotli: .brotli
            case .zstd: .zstd
            }
        }

        func compress(_ body: [UInt8]) -> [UInt8] {
            switch self {
            case .identity: body
            case .gzip: Encoders.deflate(body, windowBits: 15 + 16)
            case .zlibDeflate: Encoders.deflate(body, windowBits: 15)
            case .rawDeflate: Encoders.deflate(body, windowBits: -15)
            case .brotli: Encoders.brotli(body)
            case .zstd: Encoders.zstd(body)
            }
        }
    }

    enum Fixture {
        /// An event as a Sentry SDK would send it.
        static let json: [UInt8] = Array("""
            {"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","timestamp":"2024-05-01T12:00:00Z",\
            "platform":"python","level":"error","logger":"app.payments","environment":"production",\
            "release":"shop@1.4.2","server_name":"web-3","exception":{"values":[{"type":"ValueError",\
            "value":"card declined","stacktrace":{"frames":[{"module":"app.payments","function":"charge",\
            "filename":"app/payments.py","lineno":42,"in_app":true},{"module":"stripe","function":"create",\
            "filename":"stripe/api.py","lineno":310,"in_app":false}]}}]},"tags":{"region":"eu-west-1"},\
            "user":{"id":"4711","email":"ada@example.com"},"request":{"url":"https://shop.example.com/pay"}}
            """.utf8)

        static let fiftyMegabytesOfZeros = [UInt8](repeating: 0, count: 50_000_000)

        /// Deterministic bytes no encoder can shrink.
        static func noise(count: Int) -> [UInt8] {
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            return (0..<count).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 33)
            }
        }
    }

    /// The C libraries' encoders, one call each.
    enum Encoders {
        /// zlib deflate; windowBits 15 zlib-wrapped, -15 raw, 15 + 16 gzip.
        static func deflate(_ input: [UInt8], windowBits: Int32) -> [UInt8] {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            defer {
                deflateEnd(stream)
                stream.deallocate()
            }
            precondition(fb_deflate_init2(stream, 9, windowBits) == Z_OK)
            var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(input.count))))
            input.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { destination in
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                    stream.pointee.avail_in = uInt(source.count)
                    stream.pointee.next_out = destination.baseAddress
                    stream.pointee.avail_out = uInt(destination.count)
                    precondition(CCompression.deflate(stream, Z_FINISH) == Z_STREAM_END)
                }
            }
            return Array(output.prefix(Int(stream.pointee.total_out)))
        }

        static func brotli(_ input: [UInt8]) -> [UInt8] {
            var size = BrotliEncoderMaxCompressedSize(input.count)
            var output = [UInt8](repeating: 0, count: max(size, 64))
            size = output.count
            let ok = input.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { destination in
                    BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, source.count, source.baseAddress, &size, destination.baseAddress)
                }
            }
            precondition(ok == BROTLI_TRUE)
            return Array(output.prefix(size))
        }

        static func zstd(_ input: [UInt8]) -> [UInt8] {
            var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
            let size = input.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { destination in
                    ZSTD_compress(destination.baseAddress, destination.count, source.baseAddress, source.count, 3)
                }
            }
            precondition(ZSTD_isError(size) == 0)
            return Array(output.prefix(size))
        }

        /// A zstd frame that does not state its content size, as a streaming encoder writes it.
        static func zstdWithoutContentSize(_ input: [UInt8]) -> [UInt8] {
            let context = ZSTD_createCCtx()
            defer { ZSTD_freeCCtx(context) }
            precondition(ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 0)) == 0)
            var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
            let size = input.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { destination in
                    ZSTD_compress2(context, destination.baseAddress, destination.count, source.baseAddress, source.count)
                }
            }
            precondition(ZSTD_isError(size) == 0)
            return Array(output.prefix(size))
        }
    }
}
