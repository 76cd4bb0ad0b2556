"""A child process watched through a pidfd, so its exit is an event on the loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

_SIGNAL_TEXT = {
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGTERM: "terminated",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGILL: "illegal instruction",
}


def describe_exit(code: int) -> str:
    """How Lambda words a runtime's exit: ``exit status 3`` or ``signal: killed``."""
    if code < 0:
        sig = -code
        try:
            text = _SIGNAL_TEXT.get(signal.Signals(sig), signal.Signals(sig).name)
        except ValueError:
            text = f"signal {sig}"
        return f"signal: {text}"
    return f"exit status {code}"


class ChildProcess:
    """A direct child (its own session and process group) and its exit future.

    ``wrapped``: the child is a wrapper (the sandbox's bubblewrap) that exits with
    128 + N when the process it runs dies of signal N, which is read back as that
    signal (so a wrapped process's own ``exit(137)`` reads as SIGKILL)."""

    def __init__(self, pid: int, loop: asyncio.AbstractEventLoop, wrapped: bool = False) -> None:
        self.pid = pid
        self._wrapped = wrapped
        self._loop = loop
        self.exited: asyncio.Future[int] = loop.create_future()
        self._pidfd = os.pidfd_open(pid)
        loop.add_reader(self._pidfd, self._on_exit)

    def _on_exit(self) -> None:
        self._loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        self._pidfd = -1
        try:
            _, status = os.waitpid(self.pid, 0)
            code = os.waitstatus_to_exitcode(status)
        except ChildProcessError:
            code = -signal.SIGKILL
        if self._wrapped and 128 < code < 128 + signal.NSIG:
            code = 128 - code
        if not self.exited.done():
            self.exited.set_result(code)

    @property
    def alive(self) -> bool:
        return not self.exited.done()

    def kill(self) -> None:
        """SIGKILL the process and its whole process group.

        The group outlives its leader when the leader's children do, so it is killed
        even after the process exited (its id stays reserved while the group exists).
        """
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if not self.exited.done():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    async def wait(self, timeout: float | None = None) -> int:
        return await asyncio.wait_for(asyncio.shield(self.exited), timeout)
