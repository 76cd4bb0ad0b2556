"""How an environment comes to exist.

A :class:`Spawner` turns an :class:`EnvironmentSpec` into a running bootstrap with its
control socket and output pipes.  :class:`FreshProcessSpawner` starts a new
interpreter; later spawners clone an already-initialized one (SnapStart restore,
provisioned-concurrency fill) behind the same interface.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..control.models import FunctionConfig
from .awsenv import OVERRIDABLE
from .limits import LimitHandle, attach_soon
from .process import ChildProcess
from .runtimes import Interpreter

_BOOT = "import sys;sys.path.insert(0,{dir!r});from snaplambda_runtime.bootstrap import main;main()"
_CONTROL_FD = 3


@dataclass(frozen=True)
class EnvironmentSpec:
    """Everything needed to start one environment of a function version."""

    env_id: str
    config: FunctionConfig
    interpreter: Interpreter
    code_path: Path
    runtime_dir: Path
    scratch_dir: Path
    log_group: str
    log_stream: str
    region: str
    initialization_type: str = "on-demand"
    extra_paths: tuple[str, ...] = ()
    extra_env: dict[str, str] = field(default_factory=dict)
    layer_dirs: tuple[Path, ...] = ()
    """The extracted content of the function's layers, in order (shared, read-only)."""
    network: str = "host"
    """``host``: the host's network, as Lambda without a VPC; ``none``: no network at
    all (only in the sandbox, which gives it a network namespace of its own)."""

    def layer_python_paths(self) -> list[str]:
        """What each layer adds to ``sys.path``, in layer order, as Lambda's ``/opt``
        does: ``python/lib/pythonX.Y/site-packages``, then ``python``."""
        paths: list[str] = []
        for layer in self.layer_dirs:
            python = layer / "python"
            paths += [str(python / "lib" / self.config.runtime / "site-packages"), str(python)]
        return paths

    def environ(self) -> dict[str, str]:
        """The environment variables of the function's process."""
        cfg = self.config
        layer_bins = "".join(f":{layer / 'bin'}" for layer in self.layer_dirs)
        layer_libs = "".join(f":{layer / 'lib'}" for layer in self.layer_dirs)
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin" + layer_bins,
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LD_LIBRARY_PATH": f"{self.code_path}:{self.code_path / 'lib'}" + layer_libs,
            "TMPDIR": str(self.scratch_dir),
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            **cfg.environment,
            "LAMBDA_TASK_ROOT": str(self.code_path),
            "LAMBDA_RUNTIME_DIR": str(self.runtime_dir),
            "_HANDLER": cfg.handler,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{cfg.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": cfg.name,
            "AWS_LAMBDA_FUNCTION_VERSION": cfg.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(cfg.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": self.initialization_type,
            "_SNAPLAMBDA_CONTROL_FD": str(_CONTROL_FD),
            "_SNAPLAMBDA_PATHS": os.pathsep.join(
                [str(self.code_path), *self.layer_python_paths(), *self.extra_paths]
            ),
            "_SNAPLAMBDA_LAYERS": os.pathsep.join(str(layer) for layer in self.layer_dirs),
        }
        if cfg.log_format == "JSON":  # as Lambda sets them, for the runtime and Powertools
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            env["AWS_LAMBDA_LOG_LEVEL"] = cfg.application_log_level or "INFO"
        env.update(self.extra_env)
        for key in OVERRIDABLE & cfg.environment.keys():  # the function's own wins
            env[key] = cfg.environment[key]
        return env


@dataclass
class Spawned:
    """A started bootstrap: its process, control socket and output pipes."""

    process: ChildProcess
    control: socket.socket
    stdout: int
    stderr: int
    t_begin_ns: int
    t_created_ns: int
    on_imports: Callable[[list[str]], None] | None = None
    """Told the modules a restored environment imported after its snapshot."""
    on_pages: Callable[[list[list[int]]], None] | None = None
    """Told the address ranges a restored environment's first request wrote."""


class Spawner(Protocol):
    """Brings an environment's process into existence."""

    name: str

    def spawn(
        self, spec: EnvironmentSpec, limit: LimitHandle, loop: asyncio.AbstractEventLoop
    ) -> Spawned: ...


def _high_fd(fd: int) -> int:
    """A close-on-exec duplicate above the fds the child's dup2 targets, so a source
    fd that happens to equal its target still loses close-on-exec in the child."""
    dup = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return dup


class Confinement(Protocol):
    """What runs an environment's process inside a sandbox (see :mod:`.sandbox`)."""

    def view(self, spec: EnvironmentSpec) -> EnvironmentSpec:
        """``spec`` with the paths the function sees inside the sandbox."""
        ...

    def argv(self, spec: EnvironmentSpec, command: Sequence[str]) -> list[str]:
        """The command line running ``command`` (paths of the view) confined."""
        ...

    def private_env(self, spec: EnvironmentSpec) -> dict[str, str]:
        """``_SNAPLAMBDA_*`` variables telling the bootstrap how it is confined."""
        ...


class FreshProcessSpawner:
    """Start a new interpreter running the bootstrap (``posix_spawn``, own session),
    inside ``confinement`` when one is given."""

    name = "fresh"

    def __init__(self, confinement: Confinement | None = None) -> None:
        self.confinement = confinement

    def spawn(
        self, spec: EnvironmentSpec, limit: LimitHandle, loop: asyncio.AbstractEventLoop
    ) -> Spawned:
        t_begin = time.monotonic_ns()
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        child_fd, out_w, err_w = (
            _high_fd(os.dup(child.fileno())),
            _high_fd(out_w),
            _high_fd(err_w),
        )
        child.close()
        view = spec if self.confinement is None else self.confinement.view(spec)
        env = view.environ()
        env.update(limit.private_env())
        argv = [spec.interpreter.path, "-S", "-c", _BOOT.format(dir=str(view.runtime_dir))]
        if self.confinement is not None:
            env.update(self.confinement.private_env(spec))
            argv = self.confinement.argv(spec, argv)
        try:
            pid = os.posix_spawn(
                argv[0],
                argv,
                env,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, out_w, 1),
                    (os.POSIX_SPAWN_DUP2, err_w, 2),
                    (os.POSIX_SPAWN_DUP2, child_fd, _CONTROL_FD),
                ],
                setsid=True,
            )
        finally:
            for fd in (child_fd, out_w, err_w):
                os.close(fd)
        t_created = time.monotonic_ns()
        process = ChildProcess(pid, loop, wrapped=self.confinement is not None)
        attach_soon(limit, pid, process.kill, loop)
        for fd in (out_r, err_r):
            os.set_blocking(fd, False)
        return Spawned(process, parent, out_r, err_r, t_begin, t_created)
