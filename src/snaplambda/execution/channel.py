"""The platform's end of an environment's control socket: a frame parser that
queues what arrives before anyone waits for it (see :mod:`..runtime.frames`)."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import orjson

from ..control.quotas import SYNC_PAYLOAD_MAX_BYTES
from ..runtime.frames import PREFIX, decode_prefix


class ControlChannel(asyncio.Protocol):
    """Frame parser for the control socket.

    Frames that arrive before anyone waits for them are queued, never dropped: the
    bootstrap may finish init before the platform has attached its transport.

    A body larger than ``max_body`` is never held in memory: it is read and
    discarded, and its frame delivered with an empty body and its size in the
    header's ``"dropped_body"``, so a function cannot make the platform buffer
    whatever it returns.
    """

    def __init__(self, max_body: int = SYNC_PAYLOAD_MAX_BYTES) -> None:
        self.buffer = bytearray()
        self.frames: deque[tuple[dict[str, Any], bytes]] = deque()
        self.waiter: asyncio.Future[tuple[dict[str, Any], bytes]] | None = None
        self.closed = False
        self.max_body = max_body
        self._skipping: dict[str, Any] | None = None
        """The header of the oversized frame whose body is being discarded."""
        self._skip = 0

    def data_received(self, data: bytes) -> None:
        if self._skipping is not None:
            taken = min(self._skip, len(data))
            self._skip -= taken
            if self._skip:
                return
            header, self._skipping = self._skipping, None
            self._deliver(header, b"")
            data = data[taken:]
        buf = self.buffer
        buf += data
        while len(buf) >= PREFIX.size:
            head_len, body_len = decode_prefix(bytes(buf[: PREFIX.size]))
            start = PREFIX.size + head_len
            if body_len > self.max_body and len(buf) >= start:
                header = orjson.loads(bytes(buf[PREFIX.size : start]))
                header["dropped_body"] = body_len
                taken = min(body_len, len(buf) - start)
                del buf[: start + taken]
                if taken < body_len:
                    self._skipping, self._skip = header, body_len - taken
                    return
                self._deliver(header, b"")
                continue
            end = start + body_len
            if len(buf) < end:
                return
            header = orjson.loads(bytes(buf[PREFIX.size : start]))
            body = bytes(buf[start:end])
            del buf[:end]
            self._deliver(header, body)

    def _deliver(self, header: dict[str, Any], body: bytes) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((header, body))
        else:
            self.frames.append((header, body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.end()

    def end(self) -> None:
        """No frame will come any more: fail whoever waits for one."""
        self.closed = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionError("control channel closed"))

    def expect(
        self, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[tuple[dict[str, Any], bytes]]:
        """A future for the next frame (already resolved if one is queued)."""
        fut: asyncio.Future[tuple[dict[str, Any], bytes]] = loop.create_future()
        if self.frames:
            fut.set_result(self.frames.popleft())
        elif self.closed:
            fut.set_exception(ConnectionError("control channel closed"))
        else:
            self.waiter = fut
        return fut
