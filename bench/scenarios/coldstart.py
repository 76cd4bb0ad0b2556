"""(a) Cold starts, against the same code imported by a bare interpreter.

Each round times two baselines, fresh processes of the function's real interpreter
importing the same package, and one cold start (rounds alternate which comes first):

* ``baseline``: ``python -S -c "import sys; sys.path.insert(0, PKG); import app"``, as
  the issue defines it; its wall time includes the interpreter's exit, which tears
  down every module and costs tens of milliseconds after a large import;
* ``import only``: the same command ending in ``os._exit(0)``, so only start-up and
  import are timed: the stricter comparison, since a cold start never pays an exit.

The cold start changes the function's configuration, which retires the environment,
waits until that process is gone, and times one invoke end to end.  Its REPORT gives
Init Duration and Duration; a function that returns its module timestamps
(``x-bench-init``, on the system-wide monotonic clock) lets the cold start be split
from outside the platform into phases that add up to the end-to-end time:

* request and create: HTTP, dispatch and process creation, up to the interpreter start;
* runtime init: interpreter start and the bootstrap, up to importing the handler;
* function init: the function module's own import;
* handoff and reply: init reported, invoke sent, result and HTTP response returned;
* first invoke: the handler's first call (REPORT Duration).

The first invoke after deploy is reported on its own: it also compiles bytecode.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, fields
from pathlib import Path

from .. import procs
from ..client import Connection, check_invoke, invoke_request
from ..control import LambdaControl
from ..report import Report, report_of
from ..stats import Summary, summarize

BARE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8"}


class ColdStartMissed(Exception):
    """An invoke meant to be cold reused an environment, or failed."""


@dataclass(frozen=True, slots=True)
class Phases:
    request_and_create_ms: float
    runtime_init_ms: float
    function_init_ms: float
    handoff_and_reply_ms: float
    first_invoke_ms: float


@dataclass(frozen=True, slots=True)
class ColdSample:
    end_to_end_ms: float
    init_duration_ms: float
    duration_ms: float
    phases: Phases | None


@dataclass(frozen=True, slots=True)
class Round:
    """One iteration: the cold start and the two baselines timed just before it."""

    end_to_end_ms: float
    init_duration_ms: float
    baseline_ms: float
    import_only_ms: float


@dataclass(frozen=True)
class ColdStartResult:
    function: str
    iterations: int
    first_after_deploy: ColdSample
    end_to_end_ms: Summary
    init_duration_ms: Summary
    baseline_ms: Summary
    """Fresh bare interpreter importing the package, exit included (the issue's)."""
    import_only_ms: Summary
    """The same without the interpreter's exit (``os._exit(0)`` after the import)."""
    ratio_p50: float
    """End to end over ``baseline``, at the median."""
    ratio_p95: float
    strict_ratio_p50: float
    """End to end over ``import_only``, at the median."""
    strict_ratio_p95: float
    paired_strict_ratio_p50: float
    """Median over rounds of end to end over the import-only time of the same round:
    steadier than the ratio of medians when the machine's speed drifts."""
    phases_ms: dict[str, Summary] | None
    rounds: list[Round]


def import_wall_ms(interpreter: str, package: Path, exit_normally: bool = True) -> float:
    """Wall time of a fresh ``interpreter -S`` importing ``app`` from ``package``."""
    code = f"import sys; sys.path.insert(0, {str(package)!r}); import app"
    if not exit_normally:
        code += "; import os; os._exit(0)"
    start = time.monotonic_ns()
    subprocess.run(
        [interpreter, "-S", "-c", code],
        cwd=package,
        env=BARE_ENV,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=True,
    )
    return (time.monotonic_ns() - start) / 1e6


def _phases(
    body: bytes, sent_ns: int, received_ns: int, init_ms: float, duration_ms: float
) -> Phases | None:
    """Split a cold start using the function's ``x-bench-init`` header, if it sent one."""
    result = json.loads(body)
    header = (result.get("headers") or {}).get("x-bench-init") if isinstance(result, dict) else None
    if not header:
        return None
    module_start, module_end, _pid = (int(part) for part in header.split(","))
    function_ms = (module_end - module_start) / 1e6
    # Init Duration spans interpreter start to handler loaded; the module's own time
    # is the function's, the rest is the runtime's.
    runtime_ms = init_ms - function_ms
    return Phases(
        request_and_create_ms=(module_start - sent_ns) / 1e6 - runtime_ms,
        runtime_init_ms=runtime_ms,
        function_init_ms=function_ms,
        handoff_and_reply_ms=(received_ns - module_end) / 1e6 - duration_ms,
        first_invoke_ms=duration_ms,
    )


def timed_invoke(conn: Connection, function: str, event: bytes) -> tuple[int, int, bytes, Report]:
    """One invoke with its log tail, checked, the app's own status too: (sent and
    received, monotonic ns; the body; its REPORT)."""
    request = invoke_request(function, event, tail=True)
    sent = time.monotonic_ns()
    response = conn.roundtrip(request)
    received = time.monotonic_ns()
    check_invoke(response)
    result = json.loads(response.body)
    if isinstance(result, dict) and result.get("statusCode", 200) != 200:
        raise ColdStartMissed(f"{function}: the app answered {result}")
    return sent, received, response.body, report_of(response)


def cold_invoke(conn: Connection, function: str, event: bytes) -> ColdSample:
    """One invoke that must be a cold start, timed end to end."""
    sent, received, body, report = timed_invoke(conn, function, event)
    init_ms = report.init_duration_ms
    if init_ms is None:
        raise ColdStartMissed(f"{function}: REPORT has no Init Duration")
    phases = _phases(body, sent, received, init_ms, report.duration_ms)
    return ColdSample((received - sent) / 1e6, init_ms, report.duration_ms, phases)


def _phase_summaries(samples: list[ColdSample]) -> dict[str, Summary] | None:
    phases = [s.phases for s in samples if s.phases is not None]
    if not phases or len(phases) != len(samples):
        return None
    return {
        f.name.removesuffix("_ms"): summarize([getattr(p, f.name) for p in phases])
        for f in fields(Phases)
    }


def run(
    conn: Connection,
    control: LambdaControl,
    server_pid: int,
    function: str,
    package: Path,
    interpreter: str,
    event: bytes,
    iterations: int,
) -> ColdStartResult:
    """Measure ``iterations`` cold starts of a freshly deployed ``function``."""
    first = cold_invoke(conn, function, event)
    import_wall_ms(interpreter, package)  # writes app's bytecode, as the first invoke did
    samples: list[ColdSample] = []
    baselines: list[float] = []
    import_only: list[float] = []
    for generation in range(1, iterations + 2):
        # Alternate which goes first, so neither side always runs right after a pause.
        baselines_first = generation % 2 == 1
        if baselines_first:
            baselines.append(import_wall_ms(interpreter, package))
            import_only.append(import_wall_ms(interpreter, package, exit_normally=False))
        control.retire_environments(function, generation)
        if not procs.wait_until_gone(server_pid, function):
            raise ColdStartMissed(f"{function}: retired environment did not exit")
        samples.append(cold_invoke(conn, function, event))
        if not baselines_first:
            import_only.append(import_wall_ms(interpreter, package, exit_normally=False))
            baselines.append(import_wall_ms(interpreter, package))
    # The first round warms caches the rest share (page cache, the server's code paths).
    samples, baselines, import_only = samples[1:], baselines[1:], import_only[1:]
    rounds = [
        Round(s.end_to_end_ms, s.init_duration_ms, b, i)
        for s, b, i in zip(samples, baselines, import_only, strict=True)
    ]
    e2e = summarize([s.end_to_end_ms for s in samples])
    base = summarize(baselines)
    strict = summarize(import_only)
    return ColdStartResult(
        function=function,
        iterations=len(samples),
        first_after_deploy=first,
        end_to_end_ms=e2e,
        init_duration_ms=summarize([s.init_duration_ms for s in samples]),
        baseline_ms=base,
        import_only_ms=strict,
        ratio_p50=e2e.p50 / base.p50,
        ratio_p95=e2e.p95 / base.p95,
        strict_ratio_p50=e2e.p50 / strict.p50,
        strict_ratio_p95=e2e.p95 / strict.p95,
        paired_strict_ratio_p50=summarize([r.end_to_end_ms / r.import_only_ms for r in rounds]).p50,
        phases_ms=_phase_summaries(samples),
        rounds=rounds,
    )
