"""(b) Warm invoke latency of the no-op function, one request at a time on one
keep-alive connection.

Three passes: plain invokes (what a caller sees), invokes with the log tail (whose
REPORT gives the Duration the platform measured around the function, so end to end
minus Duration is the platform's own overhead), and boto3 invokes for reference.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..client import Connection, check_invoke, invoke_request
from ..control import LambdaControl
from ..report import report_of
from ..stats import Summary, summarize


@dataclass(frozen=True)
class LatencyResult:
    function: str
    end_to_end_ms: Summary
    tail_end_to_end_ms: Summary
    """With ``X-Amz-Log-Type: Tail``: the server also base64-encodes the log tail."""
    function_duration_ms: Summary
    """REPORT Duration: the round trip to the environment, as the platform times it."""
    platform_overhead_ms: Summary
    """End to end minus REPORT Duration, per request."""
    boto3_ms: Summary | None


@contextmanager
def _no_gc() -> Iterator[None]:
    # The client's own collector pauses would be charged to the platform.
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def timed_invokes(conn: Connection, request: bytes, count: int) -> list[float]:
    """Milliseconds of ``count`` sequential invokes."""
    clock = time.perf_counter_ns
    samples = []
    with _no_gc():
        for _ in range(count):
            start = clock()
            response = conn.roundtrip(request)
            samples.append((clock() - start) / 1e6)
            check_invoke(response)
    return samples


def _tail_pass(conn: Connection, function: str, count: int) -> tuple[list[float], list[float]]:
    """(end-to-end ms, REPORT Duration ms) of ``count`` invokes with the log tail."""
    request = invoke_request(function, tail=True)
    clock = time.perf_counter_ns
    e2e, durations = [], []
    with _no_gc():
        for _ in range(count):
            start = clock()
            response = conn.roundtrip(request)
            e2e.append((clock() - start) / 1e6)
            check_invoke(response)
            durations.append(report_of(response).duration_ms)
    return e2e, durations


def run(
    conn: Connection,
    control: LambdaControl | None,
    function: str,
    requests: int,
    warmup: int,
    tail_requests: int,
    boto3_requests: int,
) -> LatencyResult:
    plain = invoke_request(function)
    timed_invokes(conn, plain, warmup)
    e2e = timed_invokes(conn, plain, requests)
    tail_e2e, durations = _tail_pass(conn, function, tail_requests)
    boto3_ms = None
    if control is not None and boto3_requests:
        for _ in range(20):
            control.timed_invoke(function, {})
        boto3_ms = summarize([control.timed_invoke(function, {}) for _ in range(boto3_requests)])
    return LatencyResult(
        function=function,
        end_to_end_ms=summarize(e2e),
        tail_end_to_end_ms=summarize(tail_e2e),
        function_duration_ms=summarize(durations),
        platform_overhead_ms=summarize([t - d for t, d in zip(tail_e2e, durations, strict=True)]),
        boto3_ms=boto3_ms,
    )
