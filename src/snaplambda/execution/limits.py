"""Per-environment resource limits: cgroups where the platform may use them, else
rlimits.

``auto`` picks the first that works here: the cgroup v2 memory and cpu controllers,
the cgroup v1 ones, then ``RLIMIT_DATA`` set by the bootstrap on itself.  Under
cgroups memory is enforced by the kernel's OOM killer for the whole environment
(children included) and CPU is weighted (or capped) by memory, 1,769 MB being one
vCPU; under rlimits only the bootstrap's own address space is bounded and a
``MemoryError`` inside the handler is reported as ``Runtime.OutOfMemory``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Protocol

from ..config import CpuLimiter, MemoryLimiter
from ..control.quotas import ONE_VCPU_MB

_MIB = 1024 * 1024
_CFS_PERIOD_US = 100_000


class LimitHandle(Protocol):
    """Limits applied to one environment."""

    def private_env(self) -> dict[str, str]:
        """Variables the bootstrap needs to apply limits on itself."""
        ...

    def attach(self, pid: int) -> None: ...

    def oom_killed(self) -> bool: ...

    def kill_all(self) -> None:
        """Kill every process of the environment, however it escaped its group."""
        ...

    def release(self) -> None: ...


class Limiter(Protocol):
    mechanism: str

    def for_environment(self, env_id: str, memory_mb: int) -> LimitHandle: ...

    def close(self) -> None: ...


def proc_stats() -> list[tuple[int, list[str]]]:
    """Every process's pid and the fields of its ``/proc/PID/stat`` after the command
    name: state, ppid, pgrp, session, and so on."""
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            found.append((int(entry.name), stat.rpartition(")")[2].split()))
    return found


def _children_by_parent() -> dict[int, list[int]]:
    """Every process's children, from ``/proc``."""
    tree: dict[int, list[int]] = {}
    for pid, fields in proc_stats():
        with contextlib.suppress(ValueError, IndexError):
            tree.setdefault(int(fields[1]), []).append(pid)
    return tree


def _kill_tree(pidfd: int, root: int) -> None:
    """SIGKILL the process behind ``pidfd`` (pid ``root``) and all its descendants,
    whatever process group or session they moved to.  Everything found is stopped
    before the next scan, so nothing forks out of reach meanwhile."""
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGSTOP)
    except ProcessLookupError:
        return  # reaped: its pid may name another process by now
    stopped: set[int] = set()
    for _ in range(100):
        tree = _children_by_parent()
        found: set[int] = set()
        stack = [root]
        while stack:
            for child in tree.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        new = found - stopped
        if not new:
            break
        for pid in new:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        stopped |= new
    for pid in stopped:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)


def attach_soon(
    limit: LimitHandle, pid: int, on_failure: Callable[[], None], loop: asyncio.AbstractEventLoop
) -> None:
    """Put ``pid`` under ``limit`` from a worker thread.

    Moving a process into a cgroup v1 group waits about 10 ms in the kernel; done on
    the event loop it would stall every other request, done before exec it would
    delay the cold start.  On a thread it overlaps the interpreter's own start.
    ``on_failure`` runs on the loop if the move fails (the process must not run
    unlimited).
    """

    def done(future: asyncio.Future[None]) -> None:
        if future.cancelled() or future.exception() is not None:
            on_failure()

    loop.run_in_executor(None, limit.attach, pid).add_done_callback(done)


class _DeferredHandle:
    """A cgroup handle made when the process is attached, i.e. on the worker thread
    of :func:`attach_soon`: making a group is a mkdir and a few writes in cgroupfs,
    about half a millisecond that every cold start would otherwise wait for.  Until
    then the environment's process runs unlimited, as it does until any attach."""

    def __init__(self, create: Callable[[], LimitHandle]) -> None:
        self._create = create
        self._handle: LimitHandle | None = None
        self._released = False
        self._lock = threading.Lock()  # attach (worker thread) against release (loop)

    def private_env(self) -> dict[str, str]:
        return {}

    def attach(self, pid: int) -> None:
        with self._lock:
            if self._released:
                return
            if self._handle is None:
                self._handle = self._create()
            self._handle.attach(pid)

    def oom_killed(self) -> bool:
        handle = self._handle
        return handle is not None and handle.oom_killed()

    def kill_all(self) -> None:
        handle = self._handle
        if handle is not None:
            handle.kill_all()

    def release(self) -> None:
        with self._lock:
            self._released = True
            if self._handle is not None:
                self._handle.release()


class _RlimitHandle:
    def __init__(self, memory_mb: int | None) -> None:
        self._bytes = memory_mb * _MIB if memory_mb else 0
        self._pid = 0
        self._pidfd = -1

    def private_env(self) -> dict[str, str]:
        return {"_SNAPLAMBDA_RLIMIT_BYTES": str(self._bytes)} if self._bytes else {}

    def attach(self, pid: int) -> None:
        self._pid, self._pidfd = pid, os.pidfd_open(pid)

    def oom_killed(self) -> bool:
        return False

    def kill_all(self) -> None:
        # Without a cgroup the environment's processes are the runtime's descendants
        # (those it orphaned by exiting first are out of reach).
        if self._pidfd >= 0:
            _kill_tree(self._pidfd, self._pid)

    def release(self) -> None:
        self.kill_all()
        if self._pidfd >= 0:
            os.close(self._pidfd)
            self._pidfd = -1


class RlimitLimiter:
    """Memory bounded by ``RLIMIT_DATA`` in the bootstrap; CPU not limited."""

    mechanism = "rlimit"

    def for_environment(self, env_id: str, memory_mb: int) -> LimitHandle:
        return _RlimitHandle(memory_mb)

    def close(self) -> None:
        pass


class NoLimiter(RlimitLimiter):
    """No limits at all (``memory_limiter = "off"``)."""

    mechanism = "off"

    def for_environment(self, env_id: str, memory_mb: int) -> LimitHandle:
        return _RlimitHandle(None)


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def _kill_pids(procs_file: Path) -> None:
    with contextlib.suppress(OSError):
        for line in procs_file.read_text().split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(line), signal.SIGKILL)


def _remove_stale(parent: Path) -> None:
    """Remove the groups of platform processes that died without cleaning up (a
    ``kill -9`` of serve), killing anything still running in them."""
    with contextlib.suppress(OSError):
        for base in parent.glob("snaplambda-*"):
            pid = base.name.removeprefix("snaplambda-")
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                _remove_groups(base)


def _remove_groups(base: Path) -> None:
    """Kill what runs in each group under ``base``, then remove them and ``base``."""
    with contextlib.suppress(OSError):
        for child in base.iterdir():
            if child.is_dir():
                _kill_pids(child / "cgroup.procs")
                with contextlib.suppress(OSError):
                    child.rmdir()
        base.rmdir()


def _cpu_weight(memory_mb: int) -> float:
    return memory_mb / ONE_VCPU_MB


def _cfs_quota_us(memory_mb: int) -> int:
    """CPU time per ``_CFS_PERIOD_US`` for ``memory_mb``: Lambda's share of a vCPU."""
    return max(1000, int(_CFS_PERIOD_US * _cpu_weight(memory_mb)))


class _CgroupV1Handle:
    def __init__(self, memory: Path, cpu: Path | None) -> None:
        self.memory = memory
        self.cpu = cpu

    def private_env(self) -> dict[str, str]:
        return {}

    def attach(self, pid: int) -> None:
        _write(self.memory / "cgroup.procs", str(pid))
        if self.cpu is not None:
            _write(self.cpu / "cgroup.procs", str(pid))

    def oom_killed(self) -> bool:
        try:
            for line in (self.memory / "memory.oom_control").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value) > 0
        except OSError:
            pass
        return False

    def kill_all(self) -> None:
        _kill_pids(self.memory / "cgroup.procs")

    def release(self) -> None:
        self.kill_all()
        for path in (self.memory, self.cpu):
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
        if own_mem is None:
            raise OSError("no cgroup v1 memory controller")
        name = f"snaplambda-{os.getpid()}"
        _remove_stale(root / "memory" / own_mem.lstrip("/"))
        self.memory_base = root / "memory" / own_mem.lstrip("/") / name
        self.memory_base.mkdir(exist_ok=True)
        self.cpu_base: Path | None = None
        self.cpu_mode = cpu_mode
        own_cpu = _own_v1_path("cpu")
        if cpu_mode != "off" and own_cpu is not None:
            try:
                _remove_stale(root / "cpu" / own_cpu.lstrip("/"))
                self.cpu_base = root / "cpu" / own_cpu.lstrip("/") / name
                self.cpu_base.mkdir(exist_ok=True)
            except OSError:
                self.cpu_base = None

    def for_environment(self, env_id: str, memory_mb: int) -> LimitHandle:
        return _DeferredHandle(partial(self.create, env_id, memory_mb))

    def create(self, env_id: str, memory_mb: int) -> LimitHandle:
        """Make the environment's groups now (:meth:`for_environment` defers this)."""
        mem = self.memory_base / env_id
        mem.mkdir()
        limit = str(memory_mb * _MIB)
        _write(mem / "memory.limit_in_bytes", limit)
        with contextlib.suppress(OSError):
            _write(mem / "memory.memsw.limit_in_bytes", limit)
        with contextlib.suppress(OSError):
            _write(mem / "memory.swappiness", "0")
        with contextlib.suppress(OSError):  # charge the interpreter's start-up to the env too
            _write(mem / "memory.move_charge_at_immigrate", "3")
        cpu = None
        if self.cpu_base is not None:
            cpu = self.cpu_base / env_id
            cpu.mkdir()
            if self.cpu_mode == "quota":
                quota = _cfs_quota_us(memory_mb)
                _write(cpu / "cpu.cfs_period_us", str(_CFS_PERIOD_US))
                _write(cpu / "cpu.cfs_quota_us", str(quota))
            else:
                _write(cpu / "cpu.shares", str(max(2, int(1024 * _cpu_weight(memory_mb)))))
        return _CgroupV1Handle(mem, cpu)

    def close(self) -> None:
        for base in (self.memory_base, self.cpu_base):
            if base is not None:
                _remove_groups(base)


class _CgroupV2Handle:
    def __init__(self, path: Path) -> None:
        self.path = path

    def private_env(self) -> dict[str, str]:
        return {}

    def attach(self, pid: int) -> None:
        _write(self.path / "cgroup.procs", str(pid))

    def oom_killed(self) -> bool:
        with contextlib.suppress(OSError):
            for line in (self.path / "memory.events").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value) > 0
        return False

    def kill_all(self) -> None:
        try:
            _write(self.path / "cgroup.kill", "1")
        except OSError:
            _kill_pids(self.path / "cgroup.procs")

    def release(self) -> None:
        self.kill_all()
        with contextlib.suppress(OSError):
            self.path.rmdir()


class CgroupV2Limiter:
    """cgroup v2 ``memory.max`` and ``cpu.weight`` / ``cpu.max``."""

    mechanism = "cgroup-v2"

    def __init__(self, cpu_mode: CpuLimiter, root: Path = Path("/sys/fs/cgroup")) -> None:
        if not (root / "cgroup.controllers").exists():
            raise OSError("no cgroup v2 hierarchy")
        own = Path("/proc/self/cgroup").read_text().splitlines()
        path = next(line.split(":", 2)[2] for line in own if line.startswith("0::"))
        parent = root / path.lstrip("/")
        _remove_stale(parent)
        self.base = parent / f"snaplambda-{os.getpid()}"
        self.base.mkdir(exist_ok=True)
        # Fails with EBUSY when the parent holds processes: then use rlimits instead.
        controllers = "+memory" + (" +cpu" if cpu_mode != "off" else "")
        _write(parent / "cgroup.subtree_control", controllers)
        _write(self.base / "cgroup.subtree_control", controllers)
        self.cpu_mode = cpu_mode

    def for_environment(self, env_id: str, memory_mb: int) -> LimitHandle:
        return _DeferredHandle(partial(self.create, env_id, memory_mb))

    def create(self, env_id: str, memory_mb: int) -> LimitHandle:
        """Make the environment's group now (:meth:`for_environment` defers this)."""
        path = self.base / env_id
        path.mkdir()
        _write(path / "memory.max", str(memory_mb * _MIB))
        with contextlib.suppress(OSError):
            _write(path / "memory.swap.max", "0")
        if self.cpu_mode == "quota":
            quota = _cfs_quota_us(memory_mb)
            _write(path / "cpu.max", f"{quota} {_CFS_PERIOD_US}")
        elif self.cpu_mode == "shares":
            _write(path / "cpu.weight", str(max(1, min(10000, int(100 * _cpu_weight(memory_mb))))))
        return _CgroupV2Handle(path)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            for child in self.base.iterdir():
                if child.is_dir():
                    _CgroupV2Handle(child).release()
            self.base.rmdir()


def make_limiter(memory: MemoryLimiter, cpu: CpuLimiter) -> Limiter:
    """The limiter for the configured mode; ``auto`` tries cgroups first."""
    if memory == "off":
        return NoLimiter()
    if memory == "rlimit":
        return RlimitLimiter()
    errors: list[str] = []
    for kind in (CgroupV2Limiter, CgroupV1Limiter):
        try:
            limiter = kind(cpu)
            limiter.create("probe", 128).release()
            return limiter
        except (OSError, StopIteration) as exc:
            errors.append(f"{kind.mechanism}: {exc}")
    if memory == "cgroup":
        raise OSError("cgroups are not usable here: " + "; ".join(errors))
    return RlimitLimiter()
