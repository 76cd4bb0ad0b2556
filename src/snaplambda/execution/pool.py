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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..control.models import FunctionConfig
from .environment import Environment, InitResult, InvokeRequest, InvokeResult, LogSink
from .errors import ExecutionError, PlatformStopping, Throttled
from .keepalive import prewarm_plan
from .limits import Limiter
from .runtimes import Interpreter, RuntimeResolver
from .scheduler import ConcurrencyState, KeepAlivePolicy
from .scratch import ScratchDirs
from .spawn import EnvironmentSpec, Spawner
from .usage import Usage

if TYPE_CHECKING:
    from .fleet import ProvisionedFleet

Key = tuple[str, str]
SnapshotLookup = Callable[[FunctionConfig], Awaitable[Spawner | None]]

LayerDirectories = Callable[[Sequence[str]], Sequence[Path]]
"""Turns a function's layer version ARNs into their extracted directories, in order."""


def _no_layers(arns: Sequence[str]) -> Sequence[Path]:
    return ()


@dataclass
class PoolStats:
    cold_starts: int = 0
    warm_starts: int = 0
    throttles: int = 0
    by_function: dict[str, dict[str, int]] = field(default_factory=dict)


def log_stream_name(version: str, env_id: str, now: float | None = None) -> str:
    """``YYYY/MM/DD/[<version>]<32 hex>`` as Lambda names an environment's stream."""
    day = time.strftime("%Y/%m/%d", time.gmtime(now))
    return f"{day}/[{version}]{env_id}"


class EnvironmentPool:
    """All environments of a platform and the rules for reusing them."""

    def __init__(
        self,
        config: Config,
        resolver: RuntimeResolver,
        limiter: Limiter,
        spawner: Spawner,
        keep_alive: KeepAlivePolicy,
        log_sink: LogSink,
        layer_dirs: LayerDirectories = _no_layers,
    ) -> None:
        self.config = config
        self._layer_dirs = layer_dirs
        self.resolver = resolver
        self.limiter = limiter
        self.spawner = spawner
        self.snapshots: SnapshotLookup | None = None
        """Set by the platform: the restore spawner for a SnapStart version, if any."""
        self.fleet: ProvisionedFleet | None = None
        """Set by the platform: provisioned environments, taken before on-demand ones."""
        self.keep_alive = keep_alive
        self._sink = log_sink
        self.scratch = ScratchDirs(config.scratch_dir)
        self.extra_env: dict[str, str] = {}
        """Variables every environment gets (the X-Ray daemon address)."""
        self.concurrency = ConcurrencyState(limit=config.max_concurrency)
        self.on_admit: Callable[[str, int], None] | None = None
        """Set by the platform: called with a function's name and its in-flight count
        each time an invocation of it is admitted (ConcurrentExecutions)."""
        self.stats = PoolStats()
        self.usage = Usage()
        """Per function and qualifier: cold starts, idle environment time (beyond AWS)."""
        self._parked_at: dict[str, float] = {}
        self._prewarm: dict[Key, asyncio.TimerHandle] = {}
        self._idle: dict[Key, list[Environment]] = {}
        self._expiry: dict[str, asyncio.TimerHandle] = {}
        self._envs: dict[str, Environment] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    # -- queries -----------------------------------------------------------

    def environments(self, function: str | None = None) -> list[Environment]:
        return [e for e in self._envs.values() if function is None or e.config.name == function]

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
            fleet = self.fleet
            env = fleet.take(cfg, qualifier) if fleet is not None else None
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
            if provisioned and fleet is not None:
                fleet.release(env, result.reusable)
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
                    env.config.revision_id == cfg.revision_id
                    or env.config.differs_only_in_revision(cfg)
                )
            ):
                return env
            self._discard(env)
        return None

    async def make_spec(
        self, cfg: FunctionConfig, initialization_type: str = "on-demand"
    ) -> EnvironmentSpec:
        """The spec of a new environment of ``cfg`` (a fresh id and scratch dir)."""
        interpreter = await self._resolve(cfg.runtime)
        env_id, scratch = self.scratch.take()
        spec = EnvironmentSpec(
            env_id=env_id,
            config=cfg,
            interpreter=interpreter,
            code_path=self.config.code_dir / cfg.code_key,
            runtime_dir=self.config.runtime_dir,
            scratch_dir=scratch,
            log_group=cfg.log_group_name,
            log_stream=log_stream_name(cfg.version, env_id),
            region=self.config.region,
            layer_dirs=tuple(self._layer_dirs(cfg.layers)) if cfg.layers else (),
            initialization_type=initialization_type,
            extra_env=dict(self.extra_env),
        )
        return spec

    async def _start(
        self, cfg: FunctionConfig, provisioned: bool = False
    ) -> tuple[Environment, InitResult]:
        # A version with a SnapStart snapshot is restored from it (the lookup may
        # wait for the snapshot to be built); everything else starts fresh.
        restorer = await self.snapshots(cfg) if self.snapshots is not None else None
        spawner = restorer or self.spawner
        init_type = "snap-start" if restorer else "on-demand"
        spec = await self.make_spec(cfg, "provisioned-concurrency" if provisioned else init_type)
        env_id = spec.env_id
        loop = asyncio.get_running_loop()
        limit = self.limiter.for_environment(env_id, cfg.memory_size)
        try:
            spawned = spawner.spawn(spec, limit, loop)
        except OSError as exc:
            limit.release()
            raise ExecutionError(f"Could not start an environment for {cfg.name}: {exc}") from exc
        env = Environment(
            spec,
            spawned,
            limit,
            self._sink,
            loop,
            self.config.max_log_bytes_per_invoke,
            restore=restorer is not None,
        )
        self._envs[env_id] = env
        env.process.exited.add_done_callback(lambda _: self._on_exit(env))
        init = await env.initialize(self.config.init_timeout_s)
        return env, init

    start_environment = _start
    """Start and initialize one environment (the provisioned fleet's fill)."""

    async def _resolve(self, runtime: str) -> Interpreter:
        # The first resolution runs the interpreter once: keep that off the loop.  Later
        # ones are a lookup; a thread hop would add about a millisecond to a cold start.
        cached = self.resolver.cached(runtime)
        if cached is not None:
            return cached
        return await asyncio.to_thread(self.resolver.resolve, runtime)

    # -- keep-alive and retirement ---------------------------------------------

    def _unparked(self, env: Environment) -> None:
        parked = self._parked_at.pop(env.id, None)
        if parked is not None:
            seconds = time.monotonic() - parked
            self.usage.idle(env.config.name, env.config.version, seconds, env.config.memory_size)

    def idle_gb_seconds_now(self, function: str) -> dict[str, float]:
        """GB-seconds so far of the environments of ``function`` idle now, by version."""
        now = time.monotonic()
        out: dict[str, float] = {}
        for (name, version), envs in self._idle.items():
            if name == function:
                for env in envs:
                    gb_s = (now - self._parked_at.get(env.id, now)) * env.config.memory_size / 1024
                    out[version] = out.get(version, 0.0) + gb_s
        return out

    def _park(self, env: Environment, timeout: float | None = None) -> None:
        key = (env.config.name, env.config.version)
        loop = asyncio.get_running_loop()
        if timeout is None:
            plan = prewarm_plan(self.keep_alive, env.config.name)
            if plan is not None:
                # Not wanted again before the pre-warm window: unload it now and
                # start one just before the predicted next invoke.
                self._discard(env)
                old = self._prewarm.pop(key, None)
                if old is not None:
                    old.cancel()
                self._prewarm[key] = loop.call_later(
                    plan[0], lambda: self._spawn_task(self._prewarm_one(env.config, plan[1]))
                )
                return
            timeout = self.keep_alive.idle_timeout(env.config.name)
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
        idle = self._idle.get((env.config.name, env.config.version), [])
        if env in idle:
            idle.remove(env)
            self._discard(env)

    def _on_exit(self, env: Environment) -> None:
        """An environment's process ended (crash, kill, or shutdown)."""
        idle = self._idle.get((env.config.name, env.config.version), [])
        if env in idle:
            idle.remove(env)
            handle = self._expiry.pop(env.id, None)
            if handle is not None:
                handle.cancel()
            self._discard(env)

    def _discard(self, env: Environment) -> None:
        self._unparked(env)
        self._envs.pop(env.id, None)
        self._spawn_task(env.shutdown())

    discard = _discard

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
        for env in self._envs.values():
            if matches(env.config.name, env.config.version):
                env.retired = True

    def set_reserved(self, function: str, value: int | None) -> None:
        self.concurrency.set_reserved(function, value)

    # -- shutdown ----------------------------------------------------------------

    async def close(self) -> None:
        """Stop every environment and wait for them to be gone."""
        self._closing = True
        if self.fleet is not None:
            await self.fleet.close()
        for handle in [*self._expiry.values(), *self._prewarm.values()]:
            handle.cancel()
        self._expiry.clear()
        self._idle.clear()
        envs = list(self._envs.values())
        self._envs.clear()
        await asyncio.gather(*(env.shutdown() for env in envs), return_exceptions=True)
        self.scratch.close()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self.limiter.close()
