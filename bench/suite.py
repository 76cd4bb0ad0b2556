"""The whole suite in one run: build packages, start a fresh server, measure (a)-(d),
stop the server, print the table and write the JSON."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from snaplambda.packaging.zipdir import zip_directory

from . import cpu, events, machine, packages
from .client import Connection, invoke_request
from .control import LambdaControl
from .results import SuiteResult, write_json
from .scenarios import coldstart, latency, memory, snapstart, throughput
from .server import HOST, ServeProcess
from .settings import FULL, QUICK, Settings
from .stats import Summary, summarize
from .table import render

NOOP = "noop"
HEAVY = "fastapi_app"
RUNTIME = "python3.11"
SNAP = "fastapi_snapstart"
SNAP_PRIMED = "fastapi_snapstart_primed"
SNAP_RUNTIME = "python3.12"
DEFAULT_JSON = packages.BENCH_DIR / "results" / "latest.json"
NOOP_EVENT = b"{}"
HEAVY_EVENT = events.encode(events.http_api_v2("/items/42", "q=widget"))


class Progress:
    """Timestamped progress lines on stderr, so stdout holds only the table."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True)


class Measurement:
    """One server under test and everything measured against it."""

    def __init__(
        self,
        server: ServeProcess,
        settings: Settings,
        interpreter: str,
        say: Progress,
        snap_interpreter: str,
        snap_dir: Path,
    ) -> None:
        self.server = server
        self.settings = settings
        self.interpreter = interpreter
        self.snap_interpreter = snap_interpreter
        self.snap_dir = snap_dir
        self.say = say
        self.foreign_cpu: dict[str, float] = {}
        self.control = LambdaControl(server.endpoint)

    @contextmanager
    def step(self, key: str, message: str) -> Iterator[None]:
        """Announce a step and record how much CPU other processes took during it."""
        self.say(message)
        before = cpu.snapshot(self.server.pid)
        yield
        after = cpu.snapshot(self.server.pid)
        self.foreign_cpu[key] = round(cpu.foreign_percent(before, after), 1)

    def run(self, noop_dir: Path, heavy_dir: Path) -> SuiteResult:
        self.control.deploy(NOOP, zip_directory(noop_dir))
        self.control.deploy(HEAVY, zip_directory(heavy_dir), memory_mb=512)
        with Connection(HOST, self.server.port) as conn:
            cold = [
                self.cold_start(conn, NOOP, noop_dir, NOOP_EVENT),
                self.cold_start(conn, HEAVY, heavy_dir, HEAVY_EVENT),
            ]
            warm, heavy_warm = self.warm_latency(conn)
        pid = self.server.pid
        self.say("(d) memory of idle warm environments")
        idle = [memory.measure(pid, NOOP), memory.measure(pid, HEAVY)]
        idle.append(memory.measure_process(pid, "server"))
        loads = [self.throughput(conns) for conns in self.settings.throughput_connections]
        after = [memory.measure(pid, NOOP), memory.measure_process(pid, "server")]
        snap = self.snapstart()
        return SuiteResult(
            meta={"memory_limiter": str(self.server.health().get("memoryLimiter", "unknown"))},
            settings=self.settings,
            cold_start=cold,
            warm_latency=warm,
            fastapi_warm_ms=heavy_warm,
            throughput=loads,
            memory_idle=idle,
            memory_after_load=after,
            foreign_cpu_percent=self.foreign_cpu,
            wall_time_s=0.0,
            snapstart=snap,
        )

    def snapstart(self) -> snapstart.SnapStartResult:
        s = self.settings
        message = (
            f"(e) SnapStart on {SNAP_RUNTIME}: {s.snap_fresh_iterations} fresh, "
            f"{s.snap_restore_iterations} restore cold starts"
        )
        with self.step("snapstart", message):
            code = zip_directory(self.snap_dir)
            common: dict[str, Any] = {"memory_mb": 512, "runtime": SNAP_RUNTIME}
            self.control.deploy(SNAP, code, snap_start=True, **common)
            primed = {"BENCH_PRIME_EVENT": HEAVY_EVENT.decode()}
            self.control.deploy(
                SNAP_PRIMED, code, snap_start=True, handler="primed.handler", variables=primed,
                **common,
            )  # fmt: skip
            with Connection(HOST, self.server.port) as conn:
                return snapstart.run(
                    conn,
                    partial(Connection, HOST, self.server.port),
                    self.control,
                    self.server.health,
                    self.server.pid,
                    SNAP,
                    SNAP_PRIMED,
                    self.snap_interpreter,
                    self.snap_dir,
                    HEAVY_EVENT,
                    s.snap_fresh_iterations,
                    s.snap_restore_iterations,
                    s.snap_warm_requests,
                )

    def cold_start(
        self, conn: Connection, function: str, package: Path, event: bytes
    ) -> coldstart.ColdStartResult:
        n = self.settings.cold_iterations
        with self.step(f"cold_start_{function}", f"(a) cold start: {function} x{n}"):
            return coldstart.run(
                conn, self.control, self.server.pid, function, package, self.interpreter, event, n
            )

    def warm_latency(self, conn: Connection) -> tuple[latency.LatencyResult, Summary]:
        s = self.settings
        with self.step("warm_latency", f"(b) warm latency: {s.warm_requests} invokes of {NOOP}"):
            warm = latency.run(
                conn,
                self.control,
                NOOP,
                s.warm_requests,
                s.warm_warmup,
                s.tail_requests,
                s.boto3_requests,
            )
            request = invoke_request(HEAVY, HEAVY_EVENT)
            heavy = summarize(latency.timed_invokes(conn, request, s.fastapi_warm_requests))
        return warm, heavy

    def throughput(self, connections: int) -> throughput.ThroughputResult:
        s = self.settings
        message = f"(c) throughput: {connections} connections, {s.throughput_seconds:g} s"
        with self.step(f"throughput_{connections}", message):
            return throughput.run(
                self.server.port,
                self.server.pid,
                NOOP,
                connections,
                s.throughput_seconds,
                s.throughput_warmup_s,
            )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Measure snaplambda (cold start, warm latency, throughput, memory) "
        "against a fresh local server.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples (checks the suite)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is not met")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=20.0,
        metavar="S",
        help="wait up to S seconds for the machine to be under 20%% busy first (default 20)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    settings = QUICK if args.quick else FULL
    say = Progress()
    interp = packages.resolve_interpreter(RUNTIME)
    say(f"function interpreter {interp.path} ({interp.version})")
    noop = packages.build(NOOP, interp)
    say(f"building {HEAVY} (cached under {packages.CACHE_DIR})")
    heavy = packages.build(HEAVY, interp)
    say(f"{HEAVY} package: {heavy.path}{' (installed now)' if heavy.built else ' (cached)'}")
    # SnapStart needs python3.12: its package is built by that interpreter.
    snap_interp = packages.resolve_interpreter(SNAP_RUNTIME)
    snap = packages.build(HEAVY, snap_interp)
    say(f"{SNAP_RUNTIME} interpreter {snap_interp.path}, {HEAVY} package: {snap.path}")
    idle_before = (
        cpu.wait_until_quiet(20.0, args.quiet_wait) if args.quiet_wait > 0 else cpu.busy_percent()
    )
    say(f"machine {idle_before:.0f}% busy before starting")
    with tempfile.TemporaryDirectory(prefix="snaplambda-bench-") as tmp:
        server = ServeProcess(
            Path(tmp) / "state",
            Path(tmp) / "serve.log",
            # The same interpreter as the baseline, explicitly, rather than by lookup.
            env={
                f"SNAPLAMBDA_PYTHON3_{RUNTIME.rsplit('.', 1)[1]}": interp.path,
                f"SNAPLAMBDA_PYTHON3_{SNAP_RUNTIME.rsplit('.', 1)[1]}": snap_interp.path,
            },
        )
        with server:
            say(f"server pid {server.pid} on {server.endpoint}")
            try:
                measurement = Measurement(
                    server, settings, interp.path, say, snap_interp.path, snap.path
                )
                result = measurement.run(noop.path, heavy.path)
            except Exception:
                # The state directory, and the server's log with it, is about to go.
                print(f"--- serve log (tail) ---\n{server.output()[-8000:]}", file=sys.stderr)
                raise
    result.meta.update(
        machine.describe(packages.BENCH_DIR.parent),
        function_interpreter=f"{interp.path} ({interp.version})",
        snapstart_interpreter=f"{snap_interp.path} ({snap_interp.version})",
        machine_busy_before_percent=round(idle_before, 1),
        command="python bench/run.py" + (" --quick" if args.quick else ""),
    )
    result.wall_time_s = time.monotonic() - say.started
    write_json(result, HEAVY, args.json)
    print(render(result, HEAVY))
    print(f"\nresults written to {args.json}")
    if args.check and not all(t.met for t in result.targets(HEAVY)):
        return 1
    return 0
