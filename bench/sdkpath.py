"""What the runtime SDK's place on ``sys.path`` costs fresh cold starts that do not use
it: ``python -m bench.sdkpath [--rounds N]`` from the repository root.

Two servers run side by side, one as shipped (the SDK linked for every runtime, last
on ``sys.path``) and one with ``SNAPLAMBDA_SDK=0`` (no SDK directory at all).  Each
round retires the environments of the same functions on both and times one cold
start on each, alternating which server goes first; neither function imports boto3:

* ``noop``: imports nothing (the bootstrap's own imports only);
* ``fastapi_app``: FastAPI, pydantic and Mangum, hundreds of imports, including
  optional ones that are not installed and so are looked for on every path entry.

It prints, per function and server, the end-to-end and Init Duration medians and
p95s, and the median over rounds of each round's on/off ratio (steadier than the
ratio of medians when the machine's speed drifts), and writes them to
``bench/results/sdkpath.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from snaplambda.packaging.zipdir import zip_directory

from . import packages, procs
from .client import Connection
from .control import LambdaControl
from .scenarios.coldstart import cold_invoke
from .server import HOST, ServeProcess
from .stats import Summary, summarize
from .suite import HEAVY, HEAVY_EVENT, NOOP, NOOP_EVENT, RUNTIME, Progress

MODES = ("sdk", "no-sdk")


@dataclass(frozen=True)
class Side:
    end_to_end_ms: Summary
    init_duration_ms: Summary


@dataclass(frozen=True)
class Comparison:
    function: str
    rounds: int
    sides: dict[str, Side]
    paired_end_to_end_ratio_p50: float
    """Median over rounds of (with SDK) / (without) end to end, the same round."""
    paired_init_ratio_p50: float


def _measure(
    function: str,
    event: bytes,
    servers: dict[str, ServeProcess],
    controls: dict[str, LambdaControl],
    rounds: int,
) -> Comparison:
    e2e: dict[str, list[float]] = {mode: [] for mode in MODES}
    init: dict[str, list[float]] = {mode: [] for mode in MODES}
    conns = {mode: Connection(HOST, server.port) for mode, server in servers.items()}
    try:
        for generation in range(1, rounds + 2):
            order = MODES if generation % 2 else MODES[::-1]
            for mode in order:
                controls[mode].retire_environments(function, generation)
                if not procs.wait_until_gone(servers[mode].pid, function):
                    raise RuntimeError(f"{mode}: {function}'s environment did not exit")
                sample = cold_invoke(conns[mode], function, event)
                if generation > 1:  # the first round warms the page cache for both
                    e2e[mode].append(sample.end_to_end_ms)
                    init[mode].append(sample.init_duration_ms)
    finally:
        for conn in conns.values():
            conn.close()
    sides = {mode: Side(summarize(e2e[mode]), summarize(init[mode])) for mode in MODES}
    on, off = MODES
    return Comparison(
        function,
        rounds,
        sides,
        summarize([a / b for a, b in zip(e2e[on], e2e[off], strict=True)]).p50,
        summarize([a / b for a, b in zip(init[on], init[off], strict=True)]).p50,
    )


def _render(results: list[Comparison]) -> str:
    lines = [
        "function      server   e2e p50   e2e p95   init p50  init p95  (ms)",
    ]
    for result in results:
        for mode, side in result.sides.items():
            e, i = side.end_to_end_ms, side.init_duration_ms
            lines.append(
                f"{result.function:<13} {mode:<7} {e.p50:8.1f}  {e.p95:8.1f}  {i.p50:8.1f}  {i.p95:8.1f}"
            )
        lines.append(
            f"{result.function:<13} paired sdk/no-sdk p50: end to end "
            f"{result.paired_end_to_end_ratio_p50:.3f}, init {result.paired_init_ratio_p50:.3f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sdkpath", description=__doc__)
    parser.add_argument("--rounds", type=int, default=25, help="measured rounds (default 25)")
    parser.add_argument(
        "--json", type=Path, default=packages.BENCH_DIR / "results" / "sdkpath.json"
    )
    args = parser.parse_args(argv)
    say = Progress()
    interp = packages.resolve_interpreter(RUNTIME)
    noop = packages.build(NOOP, interp)
    heavy = packages.build(HEAVY, interp)
    say(f"function interpreter {interp.path} ({interp.version})")
    pin = {f"SNAPLAMBDA_PYTHON3_{RUNTIME.rsplit('.', 1)[1]}": interp.path}
    with tempfile.TemporaryDirectory(prefix="snaplambda-bench-sdk-") as tmp:
        servers = {
            mode: ServeProcess(
                Path(tmp) / mode / "state",
                Path(tmp) / f"{mode}.log",
                env={**pin, "SNAPLAMBDA_SDK": "1" if mode == "sdk" else "0"},
            )
            for mode in MODES
        }
        for mode, server in servers.items():
            (Path(tmp) / mode).mkdir()
            server.start()
            say(f"{mode}: server pid {server.pid}, sdk {server.health()['sdk'].get('offered')}")
        try:
            controls = {mode: LambdaControl(server.endpoint) for mode, server in servers.items()}
            for control in controls.values():
                control.deploy(NOOP, zip_directory(noop.path))
                control.deploy(HEAVY, zip_directory(heavy.path), memory_mb=512)
            results = []
            for function, event in ((NOOP, NOOP_EVENT), (HEAVY, HEAVY_EVENT)):
                say(f"{function}: {args.rounds} rounds of one cold start per server")
                results.append(_measure(function, event, servers, controls, args.rounds))
        finally:
            for server in servers.values():
                server.stop()
    print(_render(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    print(f"\nresults written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
