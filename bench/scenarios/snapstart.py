"""(e) SnapStart: restore cold starts of a published version against fresh ones,
a warm invoke and the bare fork floor, and the memory a restore saves.

One python3.12 function (the import-heavy FastAPI app), created with
``SnapStart.ApplyOn = PublishedVersions`` and published once, so its version 1 has a
snapshot holder while ``$LATEST`` never uses one:

* fresh cold start: ``$LATEST``, forced cold as in (a) by changing its configuration
  (which retires its environments and not version 1's);
* restore cold start: version 1.  A configuration change never retires a published
  version's environments, and publishing anew would build a new snapshot each time,
  so each round kills the version's idle environment (SIGKILL from outside, as a
  crash would), waits until the platform has dropped it (``/health``'s environment
  count falls), then times one invoke end to end; its REPORT must carry a Restore
  Duration, i.e. the platform forked a new environment from the holder.  Nothing
  about the restore path differs from any other cold start of the version;
* warm invoke: sequential invokes of the version's restored environment;
* fork floor (:mod:`bench.forkfloor`): a bare interpreter that imported the app forks
  a child per iteration that calls the handler once; fork to result in the parent.
  The floor compared with the restore does what the platform's SnapStart preload
  does (the modules a first call imports are imported before forking); the floor
  without it is measured too, to show what preload saves.

The same restores (and floor) are then measured for the same app *primed*
(``bench/functions/fastapi_app/primed.py``: a before-snapshot hook sends one request
through it, as AWS recommends), in a second function: the unprimed app's first
invoke in every restored environment is FastAPI's and pydantic's lazy set-up, which
dominates its restore.

Memory: PSS of a restored environment (the pages it shares with its holder are split
between them) against RSS of the fresh ``$LATEST`` environment, and the holder's own
PSS and RSS.  Then :data:`SCALE_OUT` requests are sent at once, so the version has
several restored environments that each served a request, and their mean PSS is
measured too: shared pages are split more ways as a version scales out.  Restored environments are the holder's children, not the server's; the
holder is the server's child whose environment has ``_SNAPLAMBDA_SNAPSHOT=1``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .. import procs
from ..client import Connection, check_invoke, invoke_request
from ..control import LambdaControl
from ..stats import Summary, summarize
from .coldstart import BARE_ENV, ColdStartMissed, cold_invoke, timed_invoke
from .latency import timed_invokes

FORK_FLOOR = Path(__file__).resolve().parent.parent / "forkfloor.py"
_SNAPSHOT_MARK = b"_SNAPLAMBDA_SNAPSHOT=1"


@dataclass(frozen=True)
class Restores:
    """Restore cold starts of one published SnapStart version, and its memory."""

    function: str
    primed: bool
    snapshot_build_s: float
    """From PublishVersion to the version being Active."""
    restore_ms: Summary
    """Restore cold starts, end to end at the API."""
    restore_duration_ms: Summary
    """REPORT Restore Duration of those restores."""
    learning_ms: list[float]
    """The first restores, end to end, while the snapshot learns (not in restore_ms)."""
    fork_floor_ms: Summary
    """The floor with the same modules preloaded as the platform's snapshot has."""
    fork_floor_unpreloaded_ms: Summary | None
    """The floor of the interpreter as its init left it (unprimed app only)."""
    ratio_restore_floor_p50: float
    restored_pss_mb: float
    restored_rss_mb: float
    restored_uss_mb: float
    """Private pages only: what each further restored environment adds."""
    holder_pss_mb: float
    holder_rss_mb: float
    scaled_envs: int
    """Restored environments alive after :data:`SCALE_OUT` simultaneous requests."""
    scaled_pss_mb: float
    """Their mean PSS."""


@dataclass(frozen=True)
class SnapStartResult:
    function: str
    runtime: str
    fresh_ms: Summary
    """``$LATEST`` cold starts, end to end at the API."""
    fresh_init_duration_ms: Summary
    fresh_rss_mb: float
    fresh_pss_mb: float
    warm_ms: Summary
    """Warm invokes of the (unprimed) version."""
    restores: Restores
    """The same function as the fresh cold starts."""
    primed: Restores | None
    """The same app primed in a before-snapshot hook."""
    ratio_fresh_restore_p50: float
    ratio_fresh_primed_p50: float | None


def _is_holder(pid: int) -> bool:
    try:
        return _SNAPSHOT_MARK in (procs.PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return False


def holder_of(server_pid: int, function: str) -> int:
    holders = [p for p in procs.environments(server_pid, function) if _is_holder(p)]
    if len(holders) != 1:
        raise RuntimeError(f"{function}: expected one snapshot holder, found {holders}")
    return holders[0]


def fresh_environments(server_pid: int, function: str) -> list[int]:
    return [p for p in procs.environments(server_pid, function) if not _is_holder(p)]


def _below(count: Callable[[], int], bound: int) -> bool:
    return count() < bound


def _wait(condition: Callable[[], bool], what: str) -> None:
    if not procs.wait_until(condition):
        raise ColdStartMissed(f"timed out waiting until {what}")


def restore_invoke(conn: Connection, qualified: str, event: bytes) -> tuple[float, float]:
    """One invoke that must restore from the snapshot: (end to end, Restore Duration)."""
    sent, received, _, report = timed_invoke(conn, qualified, event)
    if report.restore_duration_ms is None:
        raise ColdStartMissed(f"{qualified}: REPORT has no Restore Duration (not restored)")
    return (received - sent) / 1e6, report.restore_duration_ms


def fork_floor(
    interpreter: str, package: Path, event: bytes, iterations: int, mode: str = ""
) -> list[float]:
    """``mode``: "" (as init left it), "primed" or "preload" (see bench.forkfloor)."""
    argv = [interpreter, "-S", str(FORK_FLOOR), str(package), str(iterations)]
    done = subprocess.run(
        argv + ([mode] if mode else []),
        cwd=package,
        env=BARE_ENV,
        input=event,
        capture_output=True,
        check=True,
        timeout=120,
    )
    times: list[float] = json.loads(done.stdout)
    return times


#: Simultaneous requests sent to measure the memory of a scaled-out version.
SCALE_OUT = 4

#: Restores after the first that are reported apart, as the snapshot's learning:
#: the first teaches preload the late imports, the next the pages a first request
#: writes (while the holder imports, a restore waits; the reporting copy reads its
#: page map before it answers).
LEARNING_ROUNDS = 2


def _scale_out(
    connect: Callable[[], Connection], holder: int, qualified: str, event: bytes
) -> tuple[int, float]:
    """Send :data:`SCALE_OUT` requests at once (each environment but one idle one is
    a new restore); (restored environments, their mean PSS in MB)."""
    conns = [connect() for _ in range(SCALE_OUT)]
    try:
        for c in conns:
            c.send(invoke_request(qualified, event))
        for c in conns:
            check_invoke(c.receive())
    finally:
        for c in conns:
            c.close()
    restored = procs.session_leaders(holder)
    pss = [procs.memory(pid).pss_kb for pid in restored]
    return len(restored), procs.mb(sum(pss) / len(pss))


def _restores(
    conn: Connection,
    connect: Callable[[], Connection],
    control: LambdaControl,
    environment_count: Callable[[], int],
    server_pid: int,
    function: str,
    interpreter: str,
    package: Path,
    event: bytes,
    iterations: int,
    primed: bool,
) -> tuple[Restores, str]:
    """Publish ``function`` and time ``iterations`` restore cold starts of it;
    returns the figures and the qualified name."""
    started = time.monotonic()
    version = control.publish_and_wait(function)
    build_s = time.monotonic() - started
    qualified = f"{function}:{version}"
    holder = holder_of(server_pid, function)
    restores, restore_durations = [], []
    first, _ = restore_invoke(conn, qualified, event)  # nothing to kill yet
    learning = [first]
    for round_ in range(LEARNING_ROUNDS + iterations):
        restored = procs.session_leaders(holder)
        if len(restored) != 1:
            raise ColdStartMissed(f"{qualified}: expected one restored env, found {restored}")
        before = environment_count()
        os.kill(restored[0], signal.SIGKILL)
        _wait(partial(_below, environment_count, before), "the platform dropped the env")
        e2e, restore_ms = restore_invoke(conn, qualified, event)
        if round_ < LEARNING_ROUNDS:
            learning.append(e2e)
            continue
        restores.append(e2e)
        restore_durations.append(restore_ms)
    floor = summarize(
        fork_floor(interpreter, package, event, iterations, "primed" if primed else "preload")
    )
    unpreloaded = None if primed else summarize(fork_floor(interpreter, package, event, iterations))
    (restored_pid,) = procs.session_leaders(holder)
    restored_mem, holder_mem = procs.memory(restored_pid), procs.memory(holder)
    scaled_envs, scaled_pss = _scale_out(connect, holder, qualified, event)
    restore_s = summarize(restores)
    figures = Restores(
        function=function,
        primed=primed,
        snapshot_build_s=build_s,
        restore_ms=restore_s,
        restore_duration_ms=summarize(restore_durations),
        learning_ms=learning,
        fork_floor_ms=floor,
        fork_floor_unpreloaded_ms=unpreloaded,
        ratio_restore_floor_p50=restore_s.p50 / floor.p50,
        restored_pss_mb=procs.mb(restored_mem.pss_kb),
        restored_rss_mb=procs.mb(restored_mem.rss_kb),
        restored_uss_mb=procs.mb(restored_mem.uss_kb),
        holder_pss_mb=procs.mb(holder_mem.pss_kb),
        holder_rss_mb=procs.mb(holder_mem.rss_kb),
        scaled_envs=scaled_envs,
        scaled_pss_mb=scaled_pss,
    )
    return figures, qualified


def run(
    conn: Connection,
    connect: Callable[[], Connection],
    control: LambdaControl,
    health: Callable[[], dict[str, object]],
    server_pid: int,
    function: str,
    primed_function: str | None,
    interpreter: str,
    package: Path,
    event: bytes,
    fresh_iterations: int,
    restore_iterations: int,
    warm_requests: int,
) -> SnapStartResult:
    """Measure everything above; both functions are already created with SnapStart
    (``primed_function``, if any, with the primed handler)."""

    def environment_count() -> int:
        return int(str(health()["environments"]))

    # Fresh: $LATEST, one discarded round first (bytecode, page cache).
    fresh, fresh_init = [], []
    for generation in range(1, fresh_iterations + 2):
        control.retire_environments(function, generation)
        _wait(lambda: not fresh_environments(server_pid, function), "$LATEST's env exited")
        sample = cold_invoke(conn, function, event)
        fresh.append(sample.end_to_end_ms)
        fresh_init.append(sample.init_duration_ms)
    fresh, fresh_init = fresh[1:], fresh_init[1:]
    (fresh_pid,) = fresh_environments(server_pid, function)
    fresh_mem = procs.memory(fresh_pid)

    common = (conn, connect, control, environment_count, server_pid)
    tail = (interpreter, package, event, restore_iterations)
    plain, qualified = _restores(*common, function, *tail, primed=False)
    warm = timed_invokes(conn, invoke_request(qualified, event), warm_requests)
    primed = None
    if primed_function is not None:
        primed, _ = _restores(*common, primed_function, *tail, primed=True)

    fresh_s = summarize(fresh)
    return SnapStartResult(
        function=function,
        runtime="python3.12",
        fresh_ms=fresh_s,
        fresh_init_duration_ms=summarize(fresh_init),
        fresh_rss_mb=procs.mb(fresh_mem.rss_kb),
        fresh_pss_mb=procs.mb(fresh_mem.pss_kb),
        warm_ms=summarize(warm),
        restores=plain,
        primed=primed,
        ratio_fresh_restore_p50=fresh_s.p50 / plain.restore_ms.p50,
        ratio_fresh_primed_p50=None if primed is None else fresh_s.p50 / primed.restore_ms.p50,
    )
