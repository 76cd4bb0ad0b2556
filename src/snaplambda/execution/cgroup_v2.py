"""Limits through cgroup v2: ``memory.max`` with ``memory.swap.max`` at 0 (hard
limit, OOM kill), the peak from ``memory.peak``, and ``cpu.weight`` or ``cpu.max``.

The platform makes ``snaplambda-<pid>`` beside its own group (it must be allowed to
enable the memory controller for its subtree) and one group per environment in it.
"""

from __future__ import annotations

import contextlib
import os
from functools import partial
from pathlib import Path
from typing import Any

from ..config import CpuLimiter
from ..control.quotas import PROCESSES_MAX
from .cgroupfs import (
    CFS_PERIOD_US,
    MIB,
    DeferredHandle,
    MemoryGroupHandle,
    cfs_quota_us,
    cpu_weight,
    kill_pids,
    read_int,
    read_keyed,
    remove_stale,
    write,
)


class CgroupV2Handle(MemoryGroupHandle):
    """An environment's group."""

    def __init__(self, memory_mb: int, path: Path) -> None:
        super().__init__(memory_mb)
        self.path = path
        self.has_peak = (path / "memory.peak").exists()  # Linux 5.19+
        self._sampled = 0

    def _join(self, pid: int) -> None:
        write(self.path / "cgroup.procs", str(pid))

    def _set_limit(self, limit: int) -> None:
        write(self.path / "memory.max", str(limit))

    def _peak_inside(self) -> int | None:
        if self.has_peak:
            return read_int(self.path / "memory.peak")
        # Without memory.peak, the highest usage seen when asked (after init and
        # after each invoke): a spike between two looks is missed.
        current = read_int(self.path / "memory.current")
        if current is None:
            return None
        self._sampled = max(self._sampled, current)
        return self._sampled

    def _kernel_oom_kills(self) -> int:
        return read_keyed(self.path / "memory.events").get("oom_kill", 0)

    def kill_all(self) -> None:
        try:
            write(self.path / "cgroup.kill", "1")
        except OSError:
            kill_pids(self.path / "cgroup.procs")

    def release(self) -> None:
        self.kill_all()
        with contextlib.suppress(OSError):
            self.path.rmdir()


class CgroupV2Limiter:
    """cgroup v2 ``memory.max`` and ``cpu.weight`` / ``cpu.max``."""

    mechanism = "cgroup-v2"

    def __init__(self, cpu_mode: CpuLimiter, root: Path = Path("/sys/fs/cgroup")) -> None:
        if not (root / "cgroup.controllers").exists():
            raise OSError(f"no cgroup v2 hierarchy at {root}")
        if "memory" not in (root / "cgroup.controllers").read_text().split():
            raise OSError("the cgroup v2 hierarchy has no memory controller")
        own = Path("/proc/self/cgroup").read_text().splitlines()
        path = next(line.split(":", 2)[2] for line in own if line.startswith("0::"))
        parent = root / path.lstrip("/")
        remove_stale(parent)
        self.base = parent / f"snaplambda-{os.getpid()}"
        self.base.mkdir(exist_ok=True)
        # Fails with EBUSY when the parent holds processes: then use rlimits instead.
        controllers = "+memory" + (" +cpu" if cpu_mode != "off" else "")
        write(parent / "cgroup.subtree_control", controllers)
        write(self.base / "cgroup.subtree_control", controllers)
        self.pids = False
        """The ``pids`` controller is enabled too: Lambda's process limit per group."""
        with contextlib.suppress(OSError):
            if "pids" in (root / "cgroup.controllers").read_text().split():
                write(parent / "cgroup.subtree_control", "+pids")
                write(self.base / "cgroup.subtree_control", "+pids")
                self.pids = True
        self.cpu_mode = cpu_mode
        self.swap_limited = False
        self.has_peak = False

    def for_environment(self, env_id: str, memory_mb: int) -> DeferredHandle:
        return DeferredHandle(partial(self.create, env_id, memory_mb))

    def create(self, env_id: str, memory_mb: int) -> CgroupV2Handle:
        """Make the environment's group now (:meth:`for_environment` defers this)."""
        path = self.base / env_id
        path.mkdir()
        write(path / "memory.max", str(memory_mb * MIB))
        with contextlib.suppress(OSError):  # absent without swap accounting
            write(path / "memory.swap.max", "0")
            self.swap_limited = True
        if self.cpu_mode == "quota":
            write(path / "cpu.max", f"{cfs_quota_us(memory_mb)} {CFS_PERIOD_US}")
        elif self.cpu_mode == "shares":
            weight = max(1, min(10000, int(100 * cpu_weight(memory_mb))))
            write(path / "cpu.weight", str(weight))
        if self.pids:
            write(path / "pids.max", str(PROCESSES_MAX))
        handle = CgroupV2Handle(memory_mb, path)
        self.has_peak = handle.has_peak
        return handle

    def describe(self) -> dict[str, Any]:
        """What /health says of the mechanism."""
        return {
            "mechanism": self.mechanism,
            "group": str(self.base),
            "limit": "memory.max" + (" and memory.swap.max=0" if self.swap_limited else ""),
            "swapLimited": self.swap_limited,
            "peak": "memory.peak" if self.has_peak else "memory.current, sampled",
            "outOfMemory": "memory.events oom_kill",
            "cpu": self.cpu_mode,
            "processes": f"pids.max {PROCESSES_MAX}" if self.pids else "none",
        }

    def close(self) -> None:
        with contextlib.suppress(OSError):
            for child in self.base.iterdir():
                if child.is_dir():
                    CgroupV2Handle(0, child).release()
            self.base.rmdir()
