"""Captures real Sentry envelopes for `bench/run.py` (figure 3) and prepares them for
`bench/sentry.lua`.

The real `sentry_sdk` reports ~200 distinct exceptions (distinct functions in
generated modules that exist on disk, so the SDK adds source context as it does
in an app) through a transport that keeps each serialized envelope instead of
sending it. Each envelope is then made reusable for many events: its `event_id`
moves to the end of the event payload (the header line carries none; the daemon
takes the payload's), and what comes before the id is gzip-compressed once. See
sentry.lua for how a request completes the stream with a fresh id.
"""

import gzip
import importlib
import json
import struct
import sys
import zlib
from pathlib import Path

KEY_HEADER_FIELDS_DROPPED = ("event_id", "dsn")

EXCEPTION_TYPES = ["ValueError", "KeyError", "TypeError", "RuntimeError", "LookupError",
                   "PaymentError", "TimeoutError", "PermissionError", "ConnectionError", "ZeroDivisionError"]
AREAS = ["billing", "checkout", "cart", "search", "auth", "inventory", "shipping", "reviews",
         "profile", "pricing", "coupons", "orders", "payments", "catalog", "emails", "exports",
         "imports", "reports", "webhooks", "sessions"]


def _module_source(area: str) -> str:
    lines = [
        f'"""shop.{area}: generated for the Firebell bench."""',
        "",
        "",
        "class PaymentError(Exception):",
        "    pass",
        "",
        "",
    ]
    for n, exc in enumerate(EXCEPTION_TYPES):
        raise_line = {
            "KeyError": "    return {}[f'sku-{order}']",
            "ZeroDivisionError": "    return total / (order - order)",
        }.get(exc, f"    raise {exc}(f'{area} step {n} failed for order {{order}} (total {{total}})')")
        lines += [
            f"def handle_{area}_{n}(order, total=12.5):",
            f"    items = [{{'sku': 'A-{n}', 'qty': 2}}, {{'sku': 'B-{n}', 'qty': 1}}]",
            "    customer = {'id': order % 97, 'tier': 'gold'}",
            raise_line,
            "",
            "",
        ]
    return "\n".join(lines)


def capture(workdir: Path, count: int = 200) -> list[bytes]:
    """Returns `count` serialized envelopes, one per distinct exception."""
    import sentry_sdk
    from sentry_sdk.transport import Transport

    captured: list[bytes] = []

    class KeepingTransport(Transport):
        def capture_envelope(self, envelope):
            captured.append(envelope.serialize())

        def flush(self, timeout, callback=None):
            pass

        def kill(self):
            pass

    package = workdir / "shopbench"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    for area in AREAS:
        (package / f"{area}.py").write_text(_module_source(area))
    sys.path.insert(0, str(workdir))
    importlib.invalidate_caches()
    try:
        sentry_sdk.init(
            dsn="http://5f0c4d3e2b1a49c8a7d6e5f4c3b2a190@127.0.0.1:9/1",
            transport=KeepingTransport,
            environment="production",
            release="shop@1.4.2",
            server_name="web-1",
            in_app_include=["shopbench"],
            # A plain Python app: the default integrations, without probing for web frameworks.
            auto_enabling_integrations=False,
        )
        handlers = []
        for area in AREAS:
            module = importlib.import_module(f"shopbench.{area}")
            handlers += [getattr(module, f"handle_{area}_{n}") for n in range(len(EXCEPTION_TYPES))]
        for i, handler in enumerate(handlers[:count]):
            try:
                handler(1000 + i)
            except Exception:
                sentry_sdk.capture_exception()
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        sys.path.remove(str(workdir))
    return captured


def prepare(envelope: bytes) -> tuple[bytes, int, int, str]:
    """(gzip prefix, CRC-32 of the uncompressed prefix, total uncompressed size, tail)
    for an envelope whose single event item gets its event_id appended per request."""
    lines = envelope.split(b"\n")
    header = json.loads(lines[0])
    for field in KEY_HEADER_FIELDS_DROPPED:
        header.pop(field, None)
    item_header = json.loads(lines[1])
    if item_header.get("type") != "event":
        raise ValueError(f"expected an event item, got {item_header}")
    payload = json.loads(lines[2])
    payload.pop("event_id", None)
    body = json.dumps(payload, separators=(",", ":"))
    assert body.endswith("}")
    payload_prefix = body[:-1] + ',"event_id":"'
    tail = '"}\n'
    item_header["length"] = len(payload_prefix.encode()) + 32 + len(tail) - 1  # the newline ends the item
    fixed = (json.dumps(header, separators=(",", ":")) + "\n"
             + json.dumps(item_header, separators=(",", ":")) + "\n" + payload_prefix).encode()
    # gzip header: magic, deflate, no flags, mtime 0, no extra flags, OS unknown.
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    prefix = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + compressor.compress(fixed) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return prefix, zlib.crc32(fixed), len(fixed) + 32 + len(tail), tail


def complete(prefix: bytes, crc: int, size: int, tail: str, event_id: str) -> bytes:
    """What sentry.lua does per request, for checking: the whole gzip body."""
    last = (event_id + tail).encode()
    n = len(last)
    return (prefix + b"\x01" + struct.pack("<HH", n, n ^ 0xFFFF) + last
            + struct.pack("<II", zlib.crc32(last, crc), size & 0xFFFFFFFF))


def write(workdir: Path, count: int = 200) -> int:
    """Captures, prepares and writes `count` envelopes under workdir/sentry; returns how many."""
    out = workdir / "sentry"
    out.mkdir(parents=True, exist_ok=True)
    envelopes = capture(workdir / "capture", count)
    manifest = ["return {"]
    for i, envelope in enumerate(envelopes):
        prefix, crc, size, tail = prepare(envelope)
        # Self-check: the completed body inflates (CRC and length verified) to a valid envelope.
        body = gzip.decompress(complete(prefix, crc, size, tail, "0123456789abcdef0123456789abcdef"))
        event = json.loads(body.split(b"\n")[2])
        assert event["event_id"] == "0123456789abcdef0123456789abcdef", event
        name = f"envelope{i:03d}.gz"
        (out / name).write_bytes(prefix)
        manifest.append(f'  {{file="{name}", crc={crc}, size={size}, tail={json.dumps(tail)}}},')
    manifest.append("}")
    (out / "manifest.lua").write_text("\n".join(manifest) + "\n")
    return len(envelopes)


if __name__ == "__main__":
    n = write(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 200)
    print(f"wrote {n} envelopes to {sys.argv[1]}/sentry")
