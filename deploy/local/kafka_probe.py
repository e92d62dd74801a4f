"""Readiness probe for the local Kafka broker (stdlib only, used by kafka.sh).

Usage: python3 kafka_probe.py HOST PORT [TIMEOUT_SECONDS]

Sends a real ApiVersions request, then a Metadata request, and exits 0 only when the
broker answers both and lists at least one live broker (a KRaft broker that is still
fenced or catching up on metadata lists none). Exit 1 otherwise; prints nothing unless
FIRESAFE_PROBE_VERBOSE=1.
"""

from __future__ import annotations

import os
import socket
import struct
import sys

API_VERSIONS = 18
METADATA = 3
METADATA_VERSION = 4  # non-flexible; still supported by Kafka 4.x (KIP-896 removed v0-v3)
CLIENT_ID = b"firesafe-probe"


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by broker")
        buf += chunk
    return bytes(buf)


def _call(sock: socket.socket, api_key: int, version: int, corr: int, body: bytes) -> bytes:
    # Request header v1: api_key, api_version, correlation_id, client_id (nullable string).
    header = struct.pack(">hhih", api_key, version, corr, len(CLIENT_ID)) + CLIENT_ID
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    data = _recv_exact(sock, size)
    (got_corr,) = struct.unpack_from(">i", data, 0)
    if got_corr != corr:
        raise ValueError(f"correlation id {got_corr} != {corr}")
    return data[4:]  # response header v0 is just the correlation id


def probe(host: str, port: int, timeout: float) -> str:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        # ApiVersions v0: empty body; response: error_code, [api_key, min, max].
        resp = _call(sock, API_VERSIONS, 0, 1, b"")
        error_code, count = struct.unpack_from(">hi", resp, 0)
        if error_code != 0:
            raise ValueError(f"ApiVersions error_code={error_code}")
        ranges = {}
        for i in range(count):
            key, lo, hi = struct.unpack_from(">hhh", resp, 6 + 6 * i)
            ranges[key] = (lo, hi)
        lo, hi = ranges.get(METADATA, (-1, -1))
        if not lo <= METADATA_VERSION <= hi:
            # Answering ApiVersions is still a real answer from a broker.
            return f"ApiVersions ok ({count} APIs); Metadata v{METADATA_VERSION} unsupported"
        # Metadata v4: topics = [] (none), allow_auto_topic_creation = false.
        resp = _call(sock, METADATA, METADATA_VERSION, 2, struct.pack(">ib", 0, 0))
        _throttle, brokers = struct.unpack_from(">ii", resp, 0)
        if brokers < 1:
            raise ValueError("no live broker in metadata yet")
        return f"ApiVersions ok ({count} APIs), Metadata ok ({brokers} broker(s))"


def main() -> int:
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 9092
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
    verbose = os.environ.get("FIRESAFE_PROBE_VERBOSE") == "1"
    try:
        msg = probe(host, port, timeout)
    except (OSError, ValueError, struct.error) as exc:
        if verbose:
            print(f"kafka {host}:{port} not ready: {exc}", file=sys.stderr)
        return 1
    if verbose:
        print(f"kafka {host}:{port}: {msg}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
