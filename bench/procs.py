"""Finding a server's execution environments in ``/proc`` and measuring their memory.

Environments are direct children of the ``serve`` process; the function each one
runs is read from its ``AWS_LAMBDA_FUNCTION_NAME`` environment variable, so nothing
here depends on the platform's internals.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class Memory:
    """Memory of one process, in KiB.

    ``pss`` divides shared pages among the processes sharing them (the fair share of
    the machine's memory), ``rss`` counts them whole, ``uss`` is private pages only.
    """

    pid: int
    rss_kb: int
    pss_kb: int
    uss_kb: int


def stat_fields(pid: int) -> list[str] | None:
    """Fields of ``/proc/PID/stat`` after the command name (which may hold spaces)."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return raw.rpartition(")")[2].split()


def children(ppid: int) -> list[int]:
    """Live (non-zombie) child processes of ``ppid``."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = stat_fields(int(entry.name))
        # fields[0] is the state, fields[1] the parent pid.
        if fields and fields[1] == str(ppid) and fields[0] not in ("Z", "X"):
            found.append(int(entry.name))
    return sorted(found)


def session_leaders(ppid: int) -> list[int]:
    """Children of ``ppid`` that lead their own session: of a SnapStart holder, the
    restored environments (each calls ``setsid``), not the spare copy it keeps
    forked ahead, which stays in the holder's session until it is given one."""
    leaders = []
    for pid in children(ppid):
        fields = stat_fields(pid)
        # fields[3] is the session id.
        if fields and fields[3] == str(pid):
            leaders.append(pid)
    return leaders


def function_name(pid: int) -> str | None:
    """The Lambda function a process serves, from its environment."""
    try:
        environ = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return None
    for item in environ.split(b"\0"):
        if item.startswith(b"AWS_LAMBDA_FUNCTION_NAME="):
            return item.partition(b"=")[2].decode()
    return None


def environments(server_pid: int, function: str) -> list[int]:
    """PIDs of the server's environments running ``function``."""
    return [pid for pid in children(server_pid) if function_name(pid) == function]


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    """Wait (bounded) until ``condition()``; whether it came true."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        # Polling: another process's exit, or the server's view of it, gives no event.
        time.sleep(0.002)
    return True


def wait_until_gone(server_pid: int, function: str, timeout_s: float = 10.0) -> bool:
    """Wait (bounded) until no environment of ``function`` is alive."""
    return wait_until(lambda: not environments(server_pid, function), timeout_s)


def mb(kb: float) -> float:
    """Kibibytes as mebibytes."""
    return kb / 1024


def memory(pid: int) -> Memory:
    """RSS, PSS and USS of ``pid`` from ``/proc/PID/smaps_rollup``."""
    values: dict[str, int] = {}
    with open(PROC / str(pid) / "smaps_rollup") as rollup:
        for line in rollup:
            name, _, rest = line.partition(":")
            parts = rest.split()
            if len(parts) == 2 and parts[1] == "kB":
                values[name] = int(parts[0])
    return Memory(
        pid=pid,
        rss_kb=values["Rss"],
        pss_kb=values["Pss"],
        uss_kb=values["Private_Clean"] + values["Private_Dirty"],
    )
