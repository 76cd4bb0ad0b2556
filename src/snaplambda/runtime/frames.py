"""Wire format of the control channel between the platform and a bootstrap.

The channel is a Unix stream socket.  Every message is one frame::

    +----------------+----------------+-------------------+--------------+
    | header length  |  body length   |  header (JSON)    |  body bytes  |
    | u32 big-endian | u32 big-endian |  UTF-8 object     |  opaque      |
    +----------------+----------------+-------------------+--------------+

The header is a small JSON object whose ``"t"`` key names the message type; the body
carries payloads (invocation events, responses, error documents) untouched, so large
payloads are never re-encoded.

Platform -> runtime:
    ``invoke``   header: id, deadline_ms, arn, trace, client_context, identity; body: event
Runtime -> platform:
    ``init``     header: ok, t_start_ns, t_runtime_ns, t_done_ns, maxrss_kb; body: error JSON
                 when not ok
    ``result``   header: id, ok, maxrss_kb, fatal; body: response JSON or error JSON

``maxrss_kb`` is the runtime's peak memory as :mod:`.memstat` measures it (not
``ru_maxrss``, despite the name).

SnapStart adds ``restore`` / ``forked`` / ``exit`` / ``restored`` (see :mod:`snapshot`).
"""

from __future__ import annotations

import json
import socket
import struct

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs every cold start
if TYPE_CHECKING:
    from typing import Any

PREFIX = struct.Struct(">II")
MAX_HEADER = 1 << 20


class ChannelClosed(EOFError):
    """The peer closed the control channel."""


def encode(header: dict[str, Any], body: bytes = b"") -> bytes:
    """Encode one frame."""
    head = json.dumps(header, separators=(",", ":")).encode()
    return PREFIX.pack(len(head), len(body)) + head + body


def decode_prefix(prefix: bytes) -> tuple[int, int]:
    """Return (header length, body length) from the 8-byte prefix."""
    head_len, body_len = PREFIX.unpack(prefix)
    if head_len > MAX_HEADER:
        raise ValueError(f"frame header of {head_len} bytes is larger than {MAX_HEADER}")
    return head_len, body_len


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:], size - got)
        if n == 0:
            raise ChannelClosed("control channel closed")
        got += n
    return bytes(buf)


def read_blocking(sock: socket.socket) -> tuple[dict[str, Any], bytes]:
    """Read one frame from a blocking socket (the runtime side)."""
    head_len, body_len = decode_prefix(_recv_exact(sock, PREFIX.size))
    header = json.loads(_recv_exact(sock, head_len))
    body = _recv_exact(sock, body_len) if body_len else b""
    return header, body
