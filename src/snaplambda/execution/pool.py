"""The pool of execution environments across all functions.

It reuses an idle environment of the right function version when one exists (the
most recently used first, so the rest can age out), starts a new one when all are
busy, throttles past the concurrency limits, and shuts idle environments down after
the keep-alive.  Cold starts run concurrently: nothing here holds a lock across an
``await``, so a slow init of one function never delays another's invokes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..control.models import FunctionConfig
from .admission import ConcurrencyState
from .environment import Environment
from .errors import ExecutionError, PlatformStopping, Throttled
from .invocation import InitResult, InvokeRequest, InvokeResult
from .keepalive import KeepAlivePolicy, prewarm_plan
from .launcher import EnvironmentLauncher
from .usage import Usage, gb_seconds

Key = tuple[str, str]


class ProvisionedSource(Protocol):
    """Provisioned environments the pool takes before on-demand ones (the fleet)."""

    def take(self, cfg: FunctionConfig, qualifier: str | None) -> Environment | None: ...

    def release(self, env: Environment, reusable: bool) -> None: ...

    def close(self) -> Awaitable[None]: ...


class _NoProvisioned:
    def take(self, cfg: FunctionConfig, qualifier: str | None) -> Environment | None:
        return None

    def release(self, env: Environment, reusable: bool) -> None:
        raise AssertionError("no provisioned environment was taken")

    async def close(self) -> None:
        return None


@dataclass
class PoolStats:
    cold_starts: int = 0
    warm_starts: int = 0
    throttles: int = 0
    by_function: dict[str, dict[str, int]] = field(default_factory=dict)


class EnvironmentPool:
    """All environments of a platform and the rules for reusing them."""

    def __init__(
        self,
        launcher: EnvironmentLauncher,
        keep_alive: KeepAlivePolicy,
        max_concurrency: int,
        *,
        provisioned: ProvisionedSource | None = None,
        on_admit: Callable[[str, int], None] | None = None,
    ) -> None:
        self._launcher = launcher
        self._provisioned: ProvisionedSource = provisioned or _NoProvisioned()
        self.keep_alive = keep_alive
        self.concurrency = ConcurrencyState(limit=max_concurrency)
        self.on_admit = on_admit
        """Called with a function's name and its in-flight count each time an
        invocation of it is admitted (ConcurrentExecutions)."""
        self.stats = PoolStats()
        self.usage = Usage()
        """Per function and qualifier: cold starts, idle environment time (beyond AWS)."""
        self._parked_at: dict[str, float] = {}
        self._prewarm: dict[Key, asyncio.TimerHandle] = {}
        self._idle: dict[Key, list[Environment]] = {}
        self._expiry: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    # -- queries -----------------------------------------------------------

    def environments(self, function: str | None = None) -> list[Environment]:
        return self._launcher.environments(function)

    def idle_count(self, function: str) -> int:
        return sum(len(v) for k, v in self._idle.items() if k[0] == function)

    # -- invoke --------------------------------------------------------------

    async def invoke(
        self, cfg: FunctionConfig, request: InvokeRequest, qualifier: str | None = None
    ) -> tuple[InvokeResult, bool]:
        """Run ``request`` on an environment of ``cfg`` (invoked through ``qualifier``,
        whose provisioned environments go first); returns (result, cold start)."""
        if self._closing:
            raise PlatformStopping("The platform is shutting down")
        reason = self.concurrency.admit(cfg.name)
        if reason is not None:
            self.stats.throttles += 1
            raise Throttled(reason.value)
        self.concurrency.begin(cfg.name)
        self.keep_alive.observe_invoke(cfg.name, time.monotonic())
        try:
            if self.on_admit is not None:
                self.on_admit(cfg.name, self.concurrency.in_flight[cfg.name])
            env = self._provisioned.take(cfg, qualifier)
            provisioned = env is not None
            if env is None:
                env = self._take_idle(cfg)
            cold = env is None
            init: InitResult | None = None
            if env is None:
                env, init = await self._start(cfg)
            self._count(cfg.name, cold)
            self.usage.invoke(cfg.name, qualifier, cold, provisioned)
            deadline_ms = int(time.time() * 1000) + cfg.timeout * 1000
            result = await env.invoke(
                request, deadline_ms, None if init is None or init.ok else init
            )
            if provisioned:
                self._provisioned.release(env, result.reusable)
            elif result.reusable and not env.retired and not self._closing:
                self._park(env)
            else:
                self._discard(env)
            return result, cold
        finally:
            self.concurrency.end(cfg.name)
            self.keep_alive.observe_end(cfg.name, time.monotonic())

    def _count(self, function: str, cold: bool) -> None:
        if cold:
            self.stats.cold_starts += 1
        else:
            self.stats.warm_starts += 1
        per = self.stats.by_function.setdefault(function, {"cold": 0, "warm": 0})
        per["cold" if cold else "warm"] += 1

    def _take_idle(self, cfg: FunctionConfig) -> Environment | None:
        idle = self._idle.get((cfg.name, cfg.version))
        while idle:
            env = idle.pop()
            self._unparked(env)
            handle = self._expiry.pop(env.id, None)
            if handle is not None:
                handle.cancel()
            # A tag change gives $LATEST a new RevisionId and nothing else.
            if (
                env.process.alive
                and not env.retired
                and (
                    env.function.revision_id == cfg.revision_id
                    or env.function.differs_only_in_revision(cfg)
                )
            ):
                return env
            self._discard(env)
        return None

    async def _start(self, cfg: FunctionConfig) -> tuple[Environment, InitResult]:
        env, init = await self._launcher.start(cfg)
        env.process.exited.add_done_callback(lambda _: self._on_exit(env))
        return env, init

    # -- keep-alive and retirement ---------------------------------------------

    def _unparked(self, env: Environment) -> None:
        parked = self._parked_at.pop(env.id, None)
        if parked is not None:
            seconds = time.monotonic() - parked
            self.usage.idle(
                env.function.name, env.function.version, seconds, env.function.memory_size
            )

    def idle_gb_seconds_now(self, function: str) -> dict[str, float]:
        """GB-seconds so far of the environments of ``function`` idle now, by version."""
        now = time.monotonic()
        out: dict[str, float] = {}
        for (name, version), envs in self._idle.items():
            if name == function:
                for env in envs:
                    idle_s = now - self._parked_at.get(env.id, now)
                    gb_s = gb_seconds(idle_s, env.function.memory_size)
                    out[version] = out.get(version, 0.0) + gb_s
        return out

    def _park(self, env: Environment, timeout: float | None = None) -> None:
        key = (env.function.name, env.function.version)
        loop = asyncio.get_running_loop()
        if timeout is None:
            plan = prewarm_plan(self.keep_alive, env.function.name)
            if plan is not None:
                # Not wanted again before the pre-warm window: unload it now and
                # start one just before the predicted next invoke.
                self._discard(env)
                old = self._prewarm.pop(key, None)
                if old is not None:
                    old.cancel()
                self._prewarm[key] = loop.call_later(
                    plan[0], lambda: self._spawn_task(self._prewarm_one(env.function, plan[1]))
                )
                return
            timeout = self.keep_alive.idle_timeout(env.function.name)
        self._parked_at[env.id] = time.monotonic()
        self._idle.setdefault(key, []).append(env)
        self._expiry[env.id] = loop.call_later(timeout, self._expire, env)

    async def _prewarm_one(self, cfg: FunctionConfig, keep_s: float) -> None:
        """Start an environment ahead of a predicted invoke; keep it ``keep_s``."""
        self._prewarm.pop((cfg.name, cfg.version), None)
        if self._closing:
            return
        try:
            env, init = await self._start(cfg)
        except ExecutionError:
            return
        if not init.ok or self._closing or env.retired:
            self._discard(env)
            return
        env.prewarmed()
        self._park(env, keep_s)

    def _expire(self, env: Environment) -> None:
        self._expiry.pop(env.id, None)
        idle = self._idle.get((env.function.name, env.function.version), [])
        if env in idle:
            idle.remove(env)
            self._discard(env)

    def _on_exit(self, env: Environment) -> None:
        """An environment's process ended (crash, kill, or shutdown)."""
        idle = self._idle.get((env.function.name, env.function.version), [])
        if env in idle:
            idle.remove(env)
            handle = self._expiry.pop(env.id, None)
            if handle is not None:
                handle.cancel()
            self._discard(env)

    def _discard(self, env: Environment) -> None:
        self._unparked(env)
        self._launcher.discard(env)

    def _spawn_task(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def retire(self, function: str, version: str | None = None) -> None:
        """Reuse no environment of ``function:version`` (its $LATEST changed, or the
        version was deleted), or with ``version=None`` of any version of ``function``
        (it was deleted).  Other versions' warm environments stay."""

        def matches(name: str, env_version: str) -> bool:
            return name == function and (version is None or env_version == version)

        for key in [k for k in self._prewarm if matches(*k)]:
            self._prewarm.pop(key).cancel()
        for key in [k for k in self._idle if matches(*k)]:
            for env in self._idle.pop(key):
                handle = self._expiry.pop(env.id, None)
                if handle is not None:
                    handle.cancel()
                self._discard(env)
        for env in self._launcher.environments(function):
            if matches(env.function.name, env.function.version):
                env.retired = True

    def set_reserved(self, function: str, value: int | None) -> None:
        self.concurrency.set_reserved(function, value)

    # -- shutdown ----------------------------------------------------------------

    async def close(self) -> None:
        """Stop every environment and wait for them to be gone."""
        self._closing = True
        await self._provisioned.close()
        for handle in [*self._expiry.values(), *self._prewarm.values()]:
            handle.cancel()
        self._expiry.clear()
        self._idle.clear()
        await self._launcher.close()  # every environment, those still starting too
        if self._tasks:  # pre-warms under way see the platform closing and discard
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._launcher.close()
