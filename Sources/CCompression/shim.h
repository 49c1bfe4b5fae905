#ifndef FIREBELL_CCOMPRESSION_SHIM_H
#define FIREBELL_CCOMPRESSION_SHIM_H

#include <zlib.h>
#include <brotli/decode.h>
#include <zstd.h>
#include <zstd_errors.h>

// The decoders for request bodies (Content-Encoding gzip, deflate, br, zstd).
// Only FirebellCompression/Decompressor.swift imports this module (its tests
// also import the TestEncoders submodule, see test_encoders.h).

/// Wrapper around inflateInit2(), a macro that passes ZLIB_VERSION and
/// sizeof(z_stream) to inflateInit2_(); Swift does not import function-like
/// macros. windowBits: 15 zlib-wrapped (RFC 1950), -15 raw deflate (RFC 1951),
/// 15 + 16 gzip (RFC 1952). The z_stream must not move after this call: zlib
/// keeps a pointer back to it and refuses a stream whose address changed.
static inline int fb_inflate_init2(z_stream *stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

#endif /* FIREBELL_CCOMPRESSION_SHIM_H */
