"""SnapStart restore: environments forked from an initialized snapshot holder.

A :class:`SnapshotHolder` is a bootstrap that ran a function version's init and
before-snapshot hooks and now waits on its control channel (see
``runtime/holder.py``).  :class:`RestoreSpawner` is the :class:`~.spawn.Spawner`
that asks it for a new environment: it passes the environment's control socket and
output pipes over ``SCM_RIGHTS``; the holder forks and the copy-on-write child runs
the after-restore hooks and serves invokes like any other environment.

The restored process is the holder's child, not ours: :class:`RestoredProcess`
watches it through a pidfd and takes its exit status from the holder's ``exit``
frame, keeping the :class:`~.process.ChildProcess` interface so that
:class:`~.environment.Environment` treats both alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import mmap
import os
import signal
import socket
import time
from array import array
from collections import deque
from collections.abc import Callable
from typing import Any

from ..execution.environment import Environment
from ..execution.limits import LimitHandle, attach_soon
from ..execution.process import ChildProcess
from ..execution.spawn import Confinement, EnvironmentSpec, Spawned
from ..runtime.frames import encode
from ..runtime.prefault import MAX_PAGE_RANGES

#: Variables that differ between environments restored from one snapshot.
PER_ENVIRONMENT_VARS = ("AWS_LAMBDA_LOG_STREAM_NAME", "TMPDIR", "AWS_LAMBDA_INITIALIZATION_TYPE")

_STATUS_GRACE_S = 1.0
"""How long an exit seen on the pidfd waits for the holder's status before it is
taken as a kill (the holder itself may be gone)."""


class RestoredProcess(ChildProcess):
    """A restored environment's process, known by pid once the holder has forked."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: LimitHandle) -> None:
        # Not ChildProcess.__init__: the pid is not known yet and is not our child.
        self.pid = 0
        self._loop = loop
        self._limit = limit
        self.exited: asyncio.Future[int] = loop.create_future()
        self._pidfd = -1
        self._kill_requested = False

    def started(self, pid: int) -> None:
        """The holder forked ``pid``: watch it and put it under its limits."""
        self.pid = pid
        try:
            self._pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            # Already gone and reaped: the holder's exit frame follows.
            self._loop.call_later(_STATUS_GRACE_S, self.reported, -signal.SIGKILL)
            return
        self._loop.add_reader(self._pidfd, self._on_pidfd)
        attach_soon(self._limit, pid, self.kill, self._loop)
        if self._kill_requested:
            self.kill()

    def _on_pidfd(self) -> None:
        self._close_pidfd()
        self._loop.call_later(_STATUS_GRACE_S, self.reported, -signal.SIGKILL)

    def _close_pidfd(self) -> None:
        if self._pidfd >= 0:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1

    def reported(self, code: int) -> None:
        """The exit status (from the holder, or assumed)."""
        if not self.exited.done():
            self.exited.set_result(code)

    def kill(self) -> None:
        if self.pid == 0:
            self._kill_requested = True
            return
        if self._pidfd >= 0:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
        if not self.exited.done():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)


PreloadListener = Callable[[list[str], list[str]], None]
"""(modules loaded, threads left running) -> None, when a holder answers a preload."""

#: A preload frame stays well inside an idle socket's buffer (it is sent unawaited).
_PRELOAD_MAX_BYTES = 32 * 1024


class SnapshotHolder:
    """An initialized runtime that restores environments by forking."""

    def __init__(
        self,
        env: Environment,
        control: socket.socket,
        on_preloaded: PreloadListener | None = None,
        confinement: Confinement | None = None,
    ) -> None:
        self.env = env
        self._control = control
        self._on_preloaded = on_preloaded
        self._confinement = confinement
        """The sandbox the holder runs in: its copies' pids are the sandbox's own."""
        self._runtime_pid = 0
        self._forking: deque[RestoredProcess] = deque()
        self._children: dict[int, RestoredProcess] = {}
        self._asked: set[str] = set()
        self._reader = asyncio.ensure_future(self._read())

    @property
    def alive(self) -> bool:
        return self.env.alive and not self._reader.done()

    def restore(self, fds: list[int], env: dict[str, str], limit: LimitHandle) -> RestoredProcess:
        """Ask for one restored environment using ``fds`` (control socket, stdout
        and stderr write ends; the caller closes its copies)."""
        if not self.alive:
            raise OSError("the SnapStart snapshot holder is not running")
        process = RestoredProcess(asyncio.get_running_loop(), limit)
        frame = encode({"t": "restore", "env": env})
        # A few hundred bytes on an otherwise idle socket: sent whole or not at all.
        sent = socket.send_fds(self._control, [frame], fds)
        if sent != len(frame):
            raise OSError(f"restore request cut short ({sent} of {len(frame)} bytes)")
        self._forking.append(process)
        return process

    def environ(self, spec: EnvironmentSpec) -> dict[str, str]:
        """The variables of a restored environment of ``spec``, as the holder sees
        paths (inside its sandbox, if it has one)."""
        view = spec if self._confinement is None else self._confinement.view(spec)
        return view.environ()

    def _host_pid(self, pid: int) -> int:
        """The platform's pid of the holder's child ``pid`` (a pid of the holder's
        own PID namespace when it is sandboxed; 0 if it is gone already)."""
        if self._confinement is None:
            return pid
        if not self._runtime_pid:
            # bwrap, its reaper (pid 1 inside), then the runtime: the holder's process.
            self._runtime_pid = _descendant(self.env.process.pid, 2)
        for child in _children(self._runtime_pid):
            if _ns_pid(child) == pid:
                return child
        return 0

    def preload(self, modules: list[str]) -> None:
        """Ask the holder to import ``modules`` into the snapshot (beyond Lambda): they
        were imported by a restored environment after its restore, and each later
        restore would import them again.  Names asked for before are skipped; the
        holder imports them once it is idle, so no restore waits for them."""
        new = [m for m in dict.fromkeys(modules) if m not in self._asked]
        if not new or not self.alive:
            return
        frame = encode({"t": "preload", "modules": new})
        while len(frame) > _PRELOAD_MAX_BYTES and len(new) > 1:
            new = new[: len(new) // 2]  # the rest is reported again by later restores
            frame = encode({"t": "preload", "modules": new})
        if len(frame) > _PRELOAD_MAX_BYTES:
            return
        self._asked.update(new)
        self._send(frame)

    def prefault(self, ranges: list[list[int]]) -> None:
        """Tell the holder which pages a restored environment's first request wrote
        (beyond Lambda): each spare copy it forks ahead copies them while it waits."""
        if not self.alive:
            return
        try:
            flat = array("Q", (int(v) for r in ranges[:MAX_PAGE_RANGES] for v in r[:2]))
        except (TypeError, ValueError, OverflowError):
            return  # not two addresses per range: ignore what the function sent
        self._send(encode({"t": "pages"}, flat.tobytes()))
        pages = sum(flat[i + 1] - flat[i] for i in range(0, len(flat) - 1, 2)) // mmap.PAGESIZE
        self.env.log(
            f"[snaplambda] SnapStart prefault: {pages} page(s) in {len(flat) // 2} range(s) "
            "that a restored environment's first request wrote are copied ahead from now"
        )

    def _send(self, frame: bytes) -> None:
        """Send a frame no reply is awaited for (kept small enough for an idle socket's
        buffer, so it goes whole)."""
        with contextlib.suppress(OSError):  # a dead holder is noticed by _read
            if self._control.send(frame) != len(frame):
                self.env.kill()  # a cut frame would garble the channel: rebuild instead

    def _preloaded(self, header: dict[str, Any]) -> None:
        loaded = [str(m) for m in header.get("loaded") or ()]
        failed = [str(m) for m in header.get("failed") or ()]
        threads = [str(t) for t in header.get("threads") or ()]
        if threads:
            self.env.log(
                "[snaplambda] SnapStart preload refused: importing "
                f"{', '.join(loaded) or 'the modules'} left thread(s) running "
                f"({', '.join(threads)}); this snapshot is rebuilt without them"
            )
        elif loaded or failed:
            text = f"[snaplambda] SnapStart preload: {len(loaded)} module(s) that restored "
            text += "environments imported after the snapshot are now in it"
            text += f": {', '.join(loaded)}" if loaded else ""
            text += f"; not imported: {'; '.join(failed)}" if failed else ""
            self.env.log(text)
        if self._on_preloaded is not None:
            self._on_preloaded(loaded, threads)

    async def _read(self) -> None:
        try:
            while True:
                header, _ = await self.env.next_frame()
                if header.get("t") == "forked" and self._forking:
                    header["pid"] = self._host_pid(int(header["pid"]))
                    process = self._forking.popleft()
                    self._children[header["pid"]] = process
                    process.started(header["pid"])
                elif header.get("t") == "preloaded":
                    self._preloaded(header)
                elif header.get("t") == "exit":
                    child = self._children.pop(header["pid"], None)
                    if child is not None:
                        child.reported(int(header["code"]))
        except ConnectionError:
            pass
        finally:
            # Restored environments outlive their holder; those it never forked fail.
            while self._forking:
                process = self._forking.popleft()
                process.reported(-signal.SIGKILL)

    async def close(self) -> None:
        """Stop the holder; environments restored from it keep running."""
        self._reader.cancel()
        await self.env.shutdown()


class RestoreSpawner:
    """Spawner of environments restored from one snapshot holder."""

    name = "snapstart"

    def __init__(self, holder: SnapshotHolder, learn: bool = False) -> None:
        self.holder = holder
        self.learn = learn
        """SnapStart preload: restored environments tell the holder what they imported
        late and what their first request wrote."""

    def spawn(
        self, spec: EnvironmentSpec, limit: LimitHandle, loop: asyncio.AbstractEventLoop
    ) -> Spawned:
        t_begin = time.monotonic_ns()
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        environ = self.holder.environ(spec)
        per_env = {key: environ[key] for key in PER_ENVIRONMENT_VARS}
        try:
            process = self.holder.restore([child.fileno(), out_w, err_w], per_env, limit)
        except OSError:
            for fd in (out_r, err_r):
                os.close(fd)
            parent.close()
            raise
        finally:
            child.close()
            os.close(out_w)
            os.close(err_w)
        for fd in (out_r, err_r):
            os.set_blocking(fd, False)
        return Spawned(
            process,
            parent,
            out_r,
            err_r,
            t_begin,
            time.monotonic_ns(),
            self.holder.preload if self.learn else None,
            self.holder.prefault if self.learn else None,
        )


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _descendant(pid: int, depth: int) -> int:
    """The first child ``depth`` generations below ``pid`` (0 if there is none)."""
    for _ in range(depth):
        children = _children(pid)
        if not children:
            return 0
        pid = children[0]
    return pid


def _ns_pid(pid: int) -> int:
    """``pid``'s id in its innermost PID namespace (``NSpid``'s last field)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except OSError:
        pass
    return 0
