"""What an environment used of its memory, for the REPORT's ``Max Memory Used``, and
whether the kernel (or the platform) stopped it for using more than its MemorySize.

Two sources, never mixed: the limit mechanism's measure of the whole environment
(the cgroup's peak) where there is one, else the runtime's own figure (its peak
resident memory plus its live children's, reported at the end of init and of each
invoke).  Either is the peak since the environment started, as Lambda's is.
"""

from __future__ import annotations

import signal

from .cgroupfs import MIB
from .limits import LimitHandle


class MemoryMeter:
    """One environment's memory figure and its out-of-memory bookkeeping."""

    def __init__(self, limit: LimitHandle, memory_size_mb: int) -> None:
        self._limit = limit
        self.memory_size_mb = memory_size_mb
        self._group_peak: int | None = None
        self._runtime_peak = 0
        self._oom_baseline = 0
        self.stopped = False
        """Stopped by the platform for memory (a runtime's ``MemoryError`` under
        rlimits, or a peak past MemorySize no mechanism had stopped)."""

    def runtime_reported(self, kb: int) -> None:
        """The runtime's own figure, in kB (``maxrss_kb`` of its init or result)."""
        self._runtime_peak = max(self._runtime_peak, kb * 1024)

    def sample(self) -> None:
        """Read the mechanism's peak now (before the environment's group goes)."""
        peak = self._limit.peak_bytes()
        if peak is not None:
            self._group_peak = max(self._group_peak or 0, peak)

    @property
    def peak_bytes(self) -> int:
        return self._group_peak if self._group_peak is not None else self._runtime_peak

    def used_mb(self, killed_for_memory: bool = False) -> int:
        """``Max Memory Used`` in MB, rounded up; an environment killed for memory
        used all it had."""
        if killed_for_memory:
            return self.memory_size_mb
        return max(1, -(-self.peak_bytes // MIB))

    def over_limit(self) -> bool:
        """The peak is past MemorySize: the environment must be stopped.  Under
        cgroups the kernel keeps the peak within it, so this holds only where the
        rlimit left memory unbounded (shared mappings, children).  Never with no
        limit at all (``off``)."""
        self.sample()
        return self._limit.bounded and self.peak_bytes > self.memory_size_mb * MIB

    def invocation_started(self) -> None:
        """Kills for memory counted from here on belong to this invocation."""
        self._oom_baseline = self._limit.oom_kills()

    def killed_for_memory(self, exit_code: int) -> bool:
        """Whether a runtime that exited with ``exit_code`` was stopped for memory:
        by the platform, or by the kernel's OOM killer during this invocation (a
        child killed earlier for memory does not make a later crash an OOM)."""
        if self.stopped:
            return True
        return exit_code == -signal.SIGKILL and self._limit.oom_kills() > self._oom_baseline
