"""Closed-loop load generator, run as its own process by the throughput scenario:
``python -m bench.loadgen --port P --function F --connections N --seconds S``.

Each connection sends one Invoke, waits for the response, and sends the next one
straight from the protocol callback (no task per request), so the client spends as
little of the shared CPUs as possible.  Responses completing inside the measurement
window are counted; the warm-up before it lets the platform start every environment
the load needs.  CPU use of the server, its environments and this client is read
from ``/proc`` at the window's edges.  Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any, cast

from . import cpu
from .client import ResponseParser, invoke_ok, invoke_request
from .stats import summarize


@dataclass
class Window:
    """What happened between ``start`` and ``end`` (perf_counter seconds)."""

    start: float
    end: float
    completed: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def record(self, sent: float, done: float, ok: bool) -> None:
        if self.start <= done < self.end:
            self.completed += 1
            self.latencies_ms.append((done - sent) * 1000)
            if not ok:
                self.errors += 1


class ClosedLoop(asyncio.Protocol):
    """One keep-alive connection with exactly one request in flight."""

    def __init__(self, request: bytes, window: Window, done: asyncio.Future[None]) -> None:
        self._request = request
        self._window = window
        self._done = done
        self._parser = ResponseParser()
        self._sent = 0.0
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._send()

    def _send(self) -> None:
        assert self._transport is not None
        self._sent = time.perf_counter()
        self._transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        for response in self._parser.feed(data):
            now = time.perf_counter()
            self._window.record(self._sent, now, invoke_ok(response))
            if now >= self._window.end:
                self._finish()
                return
            self._send()

    def _finish(self) -> None:
        if self._transport is not None:
            self._transport.close()
        if not self._done.done():
            self._done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._done.done():
            self._done.set_exception(ConnectionError(f"server closed the connection: {exc}"))


@dataclass(frozen=True)
class LoadResult:
    connections: int
    seconds: float
    completed: int
    errors: int
    invocations_per_s: float
    latency_p50_ms: float
    latency_p99_ms: float
    cpu: cpu.CpuSplit
    """Cores used during the window by each party."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadResult:
        return cls(**{**data, "cpu": cpu.CpuSplit(**data["cpu"])})


async def generate(
    host: str,
    port: int,
    server_pid: int,
    function: str,
    connections: int,
    warmup_s: float,
    seconds: float,
) -> LoadResult:
    loop = asyncio.get_running_loop()
    start = time.perf_counter() + warmup_s
    window = Window(start, start + seconds)
    starts: list[cpu.CpuSnapshot] = []
    loop.call_later(warmup_s, lambda: starts.append(cpu.snapshot(server_pid)))
    request = invoke_request(function)
    dones: list[asyncio.Future[None]] = []
    for _ in range(connections):
        done: asyncio.Future[None] = loop.create_future()
        await loop.create_connection(partial(ClosedLoop, request, window, done), host, port)
        dones.append(done)
    await asyncio.wait_for(asyncio.gather(*dones), timeout=warmup_s + seconds + 60)
    # Taken when the last connection stopped, at most one response after the window.
    end = cpu.snapshot(server_pid)
    latency = summarize(window.latencies_ms or [0.0])
    return LoadResult(
        connections=connections,
        seconds=seconds,
        completed=window.completed,
        errors=window.errors,
        invocations_per_s=window.completed / seconds,
        latency_p50_ms=latency.p50,
        latency_p99_ms=latency.p99,
        cpu=cpu.split(starts[0], end),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--function", required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:  # the stdlib loop works, it just costs the shared CPUs more
        runner = asyncio.run
    else:
        runner = uvloop.run
    result = runner(
        generate(
            args.host,
            args.port,
            args.server_pid,
            args.function,
            args.connections,
            args.warmup,
            args.seconds,
        )
    )
    json.dump(asdict(result), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
