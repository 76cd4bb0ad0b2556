"""A lean HTTP/1.1 keep-alive client for measuring the Invoke API.

General-purpose clients (boto3, httpx) spend more time per request than the platform
does, so the suite talks to the socket itself.  :class:`ResponseParser` is pure (bytes
in, responses out) and shared by the blocking :class:`Connection` used for latency and
the asyncio driver in :mod:`bench.loadgen` used for throughput.

>>> parser = ResponseParser()
>>> parser.feed(b"HTTP/1.1 200 OK\\r\\ncontent-length: 4\\r\\n\\r\\nnull")[0].body
b'null'
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import quote


class ProtocolError(Exception):
    """The server sent something this client cannot frame."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]
    """Names in lower case."""
    body: bytes


def build_request(
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    host: str = "127.0.0.1",
) -> bytes:
    """The bytes of one keep-alive request."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def invoke_request(function: str, payload: bytes = b"{}", tail: bool = False) -> bytes:
    """A synchronous Invoke of ``function``; ``tail`` asks for the log tail (REPORT)."""
    headers = {"Content-Type": "application/json"}
    if tail:
        headers["X-Amz-Log-Type"] = "Tail"
    path = f"/2015-03-31/functions/{quote(function, safe='')}/invocations"
    return build_request("POST", path, payload, headers)


class InvokeFailed(Exception):
    """An Invoke answered an error, or the function raised."""


def invoke_ok(response: Response) -> bool:
    return response.status == 200 and "x-amz-function-error" not in response.headers


def check_invoke(response: Response) -> Response:
    """``response``, or :class:`InvokeFailed` with the body if the invoke failed."""
    if not invoke_ok(response):
        raise InvokeFailed(f"status {response.status}: {response.body[:2000]!r}")
    return response


class ResponseParser:
    """Incremental parser of a stream of responses (Content-Length or chunked)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Response]:
        """Add received bytes; return every response they complete."""
        self._buf += data
        done: list[Response] = []
        while (response := self._next()) is not None:
            done.append(response)
        return done

    def _next(self) -> Response | None:
        buf = self._buf
        head_end = buf.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        status_line, *header_lines = bytes(buf[:head_end]).decode("latin-1").split("\r\n")
        try:
            status = int(status_line.split(" ", 2)[1])
        except (IndexError, ValueError) as exc:
            raise ProtocolError(f"bad status line {status_line!r}") from exc
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        pos = head_end + 4
        if "content-length" in headers:
            end = pos + int(headers["content-length"])
            if len(buf) < end:
                return None
            body = bytes(buf[pos:end])
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            framed = _dechunk(buf, pos)
            if framed is None:
                return None
            body, end = framed
        else:
            raise ProtocolError("response has neither Content-Length nor chunked encoding")
        del buf[:end]
        return Response(status, headers, body)


def _dechunk(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    """(body, end offset) of a complete chunked body starting at ``pos``; no trailers."""
    parts: list[bytes] = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        try:
            size = int(bytes(buf[pos:eol]).split(b";", 1)[0], 16)
        except ValueError as exc:
            raise ProtocolError(f"bad chunk size {bytes(buf[pos:eol])!r}") from exc
        start = eol + 2
        if len(buf) < start + size + 2:
            return None
        if size == 0:
            return b"".join(parts), start + 2
        parts.append(bytes(buf[start : start + size]))
        pos = start + size + 2


class Connection:
    """One blocking keep-alive connection: send a request, wait for its response."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._parser = ResponseParser()

    def roundtrip(self, request: bytes) -> Response:
        self.send(request)
        return self.receive()

    def send(self, request: bytes) -> None:
        """Send without waiting (several connections can then have requests in flight)."""
        self._sock.sendall(request)

    def receive(self) -> Response:
        """The response to the request sent last."""
        while True:
            data = self._sock.recv(1 << 16)
            if not data:
                raise ProtocolError("server closed the connection")
            responses = self._parser.feed(data)
            if responses:
                if len(responses) > 1:
                    raise ProtocolError("more responses than requests")
                return responses[0]

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
