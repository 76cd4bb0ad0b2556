"""The X-Ray daemon protocol: UDP datagrams of ``{"format":"json","version":1}``, a
newline, then one segment or subsegment document.

:class:`DaemonProtocol` is the platform's listener; every environment gets its
address in ``AWS_XRAY_DAEMON_ADDRESS``, so aws-xray-sdk and Powertools' Tracer send
to it unchanged.  Datagrams are parsed and handed to a callback that only queues.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import orjson

HEADER = b'{"format":"json","version":1}'


class XrayProtocolError(ValueError):
    pass


def parse_datagram(data: bytes) -> dict[str, Any]:
    """The segment document of one daemon datagram; raises :class:`XrayProtocolError`."""
    head, sep, body = data.partition(b"\n")
    if not sep:
        raise XrayProtocolError("no newline after the header")
    try:
        header = orjson.loads(head)
    except orjson.JSONDecodeError as exc:
        raise XrayProtocolError(f"header is not JSON: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != "json":
        raise XrayProtocolError(f"unsupported header {head[:80]!r}")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise XrayProtocolError(f"segment is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise XrayProtocolError("segment is not a JSON object")
    for key in ("trace_id", "id"):
        if not isinstance(doc.get(key), str):
            raise XrayProtocolError(f"segment has no {key}")
    return doc


def encode_datagram(doc: dict[str, Any]) -> bytes:
    return HEADER + b"\n" + orjson.dumps(doc)


class DaemonProtocol(asyncio.DatagramProtocol):
    """Receives segments; ``on_segment`` must not block, ``on_error`` gets the reason
    of every datagram refused."""

    def __init__(
        self,
        on_segment: Callable[[dict[str, Any]], None],
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.on_segment = on_segment
        self.on_error = on_error
        self.received = 0
        self.refused = 0

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            doc = parse_datagram(data)
        except XrayProtocolError as exc:
            self.refused += 1
            if self.on_error is not None:
                self.on_error(str(exc))
            return
        self.received += 1
        self.on_segment(doc)


def bind_daemon_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A bound UDP socket (port 0: any free port), made before the loop runs so that
    its address is known when environments are configured."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((host, port))
    sock.setblocking(False)
    return sock
