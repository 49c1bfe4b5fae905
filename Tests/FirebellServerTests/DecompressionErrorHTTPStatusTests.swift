import FirebellCompression
import Testing

import FirebellServer

// FirebellCompression says why a body could not be decompressed; the server
// decides the status that answers it. Decoding itself is tested in
// FirebellCompressionTests.

@Suite("Request-body decompression: HTTP answers")
struct DecompressionErrorHTTPStatusTests {
    @Test func errorsCarryTheirHTTPStatus() {
        #expect(DecompressionError.unsupported("lzma").httpStatus == 415)
        #expect(DecompressionError.tooLarge(limit: 10).httpStatus == 413)
        #expect(DecompressionError.corrupt("x").httpStatus == 400)
    }
}
