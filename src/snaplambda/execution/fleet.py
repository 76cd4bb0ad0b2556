"""Provisioned environments: initialized ahead of invokes, kept while configured.

One :class:`_Slot` per (function, qualifier, version) with a provisioned concurrency
configuration (an alias that routes to two versions has two).  The slot's
environments are started with ``AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency``
(restored from the version's SnapStart snapshot when it has one), are never subject
to the keep-alive, and are replaced when they die.  Invokes of that qualifier take
an idle one first; when all are busy they spill over to on-demand environments.
The decisions (how many to start or stop, keep or retire) are in ``fleet_rules.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field

from ..control.models import FunctionConfig
from . import fleet_rules as decide
from .environment import Environment
from .launcher import EnvironmentLauncher
from .usage import gb_seconds

SlotKey = tuple[str, str, str]
"""(function, qualifier the configuration is on, version)."""


@dataclass
class _Slot:
    config: FunctionConfig
    desired: int
    idle: list[Environment] = field(default_factory=list)
    busy: dict[str, Environment] = field(default_factory=dict)
    starting: int = 0
    failure: str | None = None
    invokes: int = 0
    spillovers: int = 0
    busy_seconds: float = 0.0
    allocated_seconds: float = 0.0
    _since: float = field(default_factory=time.monotonic)
    _busy_since: dict[str, float] = field(default_factory=dict)

    def live(self) -> int:
        return len(self.idle) + len(self.busy) + self.starting

    def account(self, now: float) -> None:
        """Add environment-seconds (allocated) up to ``now``."""
        self.allocated_seconds += (len(self.idle) + len(self.busy)) * (now - self._since)
        self._since = now


@dataclass(frozen=True, slots=True)
class SlotStats:
    invokes: int
    spillovers: int
    busy_seconds: float
    allocated_seconds: float
    idle_gb_seconds: float

    @property
    def utilization(self) -> float:
        """Share of the allocated environment time spent running invocations."""
        return self.busy_seconds / self.allocated_seconds if self.allocated_seconds else 0.0


class ProvisionedFleet:
    """The provisioned environments of every configuration of a platform."""

    def __init__(
        self,
        launcher: EnvironmentLauncher,
        on_use: Callable[[str, str, int, int], None] | None = None,
    ) -> None:
        self._launcher = launcher
        self._slots: dict[SlotKey, _Slot] = {}
        self._of_env: dict[str, SlotKey] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self.on_use = on_use
        """Called with (function, qualifier, busy, allocated) when a provisioned
        environment is taken or released (the metric store's queue put)."""

    # -- configuration -------------------------------------------------------

    def set(self, function: str, qualifier: str, wanted: list[tuple[FunctionConfig, int]]) -> None:
        """Want ``n`` environments of each listed version for ``function:qualifier``
        (an empty list removes the configuration).  Surplus environments go, busy
        ones when released; a new configuration clears a previous failure."""
        versions = {cfg.version for cfg, _ in wanted}
        for key in [k for k in self._slots if k[:2] == (function, qualifier)]:
            if key[2] not in versions:
                self._set_slot(key, None, 0)
        for cfg, n in wanted:
            self._set_slot((function, qualifier, cfg.version), cfg, n)

    def _set_slot(self, key: SlotKey, cfg: FunctionConfig | None, n: int) -> None:
        slot = self._slots.get(key)
        if slot is None:
            if cfg is None or n <= 0:
                return
            slot = self._slots[key] = _Slot(cfg, n)
        else:
            slot.account(time.monotonic())
            slot.desired = n
            slot.failure = None
            if cfg is not None:
                slot.config = cfg
        self._reconcile(key)

    def drop(self, function: str, version: str | None = None) -> None:
        """Forget every configuration of ``function`` (of its ``version`` only if
        given), stopping their idle environments; busy ones go when released."""
        for key in [k for k in self._slots if k[0] == function and version in (None, k[2])]:
            self._set_slot(key, None, 0)

    # -- reading -------------------------------------------------------------

    def counters(self, function: str, qualifier: str, requested: int) -> decide.Counters:
        """Requested / allocated / available and status of one configuration."""
        slots = [s for k, s in self._slots.items() if k[:2] == (function, qualifier)]
        ready = sum(len(s.idle) for s in slots)
        busy = sum(len(s.busy) for s in slots)
        failed = any(s.failure for s in slots)
        return decide.counters(requested, ready, busy, failed)

    def failure(self, function: str, qualifier: str) -> str | None:
        for key, slot in self._slots.items():
            if key[:2] == (function, qualifier) and slot.failure:
                return slot.failure
        return None

    def stats(self, function: str) -> dict[str, SlotStats]:
        """Per qualifier: invokes served, spill-overs, busy and allocated seconds."""
        now = time.monotonic()
        out: dict[str, SlotStats] = {}
        for key, slot in self._slots.items():
            if key[0] != function:
                continue
            slot.account(now)
            busy = slot.busy_seconds + sum(now - t for t in slot._busy_since.values())
            idle_gb_s = gb_seconds(max(0.0, slot.allocated_seconds - busy), slot.config.memory_size)
            prev = out.get(key[1]) or SlotStats(0, 0, 0.0, 0.0, 0.0)
            out[key[1]] = SlotStats(
                prev.invokes + slot.invokes,
                prev.spillovers + slot.spillovers,
                prev.busy_seconds + busy,
                prev.allocated_seconds + slot.allocated_seconds,
                prev.idle_gb_seconds + idle_gb_s,
            )
        return out

    # -- invoke path ------------------------------------------------------------

    def take(self, cfg: FunctionConfig, qualifier: str | None) -> Environment | None:
        """An idle provisioned environment for an invoke of ``cfg`` through
        ``qualifier``, or None (counted as a spill-over when the qualifier has one)."""
        if qualifier is None:
            return None
        slot = self._slots.get((cfg.name, qualifier, cfg.version))
        if slot is None:
            return None
        while slot.idle:
            env = slot.idle.pop()
            if env.process.alive and not env.retired and env.alive:
                now = time.monotonic()
                slot.account(now)
                slot.busy[env.id] = env
                slot._busy_since[env.id] = now
                slot.invokes += 1
                self._report_use(cfg.name, qualifier)
                return env
            self._forget(env)
            self._launcher.discard(env)
        slot.spillovers += 1
        self._reconcile((cfg.name, qualifier, cfg.version))
        return None

    def release(self, env: Environment, reusable: bool) -> None:
        """The invocation on ``env`` ended: keep it provisioned, or retire it."""
        key = self._of_env.get(env.id)
        slot = self._slots.get(key) if key is not None else None
        if key is None or slot is None or env.id not in slot.busy:
            self._forget(env)
            self._launcher.discard(env)
            return
        now = time.monotonic()
        slot.account(now)
        del slot.busy[env.id]
        slot.busy_seconds += now - slot._busy_since.pop(env.id, now)
        self._report_use(key[0], key[1], releasing=1)
        keep = (
            reusable
            and env.alive
            and not env.retired
            and not self._closing
            and decide.keep_on_release(slot.desired, slot.live() + 1)
        )
        if keep:
            slot.idle.append(env)
        else:
            self._forget(env)
            self._launcher.discard(env)
        self._reconcile(key)

    def _report_use(self, function: str, qualifier: str, releasing: int = 0) -> None:
        """``releasing``: an environment just out of ``busy`` and not yet back in
        ``idle`` (still allocated)."""
        if self.on_use is None:
            return
        busy, allocated = 0, releasing
        for key, slot in self._slots.items():
            if key[0] == function and key[1] == qualifier:
                busy += len(slot.busy)
                allocated += len(slot.busy) + len(slot.idle)
        self.on_use(function, qualifier, busy, allocated)

    # -- keeping the count ----------------------------------------------------------

    def _forget(self, env: Environment) -> None:
        self._of_env.pop(env.id, None)

    def _reconcile(self, key: SlotKey) -> None:
        slot = self._slots.get(key)
        if slot is None or self._closing:
            return
        step = decide.plan(slot.desired, len(slot.idle), len(slot.busy), slot.starting)
        if step.stop_idle:
            slot.account(time.monotonic())
            for _ in range(step.stop_idle):
                env = slot.idle.pop(0)
                self._forget(env)
                self._launcher.discard(env)
        if slot.failure is None:
            for _ in range(step.start):
                slot.starting += 1
                self._spawn(self._fill(key, slot))
        if slot.desired == 0 and slot.live() == 0 and self._slots.get(key) is slot:
            del self._slots[key]

    def _spawn(self, coro: Coroutine[None, None, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fill(self, key: SlotKey, slot: _Slot) -> None:
        env: Environment | None = None
        failure: str | None = None
        try:
            env, init = await self._launcher.start(slot.config, provisioned=True)
            if not init.ok:
                error = init.error or {}
                failure = (
                    "FUNCTION_ERROR_INIT_FAILURE: "
                    f"{error.get('errorType', 'Runtime.Unknown')}: {error.get('errorMessage', '')}"
                )
                self._launcher.discard(env)
                env = None
        except Exception as exc:  # spawn errors, a failed SnapStart snapshot
            failure = f"FUNCTION_ERROR_INIT_FAILURE: {getattr(exc, 'message', None) or exc}"
        finally:
            slot.starting -= 1
        current = self._slots.get(key)
        if failure is not None:
            if current is slot:
                slot.failure = failure
            return
        assert env is not None
        if (
            current is not slot
            or self._closing
            or not decide.keep_on_release(slot.desired, slot.live() + 1)
        ):
            self._launcher.discard(env)
            if current is slot:
                self._reconcile(key)
            return
        env.prewarmed()
        slot.account(time.monotonic())
        slot.idle.append(env)
        self._of_env[env.id] = key
        env.process.exited.add_done_callback(lambda _: self._on_exit(env))

    def _on_exit(self, env: Environment) -> None:
        """A provisioned environment died: drop it if idle, and start its replacement
        (a busy one is handled when its invocation ends)."""
        key = self._of_env.get(env.id)
        slot = self._slots.get(key) if key is not None else None
        if key is None or slot is None or env not in slot.idle:
            return
        slot.account(time.monotonic())
        slot.idle.remove(env)
        self._forget(env)
        self._launcher.discard(env)
        self._reconcile(key)

    async def close(self) -> None:
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._slots.clear()
        self._of_env.clear()
