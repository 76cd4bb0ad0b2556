"""How much of everything one run measures: one frozen object, two presets.

The full preset stays well inside the three-minute budget on a 2-core machine with
a warm package cache; ``--quick`` is for checking that the suite works.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    #: Cold starts of each function, after one discarded warm-up cold start.
    cold_iterations: int = 25
    #: Sequential warm invokes of the no-op, after ``warm_warmup`` unmeasured ones.
    warm_requests: int = 5000
    warm_warmup: int = 500
    #: Warm invokes with the log tail, for the function's own Duration.
    tail_requests: int = 2000
    boto3_requests: int = 300
    #: Sequential warm invokes of the FastAPI function before its memory is read.
    fastapi_warm_requests: int = 300
    #: Keep-alive connections of each throughput run (one run per value).
    throughput_connections: tuple[int, ...] = (8, 32)
    throughput_seconds: float = 8.0
    #: Load before the window opens, so every environment it needs is already warm.
    throughput_warmup_s: float = 2.0
    #: SnapStart (python3.12): fresh cold starts of $LATEST, restore cold starts of
    #: the published version (and as many fork-floor forks), warm invokes of it.
    snap_fresh_iterations: int = 8
    snap_restore_iterations: int = 60
    snap_warm_requests: int = 300


FULL = Settings()
QUICK = Settings(
    cold_iterations=5,
    warm_requests=1500,
    warm_warmup=200,
    tail_requests=500,
    boto3_requests=100,
    fastapi_warm_requests=100,
    throughput_connections=(16,),
    throughput_seconds=3.0,
    throughput_warmup_s=1.0,
    snap_fresh_iterations=3,
    snap_restore_iterations=15,
    snap_warm_requests=100,
)
