"""Loopback alert receivers for `bench/run.py`, run as a subprocess so the
harness's own work never delays a timestamp.

usage: receiver.py COUNT [--dead I]

Binds COUNT HTTP servers on 127.0.0.1 with ports the OS picks, prints
`{"ports": [...]}` on one line, then serves until stdin closes. Every POST is
answered `200 ok` (keep-alive) once its whole body has arrived; server number I
given with `--dead` accepts connections, reads and never answers (a receiver
that hangs). For each request the arrival time is `time.monotonic()` (one
clock for every process on the machine), and if the body names a probe issue
(`fbprobe` followed by letters, see run.py) the token is recorded with it.

Control, on any of the ports: `GET /_records` answers
`{"counts": [n per server], "probes": [[server, token, t], ...]}` and
`POST /_reset` clears both.
"""

import asyncio
import json
import re
import sys
import time

PROBE = re.compile(rb"fbprobe[a-z]+")
MAX_HEADER = 64 * 1024


class State:
    def __init__(self, count):
        self.counts = [0] * count
        self.probes = []

    def reset(self):
        self.counts = [0] * len(self.counts)
        self.probes = []


class Server(asyncio.Protocol):
    def __init__(self, state, index, dead):
        self.state = state
        self.index = index
        self.dead = dead
        self.buffer = bytearray()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        if self.dead:
            return  # read and drop; never answer
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEADER:
                    self.transport.close()
                return
            head = bytes(self.buffer[:end]).decode("latin-1")
            lines = head.split("\r\n")
            method, path = (lines[0].split(" ") + ["", ""])[:2]
            length = 0
            expect = False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value.strip())
                elif name == "expect" and value.strip().lower() == "100-continue":
                    expect = True
            total = end + 4 + length
            if len(self.buffer) < total:
                if expect and not getattr(self, "_continued", False):
                    self._continued = True
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                return
            self._continued = False
            body = bytes(self.buffer[end + 4:total])
            del self.buffer[:total]
            self.handle(method, path, body)

    def handle(self, method, path, body):
        now = time.monotonic()
        if method == "GET" and path.startswith("/_records"):
            payload = json.dumps({"counts": self.state.counts, "probes": self.state.probes}).encode()
            self.respond(payload, "application/json")
            return
        if method == "POST" and path.startswith("/_reset"):
            self.state.reset()
            self.respond(b"ok")
            return
        self.state.counts[self.index] += 1
        if b"fbprobe" in body:
            match = PROBE.search(body)
            if match:
                self.state.probes.append([self.index, match.group().decode(), now])
        self.respond(b"ok")

    def respond(self, payload, content_type="text/plain"):
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type.encode()
            + b"\r\nContent-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)


async def main():
    args = sys.argv[1:]
    count = int(args[0])
    dead = int(args[args.index("--dead") + 1]) if "--dead" in args else -1
    state = State(count)
    loop = asyncio.get_running_loop()
    servers = []
    for index in range(count):
        server = await loop.create_server(
            lambda index=index: Server(state, index, index == dead), "127.0.0.1", 0, backlog=1024)
        servers.append(server)
    ports = [s.sockets[0].getsockname()[1] for s in servers]
    print(json.dumps({"ports": ports}), flush=True)
    # Serve until the harness closes our stdin (or dies).
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()
    for server in servers:
        server.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
