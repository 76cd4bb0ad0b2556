"""What the environment sandbox costs: fresh cold start, SnapStart restore and warm
invoke of the ``noop`` function with the sandbox off and on (bubblewrap), in one
process and one run, alternating round by round so that drift affects both alike.

Each platform runs in-process (no HTTP: what is measured is the platform's own work
end to end of ``Platform.invoke``).  A fresh cold start is forced by changing an
environment variable of ``$LATEST``; a restore by retiring the version's warm
environment before the invoke (the snapshot holder stays).

    python -m bench.sandbox [--rounds 30] [--warm 300]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import tempfile
import time
from pathlib import Path

from snaplambda.config import Config, SandboxMode
from snaplambda.control.arns import FunctionRef
from snaplambda.packaging.zipdir import zip_directory
from snaplambda.platform import Platform

NOOP = Path(__file__).parent / "functions" / "noop"
MODES: tuple[SandboxMode, ...] = ("off", "bwrap")


async def _published(platform: Platform, name: str, runtime: str, snap: bool) -> str:
    code = base64.b64encode(zip_directory(NOOP)).decode()
    body = {
        "FunctionName": name,
        "Runtime": runtime,
        "Handler": "app.handler",
        "Role": "arn:aws:iam::123456789012:role/bench",
        "Code": {"ZipFile": code},
    }
    if snap:
        body["SnapStart"] = {"ApplyOn": "PublishedVersions"}
    platform.functions.create(body)
    if not snap:
        return "$LATEST"
    version = platform.versions.publish(name, {}).version
    await platform.invoke(FunctionRef(name, version), b"{}")  # waits for the snapshot
    return version


async def _timed(platform: Platform, ref: FunctionRef) -> float:
    t0 = time.perf_counter_ns()
    await platform.invoke(ref, b"{}")
    return (time.perf_counter_ns() - t0) / 1e6


async def _measure(rounds: int, warm: int) -> dict[str, dict[str, list[float]]]:
    out: dict[str, dict[str, list[float]]] = {m: {"fresh": [], "restore": [], "warm": []} for m in MODES}
    with tempfile.TemporaryDirectory() as tmp:
        platforms = {
            mode: Platform(Config(state_dir=Path(tmp) / mode, sandbox=mode)) for mode in MODES
        }
        for platform in platforms.values():
            await platform.start()
        try:
            snap_version = {}
            for mode, platform in platforms.items():
                assert (platform.sandbox is None) == (mode == "off"), platform.sandbox_mechanism
                await _published(platform, "fresh", "python3.11", snap=False)
                snap_version[mode] = await _published(platform, "snap", "python3.12", snap=True)
            for r in range(rounds):
                for mode in MODES if r % 2 == 0 else tuple(reversed(MODES)):
                    platform = platforms[mode]
                    platform.functions.update_configuration(
                        "fresh", {"Environment": {"Variables": {"ROUND": str(r)}}}
                    )
                    out[mode]["fresh"].append(await _timed(platform, FunctionRef("fresh")))
                    platform.pool.retire("snap", snap_version[mode])
                    ref = FunctionRef("snap", snap_version[mode])
                    out[mode]["restore"].append(await _timed(platform, ref))
            for mode in MODES:
                ref = FunctionRef("fresh")
                for _ in range(warm):
                    out[mode]["warm"].append(await _timed(platforms[mode], ref))
        finally:
            for platform in platforms.values():
                await platform.close()
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warm", type=int, default=300)
    args = parser.parse_args()
    results = asyncio.run(_measure(args.rounds, args.warm))
    print(f"{args.rounds} rounds (fresh, restore), {args.warm} warm invokes; ms end to end")
    print(f"{'':<24}{'off p50':>9}{'p99':>8}{'bwrap p50':>11}{'p99':>8}{'delta p50':>11}")
    for kind in ("fresh", "restore", "warm"):
        off, on = results["off"][kind], results["bwrap"][kind]
        p50_off, p50_on = statistics.median(off), statistics.median(on)
        print(
            f"{kind + ' (noop)':<24}{p50_off:>9.2f}{_pct(off, 0.99):>8.2f}"
            f"{p50_on:>11.2f}{_pct(on, 0.99):>8.2f}{p50_on - p50_off:>+11.2f}"
        )


if __name__ == "__main__":
    main()
