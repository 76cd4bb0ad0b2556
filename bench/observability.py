"""Overhead of observability on the warm invoke path, in process.

Runs the platform (no HTTP server: what is measured is the platform's own work per
invoke) with the ``noop`` function and times warm ``Platform.invoke`` calls in four
configurations, interleaved round by round so that drift affects all alike:

- ``off``: the metric store's hot-path calls replaced by no-ops (logs are stored in
  every configuration, as before observability existed);
- ``metrics``: platform metrics recorded (Text log format, PassThrough tracing);
- ``json``: as ``metrics`` with ``LoggingConfig.LogFormat = JSON``;
- ``traced``: as ``metrics`` with ``TracingConfig.Mode = Active`` (platform segments);
- ``all``: metrics, JSON logs and Active tracing together.

Each configuration's function runs in its own environment process, and where the
scheduler puts a process moves its figure by tens of microseconds.  So the whole
measurement is repeated in ``--trials`` fresh platforms; the result per configuration
is the median over trials of its median minus that trial's ``off`` median.

    python -m bench.observability [--trials 7] [--rounds 10] [--invokes 200]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from snaplambda.config import Config
from snaplambda.control.arns import FunctionRef
from snaplambda.packaging.zipdir import zip_directory
from snaplambda.platform import Platform

NOOP = Path(__file__).parent / "functions" / "noop"

CONFIGS: dict[str, dict[str, Any]] = {
    "off": {},
    "metrics": {},
    "json": {"LoggingConfig": {"LogFormat": "JSON"}},
    "traced": {"TracingConfig": {"Mode": "Active"}},
    "all": {"LoggingConfig": {"LogFormat": "JSON"}, "TracingConfig": {"Mode": "Active"}},
}


def _noop(*_args: object) -> None:
    return None


async def _measure(rounds: int, invokes: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform(Config(state_dir=Path(tmp) / "state"))
        await platform.start()
        try:
            code = base64.b64encode(zip_directory(NOOP)).decode()
            for name, extra in CONFIGS.items():
                platform.functions.create(
                    {
                        "FunctionName": f"obs-{name}",
                        "Runtime": "python3.11",
                        "Handler": "app.handler",
                        "Code": {"ZipFile": code},
                        **extra,
                    }
                )
            metrics, pool = platform.metrics, platform.pool
            real = (pool.on_admit, metrics.invocation)
            samples: dict[str, list[float]] = {name: [] for name in CONFIGS}
            for name in CONFIGS:  # warm every function (cold starts are not measured)
                for _ in range(20):
                    await platform.invoke(FunctionRef(f"obs-{name}"), b"{}")
            for r in range(rounds):
                order = list(CONFIGS) if r % 2 == 0 else list(reversed(CONFIGS))
                for name in order:
                    off = name == "off"
                    pool.on_admit, metrics.invocation = (  # type: ignore[method-assign]
                        (_noop, _noop) if off else real
                    )
                    ref = FunctionRef(f"obs-{name}")
                    for _ in range(invokes):
                        t0 = time.perf_counter_ns()
                        await platform.invoke(ref, b"{}")
                        samples[name].append((time.perf_counter_ns() - t0) / 1000)
                    pool.on_admit, metrics.invocation = real  # type: ignore[method-assign]
            return samples
        finally:
            await platform.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--invokes", type=int, default=200)
    args = parser.parse_args()
    medians: dict[str, list[float]] = {name: [] for name in CONFIGS}
    for _ in range(args.trials):
        samples = asyncio.run(_measure(args.rounds, args.invokes))
        for name, values in samples.items():
            medians[name].append(statistics.median(values))
    base = statistics.median(medians["off"])
    print(f"{args.trials} trials x {args.rounds} rounds x {args.invokes} warm invokes")
    print(f"{'configuration':<14}{'median us':>11}{'vs off':>10}{'vs off %':>10}{'range':>18}")
    for name, values in medians.items():
        deltas = sorted(v - off for v, off in zip(values, medians["off"], strict=True))
        delta = statistics.median(deltas)
        spread = f"{deltas[0]:+.0f}..{deltas[-1]:+.0f}"
        print(
            f"{name:<14}{statistics.median(values):>11.1f}{delta:>+10.1f}"
            f"{100 * delta / base:>+9.1f}%{spread:>18}"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
