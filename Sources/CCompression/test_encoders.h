#ifndef FIREBELL_CCOMPRESSION_TEST_ENCODERS_H
#define FIREBELL_CCOMPRESSION_TEST_ENCODERS_H

#include <zlib.h>
#include <brotli/encode.h>
#include <zstd.h>

// Encoders the tests use to build compressed fixtures with the same libraries
// the decoder uses. Submodule CCompression.TestEncoders: the daemon never
// imports it, so it does not link libbrotlienc.

/// Wrapper around deflateInit2(), a macro like inflateInit2(). windowBits as
/// for fb_inflate_init2: 15 zlib, -15 raw deflate, 15 + 16 gzip.
static inline int fb_deflate_init2(z_stream *stream, int level, int windowBits) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}

#endif /* FIREBELL_CCOMPRESSION_TEST_ENCODERS_H */
