// FirebellCompression: the one place Firebell calls zlib, brotli and zstd.
//
// Owns the streaming decoders for a request body's `Content-Encoding`:
// `ContentEncoding` names one (gzip, deflate, br, zstd or identity),
// `Decompressor` decodes a body chunk by chunk under a hard cap, and
// `DecompressionError` says why it could not. This target is the only one
// that imports CCompression (its tests also import CCompression.TestEncoders
// to build fixtures); the libraries' codes become `DecompressionError`s in
// Decompressor.swift and nowhere else. It must not import Hummingbird, NIO or
// any other Firebell target: it turns bytes into bytes, and which HTTP status
// answers a failure is the server's call.

import CCompression

/// Decompresses a request body as it streams in, with a hard cap on the
/// decompressed size, so a compression bomb costs no memory.
///
/// Feed the body's chunks as they arrive; `feed` throws `.tooLarge` as soon
/// as the output would pass `limit`, so the server can stop reading the body.
/// Output exactly `limit` bytes long is accepted. The decoders write into one
/// scratch chunk of at most `chunkSize` bytes; the output buffer grows by
/// doubling but never past `limit`.
///
/// The decoders' own working memory is bounded whatever the body says: zlib's
/// window is 32 KiB, brotli's ring buffer at most 16 MiB (large-window brotli
/// stays off), and a zstd frame may ask for a window of at most 8 MiB or
/// `limit` rounded up to a power of two, whichever is larger, never above
/// 128 MiB; a frame that asks for more is refused as corrupt.
///
/// One owner: noncopyable and not Sendable, and `finish()` consumes it. The C
/// decoder state is freed when the value goes away, finished or not. This is
/// the one file that calls zlib, brotli and zstd; their codes become
/// `DecompressionError`s here.
public struct Decompressor: ~Copyable {
    /// Size of the scratch buffer the decoders write into (smaller when `limit` is).
    static let chunkSize = 32 * 1024
    /// First allocation of the output buffer (or `limit`, if smaller).
    private static let initialCapacity = 16 * 1024
    /// zstd windows up to 8 MiB are always accepted: the format's recommended
    /// minimum, and what zstd's levels up to 19 use.
    private static let zstdMinimumWindowLog: Int32 = 23
    /// zstd's own default ceiling (ZSTD_WINDOWLOG_LIMIT_DEFAULT).
    private static let zstdMaximumWindowLog: Int32 = 27

    public let encoding: ContentEncoding
    /// Most decompressed bytes accepted.
    public let limit: Int

    private var decoder: Decoder
    private let scratch: UnsafeMutableRawBufferPointer
    private var output: [UInt8] = []
    /// Whether the bytes fed so far form a whole stream (identity: always).
    private var complete: Bool
    private var receivedInput = false
    /// zstd: the first bytes of the frame about to start, held until its magic number is
    /// known (nil inside a frame).
    private var zstdFrameStart: [UInt8]? = []
    /// The first error thrown; every later call throws it again.
    private var failure: DecompressionError?

    private enum Decoder {
        case identity
        /// deflate before its first two bytes have arrived, holding the first
        /// if only one has: they tell zlib-wrapped from raw.
        case deflateUndecided(firstByte: UInt8?)
        /// Heap-allocated: zlib refuses a z_stream that moved after init.
        case zlib(UnsafeMutablePointer<z_stream>, gzip: Bool)
        case brotli(OpaquePointer)
        case zstd(OpaquePointer)
    }

    /// Decompressed bytes so far.
    var outputCount: Int { output.count }
    /// Bytes allocated for the output so far; at most `limit` (plus what the
    /// allocator rounds up).
    var outputCapacity: Int { output.capacity }

    /// A decoder for `encoding` that accepts at most `limit` decompressed bytes.
    /// Allocation failures in the C libraries stop the process, as Swift's own do.
    public init(_ encoding: ContentEncoding, limit: Int) {
        precondition(limit >= 0, "Decompressor limit must not be negative")
        self.encoding = encoding
        self.limit = limit
        switch encoding {
        case .identity:
            decoder = .identity
        case .gzip:
            decoder = .zlib(Self.makeInflater(windowBits: 15 + 16), gzip: true)
        case .deflate:
            decoder = .deflateUndecided(firstByte: nil)
        case .brotli:
            guard let state = BrotliDecoderCreateInstance(nil, nil, nil) else {
                fatalError("BrotliDecoderCreateInstance failed: out of memory")
            }
            decoder = .brotli(state)
        case .zstd:
            guard let stream = ZSTD_createDStream() else {
                fatalError("ZSTD_createDStream failed: out of memory")
            }
            let code = ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, Self.zstdWindowLog(limit: limit))
            precondition(ZSTD_isError(code) == 0, "ZSTD_d_windowLogMax: \(String(cString: ZSTD_getErrorName(code)))")
            decoder = .zstd(stream)
        }
        complete = encoding == .identity
        if encoding == .identity {
            scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        } else {
            // limit + 1 is enough to notice the output passing the limit.
            let size = limit < Self.chunkSize ? limit + 1 : Self.chunkSize
            scratch = .allocate(byteCount: size, alignment: 16)
        }
    }

    deinit {
        switch decoder {
        case .identity, .deflateUndecided:
            break
        case .zlib(let stream, _):
            inflateEnd(stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
        case .brotli(let state):
            BrotliDecoderDestroyInstance(state)
        case .zstd(let stream):
            ZSTD_freeDStream(stream)
        }
        scratch.deallocate()
    }

    /// Decompresses `limit` bytes at most from a whole body.
    public static func decompress(_ body: [UInt8], _ encoding: ContentEncoding, limit: Int) throws(DecompressionError) -> [UInt8] {
        var decompressor = Decompressor(encoding, limit: limit)
        try decompressor.feed(body)
        return try decompressor.finish()
    }

    /// Feeds the next chunk of the body as it arrived from the network. Throws
    /// `.tooLarge` the moment the output would pass `limit`, and `.corrupt` as
    /// soon as the decoder rejects the stream; after an error every call throws
    /// it again, so the caller can stop reading the body.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) throws(DecompressionError) {
        if let failure { throw failure }
        guard !chunk.isEmpty else { return }
        receivedInput = true
        do {
            try decode(chunk)
        } catch {
            failure = error
            throw error
        }
    }

    /// Feeds the next chunk of the body; see `feed(_: UnsafeRawBufferPointer)`.
    public mutating func feed(_ chunk: [UInt8]) throws(DecompressionError) {
        let result = chunk.withUnsafeBytes { bytes in
            Result { () throws(DecompressionError) in try feed(bytes) }
        }
        try result.get()
    }

    /// Ends the body and returns it decompressed. Throws `.corrupt` if the
    /// stream is empty or stops before its end (a truncated body).
    public consuming func finish() throws(DecompressionError) -> [UInt8] {
        if let failure { throw failure }
        guard complete else {
            throw .corrupt(receivedInput
                ? "\(encoding.name) stream ends early (truncated body?)"
                : "empty body is not a \(encoding.name) stream")
        }
        var result: [UInt8] = []
        swap(&result, &output)
        return result
    }

    // MARK: Output and its limit

    private mutating func append(_ bytes: UnsafeRawBufferPointer) throws(DecompressionError) {
        guard !bytes.isEmpty else { return }
        let needed = output.count + bytes.count
        guard needed <= limit else { throw .tooLarge(limit: limit) }
        if needed > output.capacity {
            // Doubling keeps appends amortised; capping at limit keeps the bomb out.
            output.reserveCapacity(min(max(needed, output.capacity * 2, Self.initialCapacity), limit))
        }
        output.append(contentsOf: bytes)
    }

    private mutating func appendScratch(_ count: Int) throws(DecompressionError) {
        try append(UnsafeRawBufferPointer(rebasing: scratch[..<count]))
    }

    private func corrupt(_ reason: String) -> DecompressionError {
        .corrupt("\(encoding.name): \(reason)")
    }

    // MARK: Decoders

    private mutating func decode(_ chunk: UnsafeRawBufferPointer) throws(DecompressionError) {
        switch decoder {
        case .identity:
            try append(chunk)
        case .deflateUndecided(nil) where chunk.count == 1:
            decoder = .deflateUndecided(firstByte: chunk[0])
        case .deflateUndecided(nil):
            startDeflate(chunk[0], chunk[1])
            try decode(chunk)
        case .deflateUndecided(let firstByte?):
            startDeflate(firstByte, chunk[0])
            try withUnsafeBytes(of: firstByte) { (held) throws(DecompressionError) in try decode(held) }
            try decode(chunk)
        case .zlib(let stream, let gzip):
            try inflate(stream, gzip: gzip, chunk)
        case .brotli(let state):
            try decompressBrotli(state, chunk)
        case .zstd(let stream):
            try decompressZstd(stream, chunk)
        }
    }

    /// Chooses zlib-wrapped or raw deflate from the first two bytes: a zlib
    /// header has compression method 8, a window of at most 32 KiB, and is a
    /// multiple of 31 (RFC 1950 §2.2). Raw deflate could only look like one
    /// if it began with a non-final stored block with nonzero padding bits,
    /// which no encoder writes.
    private mutating func startDeflate(_ cmf: UInt8, _ flg: UInt8) {
        let zlibWrapped = cmf & 0x0F == 8 && cmf >> 4 <= 7 && (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0
        decoder = .zlib(Self.makeInflater(windowBits: zlibWrapped ? 15 : -15), gzip: false)
    }

    private static func makeInflater(windowBits: Int32) -> UnsafeMutablePointer<z_stream> {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = fb_inflate_init2(stream, windowBits)
        precondition(code == Z_OK, "inflateInit2 failed (\(code)): out of memory or a zlib.h/libz mismatch")
        return stream
    }

    private mutating func inflate(_ stream: UnsafeMutablePointer<z_stream>, gzip: Bool, _ chunk: UnsafeRawBufferPointer) throws(DecompressionError) {
        // avail_in is 32 bits wide.
        guard chunk.count <= Int(UInt32.max) else {
            try inflate(stream, gzip: gzip, UnsafeRawBufferPointer(rebasing: chunk[..<Int(UInt32.max)]))
            try inflate(stream, gzip: gzip, UnsafeRawBufferPointer(rebasing: chunk[Int(UInt32.max)...]))
            return
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: chunk.baseAddress!.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(chunk.count)
        while true {
            if complete {
                // More input after the end: another gzip member, or garbage.
                guard gzip else { throw corrupt("data after the end of the compressed stream") }
                inflateReset(stream)
                complete = false
            }
            stream.pointee.next_out = scratch.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(scratch.count)
            let code = CCompression.inflate(stream, Z_NO_FLUSH)
            try appendScratch(scratch.count - Int(stream.pointee.avail_out))
            let inputLeft = stream.pointee.avail_in > 0
            switch code {
            case Z_STREAM_END:
                complete = true
                if !inputLeft { return }
            case Z_OK:
                // Input used up and output not full: zlib holds nothing back.
                if !inputLeft && stream.pointee.avail_out > 0 { return }
            case Z_BUF_ERROR:
                // No progress possible: expected once the input is used up.
                if !inputLeft { return }
                throw corrupt("zlib made no progress")
            case Z_NEED_DICT:
                throw corrupt("stream needs a preset dictionary, which an HTTP body cannot name")
            default:
                throw corrupt(Self.zlibMessage(stream, code))
            }
        }
    }

    private static func zlibMessage(_ stream: UnsafeMutablePointer<z_stream>, _ code: Int32) -> String {
        if let message = stream.pointee.msg { return String(cString: message) }
        return String(cString: zError(code))
    }

    private mutating func decompressBrotli(_ state: OpaquePointer, _ chunk: UnsafeRawBufferPointer) throws(DecompressionError) {
        var availableIn = chunk.count
        var nextIn: UnsafePointer<UInt8>? = chunk.baseAddress!.assumingMemoryBound(to: UInt8.self)
        while true {
            if complete { throw corrupt("data after the end of the compressed stream") }
            var availableOut = scratch.count
            var nextOut: UnsafeMutablePointer<UInt8>? = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let result = BrotliDecoderDecompressStream(state, &availableIn, &nextIn, &availableOut, &nextOut, nil)
            try appendScratch(scratch.count - availableOut)
            switch result {
            case BROTLI_DECODER_RESULT_SUCCESS:
                complete = true
                if availableIn == 0 { return }
            case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
                continue
            case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
                return
            default:
                // Names like "_ERROR_FORMAT_PADDING_1".
                var name = String(cString: BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state)))
                if name.hasPrefix("_") { name.removeFirst() }
                throw corrupt("invalid stream (\(name))")
            }
        }
    }

    /// Frames of the zstd format (RFC 8878) only: libzstd also reads its pre-1.0
    /// "legacy" formats, and read one differently whole and byte by byte (`make fuzz`
    /// found it), so each frame's magic number is checked before zstd sees it.
    private mutating func decompressZstd(_ stream: OpaquePointer, _ chunk: UnsafeRawBufferPointer) throws(DecompressionError) {
        var rest = chunk[...]
        while !rest.isEmpty {
            if var magic = zstdFrameStart {
                let take = min(4 - magic.count, rest.count)
                magic += rest.prefix(take)
                rest = rest.dropFirst(take)
                guard magic.count == 4 else {
                    zstdFrameStart = magic
                    complete = false
                    return
                }
                guard !Self.isLegacyZstdFrame(magic) else {
                    throw corrupt("a pre-1.0 zstd frame (Firebell reads the zstd format of RFC 8878)")
                }
                zstdFrameStart = nil
                let fed = magic.withUnsafeBytes { bytes in
                    Result { () throws(DecompressionError) in try decodeZstd(stream, bytes) }
                }
                _ = try fed.get()
                if zstdFrameStart != nil { continue }
            }
            let consumed = try decodeZstd(stream, UnsafeRawBufferPointer(rebasing: rest))
            rest = rest.dropFirst(consumed)
        }
    }

    /// The magic numbers of zstd's pre-1.0 formats: v0.1 (FD 2F B5 1E) and v0.2 to
    /// v0.7 (22…27 B5 2F FD); the format's own is 28 B5 2F FD. Anything else goes to
    /// zstd, which names what is wrong with it.
    private static func isLegacyZstdFrame(_ magic: [UInt8]) -> Bool {
        magic == [0xFD, 0x2F, 0xB5, 0x1E] || ((0x22...0x27).contains(magic[0]) && magic[1...] == [0xB5, 0x2F, 0xFD])
    }

    /// Feeds `chunk` to zstd until it is used up or a frame ends; returns how much was used.
    private mutating func decodeZstd(_ stream: OpaquePointer, _ chunk: UnsafeRawBufferPointer) throws(DecompressionError) -> Int {
        var input = ZSTD_inBuffer(src: chunk.baseAddress, size: chunk.count, pos: 0)
        while true {
            var out = ZSTD_outBuffer(dst: scratch.baseAddress, size: scratch.count, pos: 0)
            let hint = ZSTD_decompressStream(stream, &out, &input)
            if ZSTD_isError(hint) != 0 {
                var reason = String(cString: ZSTD_getErrorName(hint))
                if ZSTD_getErrorCode(hint) == ZSTD_error_frameParameter_windowTooLarge {
                    reason += " (Firebell accepts zstd windows up to \(1 << Self.zstdWindowLog(limit: limit)) bytes)"
                }
                throw corrupt(reason)
            }
            try appendScratch(out.pos)
            // 0: a frame is decoded and flushed; another may follow, its magic checked first.
            complete = hint == 0
            if complete && out.pos < out.size {
                zstdFrameStart = []
                return input.pos
            }
            if input.pos == input.size && out.pos < out.size { return input.pos }
        }
    }

    /// log2 of the largest zstd window accepted: 8 MiB, or `limit` rounded up
    /// to a power of two, at most 128 MiB.
    private static func zstdWindowLog(limit: Int) -> Int32 {
        var log = zstdMinimumWindowLog
        while log < zstdMaximumWindowLog && 1 << log < limit { log += 1 }
        return log
    }
}

@available(*, unavailable, message: "a Decompressor has one owner: the request that feeds it")
extension Decompressor: Sendable {}
