"""The spec of each new environment: a fresh id and scratch directory, the runtime's
interpreter, the function's code and layer directories, its log stream, and the
variables every environment of this platform gets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..control.models import FunctionConfig
from ..control.validation import NETWORK_VARIABLE
from .runtimes import Interpreter, RuntimeResolver
from .scratch import ScratchDirs
from .spawn import EnvironmentSpec

RoleEnvironment = Callable[[FunctionConfig], Mapping[str, str]]
"""The variables of a function's role credentials (``AWS_ACCESS_KEY_ID`` ...)."""

LayerDirectories = Callable[[Sequence[str]], Sequence[Path]]
"""Turns a function's layer version ARNs into their extracted directories, in order."""


def _no_layers(arns: Sequence[str]) -> Sequence[Path]:
    return ()


def log_stream_name(version: str, env_id: str, now: float | None = None) -> str:
    """``YYYY/MM/DD/[<version>]<32 hex>`` as Lambda names an environment's stream."""
    day = time.strftime("%Y/%m/%d", time.gmtime(now))
    return f"{day}/[{version}]{env_id}"


class EnvironmentSpecs:
    """Makes :class:`EnvironmentSpec` values for every way an environment starts
    (fresh, SnapStart holder, provisioned fill)."""

    def __init__(
        self,
        resolver: RuntimeResolver,
        *,
        code_dir: Path,
        runtime_dir: Path,
        scratch_dir: Path,
        region: str,
        layer_dirs: LayerDirectories = _no_layers,
        extra_env: Mapping[str, str] | None = None,
        role_env: RoleEnvironment | None = None,
    ) -> None:
        self.resolver = resolver
        self._code_dir = code_dir
        self._runtime_dir = runtime_dir
        self._region = region
        self._layer_dirs = layer_dirs
        self._extra_env = dict(extra_env or {})
        self._role_env = role_env
        self.scratch = ScratchDirs(scratch_dir)

    async def make(
        self, cfg: FunctionConfig, initialization_type: str = "on-demand"
    ) -> EnvironmentSpec:
        """The spec of a new environment of ``cfg`` (a fresh id and scratch dir)."""
        interpreter = await self._resolve(cfg.runtime)
        env_id, scratch = self.scratch.take()
        return EnvironmentSpec(
            env_id=env_id,
            config=cfg,
            interpreter=interpreter,
            code_path=self._code_dir / cfg.code_key,
            runtime_dir=self._runtime_dir,
            scratch_dir=scratch,
            log_group=cfg.log_group_name,
            log_stream=log_stream_name(cfg.version, env_id),
            region=self._region,
            layer_dirs=tuple(self._layer_dirs(cfg.layers)) if cfg.layers else (),
            initialization_type=initialization_type,
            extra_env={**self._extra_env, **(self._role_env(cfg) if self._role_env else {})},
            network=cfg.environment.get(NETWORK_VARIABLE, "host"),
        )

    async def _resolve(self, runtime: str) -> Interpreter:
        # The first resolution runs the interpreter once: keep that off the loop.  Later
        # ones are a lookup; a thread hop would add about a millisecond to a cold start.
        cached = self.resolver.cached(runtime)
        if cached is not None:
            return cached
        return await asyncio.to_thread(self.resolver.resolve, runtime)

    def close(self) -> None:
        """Remove the spare scratch directories made ahead of need."""
        self.scratch.close()
