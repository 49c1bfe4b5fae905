import Foundation
import Testing

@testable import FirebellCompression

/// Replays `make fuzz`'s decompress inputs without the fuzzer: the seeds in
/// `fuzz/corpus/decompress` and every crash or hang it found, kept in
/// `fuzz/regressions/decompress`. As in the harness (Sources/firebell-fuzz), the first
/// byte picks the encoding (low three bits) and the chunk size (high three bits); the
/// body decompressed chunk by chunk must be the body decompressed whole, within the cap.
struct FuzzRegressionTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz")
    static let limit = 256 * 1024

    static let inputs: [String] = ["corpus", "regressions"].flatMap { kind in
        let folder = fuzzDirectory.appendingPathComponent(kind).appendingPathComponent("decompress")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { !$0.hasPrefix(".") }.sorted().map { "\(kind)/decompress/\($0)" }
    }

    @Test func decompressHasSeeds() {
        #expect(Self.inputs.contains { $0.hasPrefix("corpus/") })
    }

    @Test(arguments: inputs)
    func chunkedDecompressionIsWholeDecompression(input: String) throws {
        let bytes = Array(try Data(contentsOf: Self.fuzzDirectory.appendingPathComponent(input)))
        guard let first = bytes.first else { return }
        let encodings: [ContentEncoding] = [.identity, .gzip, .deflate, .brotli, .zstd]
        let encoding = encodings[Int(first & 0x07) % encodings.count]
        let chunkSize = [1, 2, 7, 64, 1000, 4096, 65536, Int.max][Int(first >> 5)]
        let body = Array(bytes.dropFirst())
        let whole = Result { () throws(DecompressionError) in
            try Decompressor.decompress(body, encoding, limit: Self.limit)
        }
        let chunked = Result { () throws(DecompressionError) in
            var decompressor = Decompressor(encoding, limit: Self.limit)
            var start = 0
            while start < body.count {
                let end = body.count - start <= chunkSize ? body.count : start + chunkSize
                try decompressor.feed(Array(body[start..<end]))
                start = end
            }
            return try decompressor.finish()
        }
        switch (whole, chunked) {
        case (.success(let a), .success(let b)):
            #expect(a == b, "\(input)")
            #expect(a.count <= Self.limit, "\(input)")
        case (.failure, .failure):
            break
        default:
            Issue.record("\(input): chunked and whole \(encoding.name) disagree: \(whole) vs \(chunked)")
        }
    }
}
