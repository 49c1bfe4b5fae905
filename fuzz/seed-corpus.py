#!/usr/bin/env python3
"""Rebuilds fuzz/corpus/<harness>/ from the test fixtures, samples and config.

The seeds are the inputs the unit tests already use: the SDK envelopes of
SentryFixtures.swift, the event bodies of the decoder tests, samples/,
the parameterizer's examples, config/firebell.yaml and the config tests' YAML,
and the decompressor's inputs compressed each way. Each file is named by the
SHA-1 of its bytes, as libFuzzer names what it adds, so re-running this only
adds files. Run from the repository root: python3 fuzz/seed-corpus.py
"""
import gzip
import hashlib
import json
import pathlib
import re
import subprocess
import zlib

import brotli

TESTS = pathlib.Path("Tests/FirebellCoreTests")
CORPUS = pathlib.Path("fuzz/corpus")
MAX_SEED = 16 * 1024

MULTILINE = re.compile(r'(#*)"""\n(.*?)\n([ \t]*)"""\1', re.S)
LINE = re.compile(r'(#+)"(.*?)"\1')
PLAIN = re.compile(r'(?<![#"\\])"((?:[^"\\\n]|\\.)+)"')


def multiline(path):
    """Swift multi-line string literals, their closing line's indentation removed."""
    for match in MULTILINE.finditer(path.read_text()):
        indent = match.group(3)
        lines = match.group(2).split("\n")
        text = "\n".join(l[len(indent):] if l.startswith(indent) else l.lstrip() for l in lines)
        yield text if match.group(1) else unescape(text)


def single(path):
    """One-line raw string literals (#"..."#) and plain ones with their escapes undone."""
    text = MULTILINE.sub("", path.read_text())
    for match in LINE.finditer(text):
        yield match.group(2)
    for match in PLAIN.finditer(LINE.sub("", text)):
        yield unescape(match.group(1))


def unescape(text):
    text = re.sub(r"\\\(.*?\)", "1", text)  # an interpolation becomes some value
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


def is_json(text):
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


def write(harness, data):
    if isinstance(data, str):
        data = data.encode()
    if not data or len(data) > MAX_SEED:
        return
    folder = CORPUS / harness
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main():
    envelopes = [t for t in multiline(TESTS / "SentryFixtures.swift") if t.startswith("{")]
    for envelope in envelopes:
        write("envelope", envelope)
        for line in envelope.split("\n")[2:]:
            if line.startswith("{"):
                write("sentry-event", line)

    events = []
    for name in ["GenericEventDecoderTests.swift", "GenericEventFastPathTests.swift",
                 "SentryEventDecoderTests.swift", "SentryFastPathTests.swift", "JSONReaderTests.swift"]:
        for text in list(multiline(TESTS / name)) + list(single(TESTS / name)):
            if text.lstrip()[:1] in ("{", "["):
                events.append((name, text))
    for sample in sorted(pathlib.Path("samples").glob("*.json")):
        events.append(("samples", sample.read_text()))
    for name, text in events:
        write("json", text)
        if name.startswith("Generic") or name == "samples":
            write("generic", text)
        elif name.startswith("Sentry") and text.lstrip().startswith("{"):
            write("sentry-event", text)
    for envelope in envelopes:
        for line in envelope.split("\n"):
            write("json", line)

    for text in single(TESTS / "ParameterizerTests.swift"):
        write("parameterizer", text)
    for name, text in events:
        for field in re.findall(r'"(?:message|value|formatted)"\s*:\s*"((?:[^"\\]|\\.)*)"', text):
            write("parameterizer", field)

    write("config", pathlib.Path("config/firebell.yaml").read_text())
    for name in ["DesignExampleConfig.swift", "ConfigLoaderTests.swift", "ConfigErrorTests.swift"]:
        for text in multiline(TESTS / name):
            write("config", text)

    # The otlp harness reads its first byte as the signal (bit 0: logs, traces) and the
    # encoding (bit 1: protobuf, JSON); the stacktrace harness reads any text.
    for text in multiline(TESTS / "OTLPDecoderTests.swift"):
        if text.lstrip().startswith('{"resourceLogs"'):
            write("otlp", b"\x02" + text.encode())
        elif text.lstrip().startswith('{"resourceSpans"'):
            write("otlp", b"\x03" + text.encode())
    for text in multiline(pathlib.Path("Tests/FirebellServerTests/OTLPServerTests.swift")):
        if text.lstrip().startswith('{"resourceLogs"'):
            write("otlp", b"\x02" + text.encode())
    for trace in sorted((TESTS / "Fixtures" / "StackTraces").glob("*.txt")):
        write("stacktrace", trace.read_bytes())
    for text in multiline(TESTS / "StackTraceTextTests.swift"):
        write("stacktrace", text)

    # The decompress harness reads its first byte as encoding (low 3 bits: identity,
    # gzip, deflate, br, zstd) and chunk size (high 3 bits).
    plain = [pathlib.Path("samples/payment.json").read_bytes(), envelopes[0].encode(), b""]
    for body in plain:
        raw = zlib.compressobj(wbits=-15)
        zstd = subprocess.run(["zstd", "-q", "-c", "-"], input=body, capture_output=True, check=True).stdout
        encoded = [(0, body), (1, gzip.compress(body)), (2, zlib.compress(body)),
                   (2, raw.compress(body) + raw.flush()), (3, brotli.compress(body)), (4, zstd)]
        for (code, data), chunking in zip(encoded, [7, 0, 3, 5, 1, 7]):
            write("decompress", bytes([code | chunking << 5]) + data)
        write("decompress", bytes([1 | 2 << 5]) + gzip.compress(body) + gzip.compress(body))


if __name__ == "__main__":
    main()
