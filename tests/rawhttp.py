"""Raw HTTP/1.1 over a socket, for requests no HTTP client library would send."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_type(self) -> str:
        """The AWS error name: ``x-amzn-ErrorType``, or the JSON protocols' ``__type``."""
        return self.headers.get("x-amzn-errortype") or self.json().get("__type", "")

    @property
    def message(self) -> str:
        return str(self.json().get("message", ""))


def parse(raw: bytes) -> RawResponse:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length")
    return RawResponse(status, headers, body[: int(length)] if length else body)


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    out = b""
    while chunk := sock.recv(65536):
        out += chunk
    return out


def send(port: int, data: bytes, timeout: float = 60) -> RawResponse:
    """Send ``data`` as is on a new connection; the server's answer, read until it
    closes (send ``Connection: close`` for a well-formed request)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return parse(read_all(sock))


def request(
    port: int,
    method: str,
    path: bytes,
    headers: dict[bytes, bytes] | None = None,
    body: bytes = b"",
) -> RawResponse:
    """One request with headers given as bytes (so they may be any bytes at all)."""
    lines = [method.encode() + b" " + path + b" HTTP/1.1", b"Host: 127.0.0.1"]
    for name, value in (headers or {}).items():
        lines.append(name + b": " + value)
    lines += [b"Content-Length: " + str(len(body)).encode(), b"Connection: close"]
    return send(port, b"\r\n".join(lines) + b"\r\n\r\n" + body)
