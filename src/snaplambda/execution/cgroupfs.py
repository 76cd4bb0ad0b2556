"""What both cgroup versions share: reading and writing cgroupfs, removing groups,
CPU weights, and the accounting of an environment's memory in its group.

A memory cgroup charges a page to the group of the process that faulted it in, and
the kernel no longer moves charges when a process changes group (``memory.
move_charge_at_immigrate`` is gone from recent kernels and never existed in v2).  An
environment's process joins its group a moment after it starts (see
:func:`~.limits.attach_soon`), so what it allocated before that stays charged to the
platform's group.  :class:`MemoryGroupHandle` counts that memory as the
environment's (``outside``) and lowers the group's limit by it, so that outside plus
inside never exceeds the function's MemorySize, and the peak it reports is both.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ..control.quotas import ONE_VCPU_MB

MIB = 1024 * 1024
CFS_PERIOD_US = 100_000


def write(path: Path, value: str) -> None:
    path.write_text(value)


def _read(path: Path) -> bytes:
    # os.read, not Path.read_text: these are read on the event loop for every invoke.
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 65536)
    finally:
        os.close(fd)


def read_int(path: Path) -> int | None:
    """The integer in a one-value cgroup file, or None when it is absent."""
    try:
        return int(_read(path).split()[0])
    except (OSError, ValueError, IndexError):
        return None


def parse_keyed(text: str) -> dict[str, int]:
    """``key value`` lines (``memory.events``, ``memory.oom_control``, ``memory.stat``,
    ``/proc/PID/status``) as a dict; units after the value are ignored."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(" ") if ":" not in line else line.partition(":")
        with contextlib.suppress(ValueError, IndexError):
            found[key.strip()] = int(rest.split()[0])
    return found


def read_keyed(path: Path) -> dict[str, int]:
    try:
        return parse_keyed(_read(path).decode())
    except OSError:
        return {}


def held_bytes(pid: int) -> int:
    """Memory a process holds that a memory cgroup charges where it was faulted in:
    its resident anonymous and shared-memory pages (``RssAnon + RssShmem``).  File
    pages are left out: the page cache charges them to whoever read the file first."""
    status = read_keyed(Path(f"/proc/{pid}/status"))
    return (status.get("RssAnon", 0) + status.get("RssShmem", 0)) * 1024


#: At most this many processes of a tree are moved into a group on its attach.
_MAX_JOINED = 1024


def _children(pid: int) -> list[int]:
    """``pid``'s children (Linux's ``/proc/PID/task/PID/children``)."""
    try:
        return [int(p) for p in _read(Path(f"/proc/{pid}/task/{pid}/children")).split()]
    except (OSError, ValueError):
        return []


def kill_pids(procs_file: Path) -> None:
    with contextlib.suppress(OSError):
        for line in procs_file.read_text().split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(line), signal.SIGKILL)


def remove_groups(base: Path) -> None:
    """Kill what runs in each group under ``base``, then remove them and ``base``."""
    with contextlib.suppress(OSError):
        for child in base.iterdir():
            if child.is_dir():
                kill_pids(child / "cgroup.procs")
                with contextlib.suppress(OSError):
                    child.rmdir()
        base.rmdir()


def remove_stale(parent: Path) -> None:
    """Remove the groups of platform processes that died without cleaning up (a
    ``kill -9`` of serve), killing anything still running in them."""
    with contextlib.suppress(OSError):
        for base in parent.glob("snaplambda-*"):
            pid = base.name.removeprefix("snaplambda-")
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                remove_groups(base)


def cpu_weight(memory_mb: int) -> float:
    return memory_mb / ONE_VCPU_MB


def cfs_quota_us(memory_mb: int) -> int:
    """CPU time per ``CFS_PERIOD_US`` for ``memory_mb``: Lambda's share of a vCPU."""
    return max(1000, int(CFS_PERIOD_US * cpu_weight(memory_mb)))


class MemoryGroupHandle:
    """One environment's memory group; the version-specific parts are abstract."""

    def __init__(self, memory_mb: int) -> None:
        self.memory_bytes = memory_mb * MIB
        self.outside = 0
        """What the process held when it joined, charged to the platform's group."""
        self.refused = False
        """The process held its whole MemorySize or more before it joined, and was
        killed as the kernel would have killed it."""

    # -- version-specific ------------------------------------------------------

    def _join(self, pid: int) -> None:
        raise NotImplementedError

    def _join_tree(self, pid: int) -> list[int]:
        """Join ``pid``, then each child it had forked by then, and theirs: the runtime's
        own early children, and the runtime itself under the sandbox, whose bubblewrap
        forks it at once.  A child forked after its parent joined is born inside."""
        joined: list[int] = []
        pending = [pid]
        while pending and len(joined) < _MAX_JOINED:
            current = pending.pop()
            try:
                self._join(current)
            except ProcessLookupError:
                continue
            except OSError:
                if current == pid:
                    raise
                continue  # gone meanwhile
            joined.append(current)
            pending += _children(current)
        return joined

    def _set_limit(self, limit: int) -> None:
        """Set the group's limit in bytes; OSError when its usage cannot fit."""
        raise NotImplementedError

    def _peak_inside(self) -> int | None:
        raise NotImplementedError

    def _kernel_oom_kills(self) -> int:
        raise NotImplementedError

    def kill_all(self) -> None:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    # -- common ------------------------------------------------------------------

    def private_env(self) -> dict[str, str]:
        return {}

    def attach(self, pid: int) -> None:
        """Move ``pid`` and its descendants into the group, then give the group what is
        left of MemorySize once what they already hold outside it is counted.  Read
        after the move, the pages faulted during the move itself count twice rather
        than not at all."""
        self.outside = sum(held_bytes(p) for p in self._join_tree(pid))
        remaining = self.memory_bytes - self.outside
        try:
            if remaining <= 0:
                raise OSError("over its memory before joining its group")
            self._set_limit(remaining)
        except OSError:
            self.refused = True
            self.kill_all()

    def peak_bytes(self) -> int | None:
        inside = self._peak_inside()
        return None if inside is None else self.outside + inside

    def oom_kills(self) -> int:
        return self._kernel_oom_kills() + int(self.refused)


class GroupHandle(Protocol):
    """The part of a limit handle :class:`DeferredHandle` forwards to."""

    def attach(self, pid: int) -> None: ...

    def peak_bytes(self) -> int | None: ...

    def oom_kills(self) -> int: ...

    def kill_all(self) -> None: ...

    def release(self) -> None: ...


class DeferredHandle:
    """A cgroup handle made when the process is attached, i.e. on the worker thread
    of :func:`~.limits.attach_soon`: making a group is a mkdir and a few writes in
    cgroupfs, about half a millisecond that every cold start would otherwise wait
    for.  What the process allocates until then is counted by the handle's
    ``outside``."""

    bounded = True

    def __init__(self, create: Callable[[], GroupHandle]) -> None:
        self._create = create
        self._handle: GroupHandle | None = None
        self._released = False
        self._lock = threading.Lock()  # attach (worker thread) against release (loop)

    def private_env(self) -> dict[str, str]:
        return {}

    def attach(self, pid: int) -> None:
        with self._lock:
            if self._released:
                return
            handle = self._handle or self._create()
            try:
                handle.attach(pid)
            finally:
                # Seen by the loop only once attached: a peak read before then would
                # be that of an empty group.
                self._handle = handle

    def peak_bytes(self) -> int | None:
        handle = self._handle
        return None if handle is None else handle.peak_bytes()

    def oom_kills(self) -> int:
        handle = self._handle
        return 0 if handle is None else handle.oom_kills()

    def kill_all(self) -> None:
        handle = self._handle
        if handle is not None:
            handle.kill_all()

    def release(self) -> None:
        with self._lock:
            self._released = True
            if self._handle is not None:
                self._handle.release()
