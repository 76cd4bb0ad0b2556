"""Starting environments, and the registry of every live one.

The one start path of the platform: on-demand cold starts (the pool), provisioned
fills (the fleet) and pre-warms all come here.  A version with a SnapStart snapshot
is restored from it (``restores``, the snapshot manager's lookup, passed in at
construction); everything else starts fresh.  The launcher tracks each environment
until it is discarded or the platform closes, so nothing it started outlives it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from ..control.models import FunctionConfig
from .capture import LogSink
from .environment import Environment
from .errors import ExecutionError
from .invocation import InitResult
from .limits import Limiter
from .spawn import Spawner
from .specs import EnvironmentSpecs

RestoreLookup = Callable[[FunctionConfig], Awaitable[Spawner | None]]
"""The restore spawner of a SnapStart version (waiting for its snapshot), or None."""


async def _no_restores(cfg: FunctionConfig) -> Spawner | None:
    return None


class EnvironmentLauncher:
    """Starts, tracks and discards the environments of a platform."""

    def __init__(
        self,
        specs: EnvironmentSpecs,
        limiter: Limiter,
        spawner: Spawner,
        log_sink: LogSink,
        *,
        log_budget: int,
        init_timeout_s: float,
        restores: RestoreLookup = _no_restores,
    ) -> None:
        self._specs = specs
        self._limiter = limiter
        self._spawner = spawner
        self._sink = log_sink
        self._log_budget = log_budget
        self._init_timeout_s = init_timeout_s
        self._restores = restores
        self._envs: dict[str, Environment] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def environments(self, function: str | None = None) -> list[Environment]:
        """Every live environment (of ``function`` if given)."""
        return [e for e in self._envs.values() if function is None or e.function.name == function]

    async def start(
        self, cfg: FunctionConfig, provisioned: bool = False
    ) -> tuple[Environment, InitResult]:
        """Start and initialize one environment of ``cfg``; the result says whether
        its init succeeded (a failed one is already shut down)."""
        restorer = await self._restores(cfg)
        spawner = restorer or self._spawner
        init_type = "snap-start" if restorer else "on-demand"
        spec = await self._specs.make(cfg, "provisioned-concurrency" if provisioned else init_type)
        loop = asyncio.get_running_loop()
        limit = self._limiter.for_environment(spec.env_id, cfg.memory_size)
        try:
            spawned = spawner.spawn(spec, limit, loop)
        except OSError as exc:
            limit.release()
            raise ExecutionError(f"Could not start an environment for {cfg.name}: {exc}") from exc
        env = Environment(
            spec, spawned, limit, self._sink, loop, self._log_budget, restore=restorer is not None
        )
        self._envs[env.id] = env
        init = await env.initialize(self._init_timeout_s)
        return env, init

    def discard(self, env: Environment) -> None:
        """Stop tracking ``env`` and shut it down in the background."""
        self._envs.pop(env.id, None)
        task = asyncio.ensure_future(env.shutdown())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Shut every environment down and wait for all of them to be gone."""
        envs = list(self._envs.values())
        self._envs.clear()
        await asyncio.gather(*(env.shutdown() for env in envs), return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
