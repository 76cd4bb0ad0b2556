"""(d) Memory of idle warm environments: PSS, RSS and USS of every environment
process of a function, read from ``/proc/PID/smaps_rollup`` between invokes."""

from __future__ import annotations

from dataclasses import dataclass

from .. import procs


@dataclass(frozen=True)
class MemoryResult:
    function: str
    environments: int
    pss_mb: float
    """Mean over the function's environments."""
    rss_mb: float
    uss_mb: float
    pss_total_mb: float
    """All the function's environments together."""
    processes: list[procs.Memory]


def measure(server_pid: int, function: str) -> MemoryResult:
    pids = procs.environments(server_pid, function)
    if not pids:
        raise RuntimeError(f"no environment of {function} is running")
    samples = [procs.memory(pid) for pid in pids]
    count = len(samples)
    return MemoryResult(
        function=function,
        environments=count,
        pss_mb=procs.mb(sum(m.pss_kb for m in samples) / count),
        rss_mb=procs.mb(sum(m.rss_kb for m in samples) / count),
        uss_mb=procs.mb(sum(m.uss_kb for m in samples) / count),
        pss_total_mb=procs.mb(sum(m.pss_kb for m in samples)),
        processes=samples,
    )


def measure_process(pid: int, label: str) -> MemoryResult:
    """The same figures for one other process (the server itself)."""
    m = procs.memory(pid)
    return MemoryResult(
        label,
        1,
        procs.mb(m.pss_kb),
        procs.mb(m.rss_kb),
        procs.mb(m.uss_kb),
        procs.mb(m.pss_kb),
        [m],
    )
