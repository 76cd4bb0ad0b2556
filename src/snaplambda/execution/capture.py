"""An environment's log stream: the function's stdout and stderr read off their pipes
into lines, sent to the log sink and kept per phase (init, each invocation), with a
byte budget per phase past which output is counted and dropped unparsed."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

LogSink = Callable[[str, str, int, str], None]
"""(log group, log stream, timestamp ms, message) -> None; must not block."""

_MAX_LINE = 256 * 1024


class OutputCapture:
    """The output of one environment's process, and the lines of its current phase."""

    def __init__(
        self,
        fds: tuple[int, int],
        sink: LogSink,
        log_group: str,
        log_stream: str,
        loop: asyncio.AbstractEventLoop,
        budget: int,
    ) -> None:
        self._sink = sink
        self._group = log_group
        self._stream = log_stream
        self._loop = loop
        self._budget_per_phase = budget
        self._partial: dict[int, bytearray] = {fd: bytearray() for fd in fds}
        self.budget = budget
        self.dropped = 0
        self.lines: list[str] = []
        for fd in fds:
            loop.add_reader(fd, self.read, fd)

    def log(self, message: str) -> None:
        """A platform line: always kept, never counted against the budget."""
        self._sink(self._group, self._stream, int(time.time() * 1000), message)
        self.lines.append(message)

    def _emit(self, text: str) -> None:
        size = len(text) + 1
        if size > self.budget:
            self.dropped += size
            self.budget = 0
            return
        self.budget -= size
        self.lines.append(text)
        self._sink(self._group, self._stream, int(time.time() * 1000), text)

    def read(self, fd: int) -> None:
        """Read what ``fd`` has now (the loop calls this when it is readable)."""
        partial = self._partial.get(fd)
        if partial is None:
            return
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._close(fd)
                return
            if self.budget <= 0:
                # Flooding past the budget: count and discard without parsing lines.
                self.dropped += len(chunk)
                continue
            partial += chunk
            *complete, rest = partial.split(b"\n")
            for raw in complete:
                self._emit(raw[:_MAX_LINE].decode("utf-8", "replace"))
            if len(rest) > _MAX_LINE:
                self._emit(bytes(rest[:_MAX_LINE]).decode("utf-8", "replace"))
                rest = bytearray()
            partial[:] = rest

    def drain(self) -> None:
        """Take everything written so far, including a last line without newline."""
        for fd in list(self._partial):
            self.read(fd)
        for partial in self._partial.values():
            if partial:
                self._emit(bytes(partial).decode("utf-8", "replace"))
                partial.clear()

    def report_dropped(self) -> None:
        """Say in the current phase how much of its output was dropped, if any."""
        if self.dropped:
            dropped, self.dropped = self.dropped, 0
            self.log(
                f"[snaplambda] {dropped} bytes of output dropped: over the "
                f"{self._budget_per_phase}-byte limit per invocation"
            )

    def next_phase(self) -> list[str]:
        """End the current phase: its lines; the next one starts with a full budget."""
        self.report_dropped()
        done, self.lines = self.lines, []
        self.budget = self._budget_per_phase
        return done

    def close(self) -> None:
        """Drain and close both pipes."""
        self.drain()
        for fd in list(self._partial):
            self._close(fd)

    def _close(self, fd: int) -> None:
        if self._partial.pop(fd, None) is not None:
            self._loop.remove_reader(fd)
            os.close(fd)
