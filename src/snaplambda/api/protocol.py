"""uvicorn's httptools protocol with AWS-shaped parser errors, a bound on the request
head and deadlines for slow clients.

uvicorn answers a request it cannot parse itself, as plain text, and has no limit on
the time a client may take to send its request line and headers, nor its body
(``timeout_keep_alive`` covers only the idle time between requests).  This subclass:

- answers a malformed request (request line, header, ``Content-Length``, chunked
  encoding) with ``400 BadRequestException`` in Lambda's error shape, naming what the
  parser refused;
- refuses a request line and headers over ``max_head_bytes`` with ``431
  RequestHeaderFieldsTooLargeException``, and a body over ``max_body_bytes`` (as
  declared, or as it arrives) with ``413 RequestEntityTooLargeException``;
- cuts a connection whose request line and headers are not complete within
  ``head_timeout_s`` of its first byte (or of connecting), and one whose body is not
  complete within ``body_timeout_s`` of its headers, with ``408
  RequestTimeoutException`` when no response has started (a slow client holds one
  connection, never the event loop, so other clients are unaffected).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .headers import error_response

_REASONS = {
    400: b"Bad Request",
    408: b"Request Timeout",
    413: b"Request Entity Too Large",
    431: b"Request Header Fields Too Large",
}


class AwsHttpToolsProtocol(HttpToolsProtocol):
    """See the module docstring; the limits are class attributes (:func:`protocol_class`)."""

    head_timeout_s = 10.0
    body_timeout_s = 120.0
    max_head_bytes = 32 * 1024
    #: A 50 MB zip, base64 in a JSON body, with room for the rest of the body.
    max_body_bytes = 80 * 1024 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase = "idle"  # idle (before a request) -> head -> body -> idle
        self._head_bytes = 0  # parsed: the request line and complete headers
        self._head_chunks = 0  # received in chunks that end inside the head
        self._body_bytes = 0

    # -- deadlines -----------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if self._phase == "body":
            answer = cycle is not None and not cycle.response_started
            what = f"the request body was not complete within {self.body_timeout_s:g} seconds"
        else:
            answer = cycle is None or cycle.response_complete
            what = (
                f"the request line and headers were not complete within "
                f"{self.head_timeout_s:g} seconds"
            )
        if answer:
            self._answer(408, "RequestTimeoutException", f"Request timed out: {what}")
        else:
            self.transport.close()

    # -- answering what never reaches the application --------------------------------

    def _answer(self, status: int, aws_type: str, message: str) -> None:
        """Write one AWS-shaped error response and close the connection."""
        self._disarm()
        if self.transport.is_closing():  # answered already; the parser ran on
            return
        headers, body = error_response({}, status, aws_type, message)
        head = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status])]
        for name, value in [*headers, (b"connection", b"close")]:
            head.append(name + b": " + value + b"\r\n")
        self.transport.write(b"".join(head) + b"\r\n" + body)
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self._answer(400, "BadRequestException", f"The HTTP request could not be parsed: {msg}")

    # -- the protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.head_timeout_s)  # a connection that never sends a request

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        before = self._phase
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            if self._head_bytes > self.max_head_bytes:  # raised by _count, wrapped
                self._head_too_large()
            elif isinstance(exc.__context__, UnicodeDecodeError):  # uvicorn decodes the path
                self.send_400_response("the request target is not ASCII")
            else:
                self.send_400_response(str(exc) or "malformed request")
            return
        # A chunk that leaves a request head unfinished: the parser holds it until the
        # head ends.  (One that also completed a request, headers and body, counts
        # nothing: that request's head was measured by the callbacks.)
        if before != "body" and self._phase == "head":
            self._head_chunks += len(data)
            if self._head_chunks > self.max_head_bytes:
                self._head_too_large()

    def _head_too_large(self) -> None:
        self._answer(
            431,
            "RequestHeaderFieldsTooLargeException",
            f"The request line and headers exceed {self.max_head_bytes} bytes",
        )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._phase = "head"
        self._arm(self.head_timeout_s)

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._count(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._count(len(name) + len(value) + 4)

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.max_head_bytes:
            raise ValueError("head too large")  # the parser stops and reports a callback error

    def on_headers_complete(self) -> None:
        self._phase = "body"
        self._body_bytes = 0
        self._arm(self.body_timeout_s)
        declared = next((v for k, v in self.headers if k == b"content-length"), b"0")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            self._body_too_large()  # before the application sees the request
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self.transport.is_closing():
            return
        self._body_bytes += len(body)
        if self._body_bytes > self.max_body_bytes:  # a chunked body can declare nothing
            self._body_too_large()
            return
        super().on_body(body)

    def _body_too_large(self) -> None:
        cycle = self.cycle
        if cycle is not None and cycle.response_started and not cycle.response_complete:
            self.transport.close()
            return
        self._answer(
            413,
            "RequestEntityTooLargeException",
            f"Request must be smaller than {self.max_body_bytes} bytes",
        )

    def on_message_complete(self) -> None:
        self._phase = "idle"
        self._head_bytes = self._head_chunks = 0
        self._disarm()
        if not self.transport.is_closing():  # else refused before the app saw it
            super().on_message_complete()


def protocol_class(
    head_timeout_s: float, body_timeout_s: float, max_head_bytes: int
) -> type[AwsHttpToolsProtocol]:
    """The protocol with these limits, for ``uvicorn.Config(http=...)``."""
    return type(
        "ConfiguredAwsHttpToolsProtocol",
        (AwsHttpToolsProtocol,),
        {
            "head_timeout_s": head_timeout_s,
            "body_timeout_s": body_timeout_s,
            "max_head_bytes": max_head_bytes,
        },
    )
