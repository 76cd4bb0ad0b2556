"""SnapStart snapshots of published versions: building, looking up and freeing them.

One :class:`~.snapshot.SnapshotHolder` per (function, version) whose configuration
has ``SnapStart.ApplyOn = PublishedVersions``.  A snapshot is built in the
background when the version is published (or, after a restart, when the platform
starts or the first invoke needs it); its outcome is reported to ``on_state`` so the
version becomes ``Active`` or ``Failed``.  $LATEST never uses a snapshot.

As on Lambda, a snapshot unused for 14 days (``Config.snapshot_ttl_s``: no invoke of
its version) is dropped: its holder is stopped, which frees its memory, and the next
cold start of the version builds it anew and waits for it.  Environments already
restored from it keep running.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from ..control.models import LATEST, FunctionConfig
from ..execution.capture import LogSink
from ..execution.environment import Environment
from ..execution.errors import ExecutionError, SnapshotFailed
from ..execution.limits import Limiter, proc_stats
from ..execution.spawn import Confinement, FreshProcessSpawner, Spawner
from ..execution.specs import EnvironmentSpecs
from ..observability import platform_lines as lines
from ..runtime import errortypes as types
from .holder import RestoreSpawner, SnapshotHolder

Key = tuple[str, str]
StateListener = Callable[[FunctionConfig, str, str, str], None]
"""(version, state, state reason code, state reason) -> None."""

#: Lambda allows a snapshot's init the function's timeout, at least 130 seconds.
MIN_SNAPSHOT_INIT_S = 130.0

#: The longest wait between two looks for expired snapshots.
MAX_SWEEP_INTERVAL_S = 3600.0


def snapshot_expired(last_used: float, now: float, ttl_s: float) -> bool:
    """Whether a snapshot last used at ``last_used`` has expired at ``now``.

    >>> snapshot_expired(0.0, 14 * 86400.0, 14 * 86400.0)
    True
    >>> snapshot_expired(0.0, 14 * 86400.0 - 1, 14 * 86400.0)
    False
    """
    return now - last_used >= ttl_s


def sweep_interval(ttl_s: float) -> float:
    """How often to look for expired snapshots: often enough that one outlives its
    ttl by at most half of it (an hour at most), never in a busy loop."""
    return min(max(ttl_s / 2, 0.01), MAX_SWEEP_INTERVAL_S)


def process_memory_kb(pid: int) -> tuple[int, int] | None:
    """(RSS, PSS) of ``pid`` in KiB from ``/proc/PID/smaps_rollup``; None if unreadable."""
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                name, _, rest = line.partition(":")
                if name in ("Rss", "Pss"):
                    values[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if "Rss" not in values or "Pss" not in values:
        return None
    return values["Rss"], values["Pss"]


def _matches(key: Key, name: str, version: str | None) -> bool:
    """Whether ``key`` is ``name:version`` (any version of ``name`` if None)."""
    return key[0] == name and version in (None, key[1])


def spare_pids(holder_pids: list[int]) -> dict[int, list[int]]:
    """The spare copies each holder keeps forked ahead: its live children that are
    still in its session (restored environments call ``setsid``)."""
    spares: dict[int, list[int]] = {pid: [] for pid in holder_pids}
    for pid, fields in proc_stats():  # state, ppid, pgrp, session, ...
        if len(fields) > 3 and fields[0] != "Z" and fields[3] != str(pid):
            with contextlib.suppress(ValueError, KeyError):
                spares[int(fields[1])].append(pid)
    return spares


def uses_snapshot(cfg: FunctionConfig) -> bool:
    """Whether invokes of ``cfg`` restore from a snapshot."""
    return cfg.version != LATEST and cfg.snap_start == "PublishedVersions"


@dataclass
class _Snapshot:
    config: FunctionConfig
    task: asyncio.Task[None]
    last_used: float
    holder: SnapshotHolder | None = None
    error: dict[str, Any] = field(default_factory=dict)


class SnapshotManager:
    """The snapshots of every SnapStart version of a platform."""

    def __init__(
        self,
        specs: EnvironmentSpecs,
        limiter: Limiter,
        log_sink: LogSink,
        on_state: StateListener,
        log_budget: int,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
        preload: bool = True,
        immortal: bool = True,
        confinement: Confinement | None = None,
    ) -> None:
        self._specs = specs
        self._confinement = confinement
        self._spawner = FreshProcessSpawner(confinement)
        self._preload = preload
        self._immortal = immortal
        self._learned: dict[Key, dict[str, None]] = {}
        """Per version: modules its restored environments imported late, now preloaded
        into its snapshot (and into a rebuilt one at once)."""
        self._no_preload: set[Key] = set()
        """Versions whose preload left threads in the holder: never preloaded again."""
        self._ttl_s = ttl_s
        self._clock = clock
        self._sweeper: asyncio.TimerHandle | None = None
        self._limiter = limiter
        self._sink = log_sink
        self._on_state = on_state
        self._log_budget = log_budget
        self._snapshots: dict[Key, _Snapshot] = {}
        self._freeing: set[asyncio.Task[None]] = set()

    def build(self, cfg: FunctionConfig) -> None:
        """Start building the snapshot of ``cfg`` in the background (idempotent)."""
        key = (cfg.name, cfg.version)
        if key not in self._snapshots and uses_snapshot(cfg):
            task = asyncio.ensure_future(self._build(cfg))
            self._snapshots[key] = _Snapshot(cfg, task, self._clock())
            self._schedule_sweep()

    async def _build(self, cfg: FunctionConfig) -> None:
        key = (cfg.name, cfg.version)
        snap = self._snapshots[key]
        try:
            spec = await self._specs.make(cfg, "snap-start")
        except ExecutionError as exc:
            snap.error = {"errorType": types.UNKNOWN, "errorMessage": str(exc)}
            self._on_state(cfg, "Failed", "InvalidRuntime", str(exc))
            return
        marks = {
            "_SNAPLAMBDA_SNAPSHOT": "1",
            "_SNAPLAMBDA_IMMORTAL": "1" if self._immortal else "0",
            "_SNAPLAMBDA_LEARN": "1" if self._learns(key) else "0",
        }
        spec = replace(spec, extra_env={**spec.extra_env, **marks})
        loop = asyncio.get_running_loop()
        limit = self._limiter.for_environment(spec.env_id, cfg.memory_size)
        try:
            spawned = self._spawner.spawn(spec, limit, loop)
        except OSError as exc:
            limit.release()
            snap.error = {"errorType": types.UNKNOWN, "errorMessage": str(exc)}
            self._on_state(cfg, "Failed", types.UNKNOWN, str(exc))
            return
        env = Environment(spec, spawned, limit, self._sink, loop, self._log_budget)
        try:
            init = await env.initialize(max(float(cfg.timeout), MIN_SNAPSHOT_INIT_S))
        except asyncio.CancelledError:
            await env.shutdown()
            raise
        if not init.ok:
            snap.error = dict(init.error or {})
            code = snap.error.get("errorType", types.UNKNOWN)
            self._on_state(cfg, "Failed", code, snap.error.get("errorMessage", ""))
            return
        env.log(lines.init_report_line(init.timing.init_duration_ms, "success"))
        snap.holder = SnapshotHolder(
            env, spawned.control, partial(self._preloaded, key), self._confinement
        )
        if self._learned.get(key):
            snap.holder.preload(list(self._learned[key]))
        snap.last_used = self._clock()
        self._on_state(cfg, "Active", "", "")

    def state(self, cfg: FunctionConfig) -> str | None:
        """``Pending`` while building, else ``Active`` / ``Failed``; None if none."""
        snap = self._snapshots.get((cfg.name, cfg.version))
        if snap is None:
            return None
        if not snap.task.done():
            return "Pending"
        return "Active" if snap.holder is not None else "Failed"

    async def spawner_for(self, cfg: FunctionConfig) -> Spawner | None:
        """The restore spawner of ``cfg``'s snapshot, building it first if needed
        (after a restart, or when its holder died); None for non-SnapStart versions."""
        if not uses_snapshot(cfg):
            return None
        key = (cfg.name, cfg.version)
        self.touch(cfg)  # unused too long: dropped, and built anew below
        snap = self._snapshots.get(key)
        if snap is not None and snap.task.done() and snap.holder and not snap.holder.alive:
            self.discard(cfg.name, cfg.version)  # the holder died: free it, build anew
            snap = None
        if snap is None:
            self.build(cfg)
            snap = self._snapshots[key]
        await asyncio.shield(snap.task)
        if snap.holder is None:
            error = snap.error
            raise SnapshotFailed(
                "The operation cannot be performed at this time. The function is currently "
                f"in the following state: Failed (SnapStart snapshot of version {cfg.version}"
                f" failed: {error.get('errorType')}: {error.get('errorMessage')})"
            )
        return RestoreSpawner(snap.holder, self._learns(key))

    def _learns(self, key: Key) -> bool:
        """Whether the snapshot of ``key`` learns late imports and early pages."""
        return self._preload and key not in self._no_preload

    def _preloaded(self, key: Key, loaded: list[str], threads: list[str]) -> None:
        if threads:  # the holder exits; the next cold start builds it without these
            self._no_preload.add(key)
        else:
            # A rebuilt snapshot preloads what was learned and reports it again.
            self._learned.setdefault(key, {}).update(dict.fromkeys(loaded))

    def touch(self, cfg: FunctionConfig) -> None:
        """An invoke of ``cfg``: its snapshot (if any) is used now, unless it has
        already expired (the sweep had not run yet): then it is dropped, as it would
        have been, and the next cold start rebuilds it."""
        snap = self._snapshots.get((cfg.name, cfg.version))
        if snap is None:
            return
        if self._expired(snap):
            self.discard(cfg.name, cfg.version)
        else:
            snap.last_used = self._clock()

    def memory_report(self) -> dict[str, Any]:
        """The holders and their memory (MB, from ``/proc``), as ``/health`` shows
        them: holders are not environments, yet they hold a whole initialized runtime."""
        live = {
            key: snap.holder.env.process.pid
            for key, snap in self._snapshots.items()
            if snap.holder is not None and snap.holder.alive
        }
        spares_of = spare_pids(list(live.values())) if live else {}
        rows: list[dict[str, Any]] = []
        for (function, version), pid in live.items():
            rss_pss = process_memory_kb(pid)
            rss_kb, pss_kb = rss_pss if rss_pss is not None else (0, 0)
            spares = spares_of[pid]
            spare_kb = [process_memory_kb(spare) for spare in spares]
            rows.append(
                {
                    "function": function,
                    "version": version,
                    "pid": pid,
                    "rssMB": round(rss_kb / 1024, 1),
                    "pssMB": round(pss_kb / 1024, 1),
                    "sparePids": spares,
                    "sparePssMB": round(sum(m[1] for m in spare_kb if m) / 1024, 1),
                }
            )
        return {
            "count": len(rows),
            "rssMB": round(sum(r["rssMB"] for r in rows), 1),
            "pssMB": round(sum(r["pssMB"] + r["sparePssMB"] for r in rows), 1),
            "holders": rows,
        }

    def _expired(self, snap: _Snapshot) -> bool:
        return (
            snap.task.done()
            and snap.holder is not None
            and snapshot_expired(snap.last_used, self._clock(), self._ttl_s)
        )

    def _schedule_sweep(self) -> None:
        if self._sweeper is None:
            loop = asyncio.get_running_loop()
            self._sweeper = loop.call_later(sweep_interval(self._ttl_s), self._sweep)

    def _sweep(self) -> None:
        """Stop the holders of snapshots unused for the ttl."""
        self._sweeper = None
        for (name, version), snap in list(self._snapshots.items()):
            if self._expired(snap):
                self.discard(name, version)
        if self._snapshots:
            self._schedule_sweep()

    def forget(self, name: str, version: str | None = None) -> None:
        """The version (all of ``name``'s if None) was deleted: free its snapshot and
        forget what was learned about it."""
        self.discard(name, version)
        gone = {k for k in [*self._learned, *self._no_preload] if _matches(k, name, version)}
        for key in gone:
            self._learned.pop(key, None)
        self._no_preload -= gone

    def discard(self, name: str, version: str | None = None) -> None:
        """Free the snapshots of ``name:version`` (all of ``name``'s if None)."""
        for key in [k for k in self._snapshots if _matches(k, name, version)]:
            snap = self._snapshots.pop(key)
            task = asyncio.ensure_future(self._free(snap))
            self._freeing.add(task)
            task.add_done_callback(self._freeing.discard)

    @staticmethod
    async def _free(snap: _Snapshot) -> None:
        if not snap.task.done():
            snap.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await snap.task
        if snap.holder is not None:
            await snap.holder.close()

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        snaps = list(self._snapshots.values())
        self._snapshots.clear()
        await asyncio.gather(
            *(self._free(s) for s in snaps), *self._freeing, return_exceptions=True
        )
