"""Per-environment resource limits: cgroups where the platform may use them, else
rlimits.

``auto`` picks the first that works here: the cgroup v2 memory and cpu controllers
(:mod:`.cgroup_v2`), the cgroup v1 ones (:mod:`.cgroup_v1`), then ``RLIMIT_DATA``
set by the bootstrap on itself.  Under cgroups the kernel enforces the environment's
memory (all its processes, swap included where swap is accounted) with its OOM killer
and reports its peak, and CPU is weighted (or capped) by memory, 1,769 MB being one
vCPU.  Under rlimits each process's private writable memory is bounded, a
``MemoryError`` stops the environment as ``Runtime.OutOfMemory``, and the peak is
what the runtime measures of its process tree.  docs/security.md says what each
bounds and what it does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..config import CpuLimiter, MemoryLimiter
from .cgroup_v1 import CgroupV1Limiter
from .cgroup_v2 import CgroupV2Limiter
from .cgroupfs import MIB


class LimitHandle(Protocol):
    """Limits applied to one environment."""

    bounded: bool
    """Whether the environment's memory is limited at all (not ``off``)."""

    def private_env(self) -> dict[str, str]:
        """Variables the bootstrap needs to apply limits on itself."""
        ...

    def attach(self, pid: int) -> None: ...

    def peak_bytes(self) -> int | None:
        """The environment's peak memory as its mechanism measures it (every process
        of the environment), or None where the mechanism measures nothing and the
        runtime's own figure stands."""
        ...

    def oom_kills(self) -> int:
        """How many of the environment's processes were killed for memory so far (a
        count that never goes down; 0 where the mechanism cannot tell)."""
        ...

    def kill_all(self) -> None:
        """Kill every process of the environment, however it escaped its group."""
        ...

    def release(self) -> None: ...


class Limiter(Protocol):
    mechanism: str

    def for_environment(self, env_id: str, memory_mb: int) -> LimitHandle: ...

    def describe(self) -> dict[str, Any]:
        """What GET /health shows of the mechanism."""
        ...

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
    delay the cold start.  On a thread it overlaps the interpreter's own start.  What
    the process allocates before the move is still counted against its MemorySize
    (see :class:`~.cgroupfs.MemoryGroupHandle`).  ``on_failure`` runs on the loop if
    the move fails (the process must not run unlimited).
    """

    def done(future: asyncio.Future[None]) -> None:
        if future.cancelled() or future.exception() is not None:
            on_failure()

    loop.run_in_executor(None, limit.attach, pid).add_done_callback(done)


class _RlimitHandle:
    def __init__(self, memory_mb: int | None) -> None:
        self._bytes = memory_mb * MIB if memory_mb else 0
        self.bounded = bool(memory_mb)
        self._pid = 0
        self._pidfd = -1

    def private_env(self) -> dict[str, str]:
        return {"_SNAPLAMBDA_RLIMIT_BYTES": str(self._bytes)} if self._bytes else {}

    def attach(self, pid: int) -> None:
        self._pid, self._pidfd = pid, os.pidfd_open(pid)

    def peak_bytes(self) -> int | None:
        return None

    def oom_kills(self) -> int:
        return 0

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
    """Memory bounded by ``RLIMIT_DATA`` in the bootstrap; CPU not limited.

    ``RLIMIT_DATA`` bounds private writable mappings (brk, anonymous ``mmap``), which
    is where Python's objects and C extensions' ``malloc`` live.  ``RLIMIT_AS`` would
    also bound shared mappings, but it counts every reservation too (8 MB per thread
    stack, 64 MB per malloc arena), so threaded functions fail far below MemorySize.
    """

    mechanism = "rlimit"

    def __init__(self, why: str = "") -> None:
        self.why = why
        """Why ``auto`` fell back to rlimits (empty when asked for)."""

    def for_environment(self, env_id: str, memory_mb: int) -> LimitHandle:
        return _RlimitHandle(memory_mb)

    def describe(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "mechanism": self.mechanism,
            "limit": "RLIMIT_DATA per process",
            "swapLimited": False,
            "peak": "the runtime's peak resident memory, plus its live children's",
            "outOfMemory": "MemoryError, or a peak past MemorySize",
            "cpu": "off",
        }
        if self.why:
            found["cgroupsUnusable"] = self.why
        return found

    def close(self) -> None:
        pass


class NoLimiter(RlimitLimiter):
    """No limits at all (``memory_limiter = "off"``)."""

    mechanism = "off"

    def for_environment(self, env_id: str, memory_mb: int) -> LimitHandle:
        return _RlimitHandle(None)

    def describe(self) -> dict[str, Any]:
        return {"mechanism": self.mechanism, "limit": "none", "peak": "as rlimit"}


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
    return RlimitLimiter("; ".join(errors))
