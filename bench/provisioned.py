"""Provisioned concurrency and keep-alive policies: figures, not tests.

``python -m bench.provisioned [--live]`` prints

* a simulation of keep-alive policies (fixed 10 min, fixed 4 h, adaptive, adaptive
  with pre-warming) on synthetic one-function workloads over a week: cold-start
  rate and idle environment-hours (``snaplambda.execution.keepalive.simulate``);
* with ``--live``: against a fresh ``snaplambda serve``, the client-side latency of
  the first invoke of a version on demand (a cold start) and through an alias with
  provisioned concurrency (READY first), each repeated on new functions.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import statistics
import tempfile
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snaplambda.execution.keepalive import FixedKeepAlive, HybridHistogramKeepAlive, simulate

if TYPE_CHECKING:
    from .control import LambdaControl

WEEK_H = 7 * 24.0


def _periodic(period_s: float, jitter_s: float, rng: random.Random) -> list[tuple[float, float]]:
    out, t = [], 0.0
    while t < WEEK_H * 3600:
        out.append((t, 0.2))
        t += period_s + rng.uniform(-jitter_s, jitter_s)
    return out


def _poisson(mean_s: float, rng: random.Random) -> list[tuple[float, float]]:
    out, t = [], 0.0
    while t < WEEK_H * 3600:
        out.append((t, 0.2))
        t += rng.expovariate(1 / mean_s)
    return out


def _daily_bursts(rng: random.Random) -> list[tuple[float, float]]:
    out = []
    for day in range(7):
        start = day * 86400 + 9 * 3600 + rng.uniform(-600, 600)
        out += [(start + i * 5.0, 0.2) for i in range(50)]
    return out


def simulation() -> None:
    rng = random.Random(7)
    workloads = {
        "timer every 20 min": _periodic(1200, 60, rng),
        "timer every 45 min": _periodic(2700, 120, rng),
        "Poisson, mean 5 min": _poisson(300, rng),
        "Poisson, mean 2 h": _poisson(7200, rng),
        "daily burst": _daily_bursts(rng),
    }
    print("| workload | policy | invocations | cold-start rate | idle env-hours |")
    print("| --- | --- | ---: | ---: | ---: |")
    for label, arrivals in workloads.items():
        policies: list[tuple[str, Any, bool]] = [
            ("fixed 10 min", FixedKeepAlive(600), False),
            ("fixed 4 h", FixedKeepAlive(4 * 3600), False),
            ("adaptive", HybridHistogramKeepAlive(600), False),
            ("adaptive + pre-warm", HybridHistogramKeepAlive(600), True),
        ]
        for name, policy, prewarm in policies:
            r = simulate(policy, "f", arrivals, prewarm=prewarm)
            print(
                f"| {label} | {name} | {r.invocations} | {r.cold_rate:.1%} | "
                f"{r.idle_seconds / 3600:.1f} |"
            )


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("app.py", source)
    return buf.getvalue()


APP = "import json, decimal, email.parser, http.client\n\ndef handler(e, c):\n    return 1\n"


def live(rounds: int) -> None:
    import boto3
    from botocore.config import Config as BotoConfig

    from .control import LambdaControl
    from .server import ServeProcess

    with (
        tempfile.TemporaryDirectory() as tmp,
        ServeProcess(Path(tmp) / "state", Path(tmp) / "serve.log") as server,
    ):
        control = LambdaControl(server.endpoint)
        # LambdaControl deploys; the calls it does not wrap go through this client.
        lam = boto3.client(
            "lambda",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=BotoConfig(retries={"total_max_attempts": 1}),
        )
        cold: list[float] = []
        warm: list[float] = []
        provisioned: list[float] = []
        for i in range(rounds):
            name = f"bench-pc-{i}"
            control.deploy(name, _zip(APP))
            version = control.publish_and_wait(name)
            lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
            t0 = time.perf_counter()
            lam.invoke(FunctionName=name, Qualifier=version, Payload=b"{}")
            cold.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            lam.invoke(FunctionName=name, Qualifier=version, Payload=b"{}")
            warm.append((time.perf_counter() - t0) * 1000)
            lam.put_provisioned_concurrency_config(
                FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
            )
            while (
                lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")[
                    "Status"
                ]
                != "READY"
            ):
                time.sleep(0.02)
            t0 = time.perf_counter()
            lam.invoke(FunctionName=name, Qualifier="live", Payload=b"{}")
            provisioned.append((time.perf_counter() - t0) * 1000)
            lam.delete_function(FunctionName=name)
        fill = {
            "scratch (python3.11)": _time_to_ready(control, lam, "bench-fill", "python3.11", False),
        }
        try:
            fill["SnapStart restore (python3.12)"] = _time_to_ready(
                control, lam, "bench-fill-snap", "python3.12", True
            )
        except Exception as exc:  # no python3.12 here: say so instead of a figure
            print(json.dumps({"time to READY, SnapStart": f"not measured: {exc}"}))
    for source, seconds in fill.items():
        print(json.dumps({"time to READY, 10 environments": source, "seconds": round(seconds, 2)}))
    for label, xs in (
        ("on-demand cold start", cold),
        ("on-demand warm", warm),
        ("provisioned", provisioned),
    ):
        xs.sort()
        p90 = xs[min(len(xs) - 1, math.ceil(0.9 * len(xs)) - 1)]
        print(
            json.dumps(
                {
                    "first invoke": label,
                    "n": len(xs),
                    "median_ms": round(statistics.median(xs), 1),
                    "p90_ms": round(p90, 1),
                }
            )
        )


def _time_to_ready(
    control: LambdaControl, lam: Any, name: str, runtime: str, snapstart: bool
) -> float:
    """Seconds from PutProvisionedConcurrencyConfig(10) to READY on a fresh alias."""
    control.deploy(name, _zip(APP), runtime=runtime, snap_start=snapstart)
    version = control.publish_and_wait(name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    t0 = time.perf_counter()
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=10
    )
    deadline = time.monotonic() + 120
    while (
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")["Status"]
        != "READY"
    ):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: not READY after 120 s")
        time.sleep(0.02)
    elapsed = time.perf_counter() - t0
    lam.delete_function(FunctionName=name)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--live", action="store_true", help="also measure a live server")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    simulation()
    if args.live:
        live(args.rounds)


if __name__ == "__main__":
    main()
