"""The runtime's own measure of its memory, sent as ``maxrss_kb`` with each ``init``
and ``result`` frame (the platform uses it where no cgroup measures the environment).

Not ``getrusage().ru_maxrss``: Linux carries that across ``exec``, so a runtime
started by ``posix_spawn`` reports the peak of the platform that spawned it (a 60 MB
server made every function "use" 60 MB, and more as the server grew).  ``VmHWM`` in
``/proc/self/status`` is the peak of this process's own memory since its exec.
"""

from __future__ import annotations

import os
import resource


def _read(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 65536)
    finally:
        os.close(fd)


def _status_kb(pid: str, field: bytes) -> int | None:
    try:
        status = _read(f"/proc/{pid}/status")
        start = status.index(field) + len(field)
        return int(status[start : status.index(b"kB", start)])
    except (OSError, ValueError):
        return None


def _children(pid: str) -> list[str]:
    """Direct children of ``pid``, from each of its threads (Linux's
    ``/proc/PID/task/TID/children``; none where the kernel lacks it)."""
    found: list[str] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            found += _read(f"/proc/{pid}/task/{tid}/children").decode().split()
        except OSError:
            continue
    return found


def _private_kb(pid: str) -> int:
    """What ``pid`` holds alone: pages it shares (with the runtime it was forked
    from, or libraries) are the runtime's or nobody's."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith((b"Private_Clean:", b"Private_Dirty:")):
                    total += int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return total


def peak_kb(children: bool = False) -> int:
    """This process's peak resident memory in kB and, with ``children``, what its
    live descendants hold now (those that already exited are not seen)."""
    own = _status_kb("self", b"VmHWM:")
    if own is None:  # no procfs: the best there is
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if not children:
        return own
    seen: set[str] = set()
    stack = _children(str(os.getpid()))
    while stack:
        pid = stack.pop()
        if pid not in seen:
            seen.add(pid)
            stack += _children(pid)
    return own + sum(_private_kb(pid) for pid in seen)
