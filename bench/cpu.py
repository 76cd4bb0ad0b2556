"""Where the CPU time went: server, environments, the measuring client, and the rest.

The machine may be shared (other builds, other tests), and on two cores the server,
its environments and the client compete with each other too.  Two snapshots of
``/proc`` give each party's CPU time in between; what the machine spent beyond the
suite's own processes is "other" work that skews the figures.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from . import procs

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class CpuSnapshot:
    """Cumulative CPU seconds at monotonic time ``at``."""

    at: float
    machine_busy_s: float
    machine_total_s: float
    server_s: float
    """The server process's own threads."""
    environments_s: float
    """Live environments, plus ended ones the server has reaped."""
    client_s: float
    """The process taking the snapshot and its reaped children."""


@dataclass(frozen=True, slots=True)
class CpuSplit:
    """CPU used between two snapshots, in cores (CPU seconds per second)."""

    server: float
    environments: float
    client: float
    other: float
    """Everything else the machine ran: other processes and unattributed kernel work."""


def _machine() -> tuple[float, float]:
    """(busy, total) CPU seconds of all CPUs since boot."""
    with open("/proc/stat") as stat:
        # user nice system idle iowait irq softirq steal (guest time is inside user).
        values = [int(v) for v in stat.readline().split()[1:9]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / _TICKS, sum(values) / _TICKS


def _process(pid: int) -> tuple[float, float]:
    """(own, reaped children's) CPU seconds of ``pid``; zeros if it is gone."""
    fields = procs.stat_fields(pid)
    if fields is None:
        return 0.0, 0.0
    # utime, stime, cutime, cstime are fields 14-17 of stat; the list starts at field 3.
    own = int(fields[11]) + int(fields[12])
    children = int(fields[13]) + int(fields[14])
    return own / _TICKS, children / _TICKS


def snapshot(server_pid: int) -> CpuSnapshot:
    server_own, reaped = _process(server_pid)
    live = sum(_process(pid)[0] for pid in procs.children(server_pid))
    mine = os.times()
    busy, total = _machine()
    return CpuSnapshot(
        at=time.monotonic(),
        machine_busy_s=busy,
        machine_total_s=total,
        server_s=server_own,
        environments_s=reaped + live,
        client_s=mine.user + mine.system + mine.children_user + mine.children_system,
    )


def split(before: CpuSnapshot, after: CpuSnapshot) -> CpuSplit:
    wall = max(1e-9, after.at - before.at)
    server = after.server_s - before.server_s
    envs = after.environments_s - before.environments_s
    client = after.client_s - before.client_s
    busy = after.machine_busy_s - before.machine_busy_s
    return CpuSplit(
        server=server / wall,
        environments=envs / wall,
        client=client / wall,
        other=max(0.0, busy - server - envs - client) / wall,
    )


def foreign_percent(before: CpuSnapshot, after: CpuSnapshot) -> float:
    """Share of all CPUs' time the rest of the machine took between the snapshots.

    Only meaningful when the snapshotting process is the only client of the server.
    """
    total = after.machine_total_s - before.machine_total_s
    other = split(before, after).other * (after.at - before.at)
    return 100 * other / total if total > 0 else 0.0


def busy_percent(interval_s: float = 1.0) -> float:
    """How busy the whole machine is over ``interval_s``."""
    busy0, total0 = _machine()
    time.sleep(interval_s)
    busy1, total1 = _machine()
    return 100 * (busy1 - busy0) / max(1e-9, total1 - total0)


def wait_until_quiet(limit_percent: float, timeout_s: float) -> float:
    """Wait (bounded) for a second in which the machine is at most ``limit_percent``
    busy; return the last reading."""
    deadline = time.monotonic() + timeout_s
    reading = busy_percent()
    while reading > limit_percent and time.monotonic() < deadline:
        reading = busy_percent()
    return reading
