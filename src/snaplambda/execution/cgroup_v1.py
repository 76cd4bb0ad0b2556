"""Limits through cgroup v1: the ``memory`` controller (hard limit, OOM kill, peak),
the ``cpu`` controller (shares or CFS quota) and, where mounted, the ``pids``
controller (Lambda's 1,024 processes and threads per environment).

Each platform process makes ``snaplambda-<pid>`` under its own group of each
controller, and one group per environment under that.
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
    remove_groups,
    remove_stale,
    write,
)


class CgroupV1Handle(MemoryGroupHandle):
    """An environment's groups: ``memory`` and, unless CPU is not limited, ``cpu``."""

    def __init__(
        self,
        memory_mb: int,
        memory: Path,
        cpu: Path | None,
        memsw: bool,
        pids: Path | None = None,
    ) -> None:
        super().__init__(memory_mb)
        self.memory = memory
        self.cpu = cpu
        self.pids = pids
        self.memsw = memsw
        """Swap accounting exists: memory plus swap is limited (and measured) too."""

    def _join(self, pid: int) -> None:
        write(self.memory / "cgroup.procs", str(pid))
        for group in (self.cpu, self.pids):
            if group is not None:
                write(group / "cgroup.procs", str(pid))

    def _set_limit(self, limit: int) -> None:
        # Lowering: memory first, since memory+swap may never be below it.
        write(self.memory / "memory.limit_in_bytes", str(limit))
        if self.memsw:
            write(self.memory / "memory.memsw.limit_in_bytes", str(limit))

    def _peak_inside(self) -> int | None:
        name = "memory.memsw.max_usage_in_bytes" if self.memsw else "memory.max_usage_in_bytes"
        return read_int(self.memory / name)

    def _kernel_oom_kills(self) -> int:
        control = read_keyed(self.memory / "memory.oom_control")
        if "oom_kill" in control:  # Linux 4.13+
            return control["oom_kill"]
        # Older kernels count only hits of the limit, and the count sticks: a hit that
        # reclaim resolved counts too.  The environment trusts it only for a runtime
        # that died of SIGKILL.
        name = "memory.memsw.failcnt" if self.memsw else "memory.failcnt"
        return read_int(self.memory / name) or 0

    def kill_all(self) -> None:
        kill_pids(self.memory / "cgroup.procs")

    def release(self) -> None:
        self.kill_all()
        for path in (self.memory, self.cpu, self.pids):
            if path is not None:
                with contextlib.suppress(OSError):
                    path.rmdir()


def _own_v1_path(controller: str) -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                return path
    return None


class CgroupV1Limiter:
    """cgroup v1 ``memory`` (hard limit, OOM kill) and ``cpu`` (shares or quota)."""

    mechanism = "cgroup-v1"

    def __init__(self, cpu_mode: CpuLimiter, root: Path = Path("/sys/fs/cgroup")) -> None:
        own_mem = _own_v1_path("memory")
        if own_mem is None or not (root / "memory").is_dir():
            raise OSError("no cgroup v1 memory controller is mounted")
        name = f"snaplambda-{os.getpid()}"
        remove_stale(root / "memory" / own_mem.lstrip("/"))
        self.memory_base = root / "memory" / own_mem.lstrip("/") / name
        self.memory_base.mkdir(exist_ok=True)
        self.cpu_base: Path | None = None
        self.cpu_mode = cpu_mode
        own_cpu = _own_v1_path("cpu")
        if cpu_mode != "off" and own_cpu is not None:
            try:
                remove_stale(root / "cpu" / own_cpu.lstrip("/"))
                self.cpu_base = root / "cpu" / own_cpu.lstrip("/") / name
                self.cpu_base.mkdir(exist_ok=True)
            except OSError:
                self.cpu_base = None
        self.swap_limited = (self.memory_base / "memory.memsw.limit_in_bytes").exists()
        self.pids_base: Path | None = None
        own_pids = _own_v1_path("pids")
        if own_pids is not None and (root / "pids").is_dir():
            try:
                remove_stale(root / "pids" / own_pids.lstrip("/"))
                self.pids_base = root / "pids" / own_pids.lstrip("/") / name
                self.pids_base.mkdir(exist_ok=True)
            except OSError:  # then the sandbox's RLIMIT_NPROC is the only bound
                self.pids_base = None

    def for_environment(self, env_id: str, memory_mb: int) -> DeferredHandle:
        return DeferredHandle(partial(self.create, env_id, memory_mb))

    def create(self, env_id: str, memory_mb: int) -> CgroupV1Handle:
        """Make the environment's groups now (:meth:`for_environment` defers this)."""
        mem = self.memory_base / env_id
        mem.mkdir()
        limit = str(memory_mb * MIB)
        write(mem / "memory.limit_in_bytes", limit)
        memsw = False
        if self.swap_limited:
            with contextlib.suppress(OSError):  # then only memory is limited, as before
                write(mem / "memory.memsw.limit_in_bytes", limit)
                memsw = True
        with contextlib.suppress(OSError):  # no swapping out in place of an OOM kill
            write(mem / "memory.swappiness", "0")
        cpu = None
        if self.cpu_base is not None:
            cpu = self.cpu_base / env_id
            cpu.mkdir()
            if self.cpu_mode == "quota":
                write(cpu / "cpu.cfs_period_us", str(CFS_PERIOD_US))
                write(cpu / "cpu.cfs_quota_us", str(cfs_quota_us(memory_mb)))
            else:
                write(cpu / "cpu.shares", str(max(2, int(1024 * cpu_weight(memory_mb)))))
        pids = None
        if self.pids_base is not None:
            pids = self.pids_base / env_id
            pids.mkdir()
            write(pids / "pids.max", str(PROCESSES_MAX))
        return CgroupV1Handle(memory_mb, mem, cpu, memsw, pids)

    def describe(self) -> dict[str, Any]:
        """What /health says of the mechanism."""
        return {
            "mechanism": self.mechanism,
            "group": str(self.memory_base),
            "limit": "memory.limit_in_bytes"
            + (" and memory.memsw.limit_in_bytes" if self.swap_limited else ""),
            "swapLimited": self.swap_limited,
            "peak": "memory.memsw.max_usage_in_bytes"
            if self.swap_limited
            else "memory.max_usage_in_bytes",
            "outOfMemory": "memory.oom_control oom_kill",
            "cpu": self.cpu_mode if self.cpu_base is not None else "off",
            "processes": f"pids.max {PROCESSES_MAX}" if self.pids_base is not None else "none",
        }

    def close(self) -> None:
        for base in (self.memory_base, self.cpu_base, self.pids_base):
            if base is not None:
                remove_groups(base)
