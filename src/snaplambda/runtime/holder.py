"""SnapStart inside the function's interpreter: hold an initialized runtime as a
snapshot and restore environments from it by forking.

A bootstrap started with ``_SNAPLAMBDA_SNAPSHOT`` loads the handler, runs the
``snapshot_restore_py`` before-snapshot hooks (last registered first), refuses to
become a snapshot while other threads exist (they would not survive a fork), answers
the ``init`` frame and then becomes the *holder*: it waits for ``restore`` frames.

Each ``restore`` frame carries, as ``SCM_RIGHTS``, the new environment's control
socket and its stdout and stderr pipes, and in its header the environment's own
variables.  The holder hands them to a *spare*, a copy it forked ahead of need
when it was last idle (or forks one now); it answers ``forked`` (the child's pid)
and later ``exit`` (pid, status) when it reaps the child.  The copy-on-write child is the
restored environment: it starts its own session, takes the new descriptors as
1, 2 and the control fd, updates ``os.environ``, reseeds ``random``, forgets
``tempfile``'s cached directory, runs the after-restore hooks (first registered
first) and answers ``restored`` before serving invokes as any environment.

Frames (see :mod:`frames` for the wire format):

Platform -> holder: ``restore``  header: env (dict); fds: control, stdout, stderr
                    ``preload``  header: modules (names, in import order)
                    ``pages``    body: address ranges, pairs of native u64
Holder -> platform: ``forked``   header: pid
                    ``exit``     header: pid, code (as ``waitstatus_to_exitcode``)
                    ``preloaded`` header: loaded, failed, threads (lists of str)
Child -> platform:  ``restored`` header as ``init``; body: error JSON when not ok

``preload`` (beyond Lambda) imports into the holder the modules that restored
environments imported only after the snapshot, typically on their first request
(AnyIO's asyncio backend under FastAPI, for one): every later restore has them
already.  The holder imports them once it has been idle for a moment, so a restore
asked for before then does not wait (one asked for during the import does).  A
holder that a preload left with other threads reports them and exits, since it
could no longer fork safely; the platform then builds a new snapshot.

``pages`` (beyond Lambda) are what one restored copy's first request wrote; each
spare copies them while it waits (see ``_prefault``).

With ``immortal`` (beyond Lambda, see :mod:`.immortal`) the holder makes the
snapshot's code, classes and constant values immortal each time it freezes, so
restored copies stop copying pages just to count references to them.
"""

from __future__ import annotations

import json
import os
import random  # here, not in reseed(): every restore would import it again
import select
import signal
import socket
import sys
import time

from . import applog, heap, memstat, prefault
from . import errortypes as types
from .errors import error_document
from .frames import PREFIX, ChannelClosed, _recv_exact, decode_prefix, encode
from .hooks import other_threads, run_after_restore, run_before_snapshot
from .preload import preload

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs every cold start
if TYPE_CHECKING:
    from typing import Any


def _recv_frame(sock: socket.socket) -> tuple[dict[str, Any], bytes, list[int]]:
    """One frame and the descriptors that came with its first bytes.  Only the
    prefix is read with them, so no byte of a following frame is taken along."""
    prefix, fds, _, _ = socket.recv_fds(sock, PREFIX.size, 8)
    if not prefix:
        raise ChannelClosed("control channel closed")
    if len(prefix) < PREFIX.size:
        prefix += _recv_exact(sock, PREFIX.size - len(prefix))
    head_len, body_len = decode_prefix(prefix)
    header = json.loads(_recv_exact(sock, head_len))
    body = _recv_exact(sock, body_len) if body_len else b""
    return header, body, list(fds)


_learn = False
"""Whether restored copies report their late imports and pages (preload is on)."""


def hold(
    sock: socket.socket,
    init_header: dict[str, Any],
    control_fd: int,
    *,
    immortal: bool = False,
    learn: bool = False,
) -> tuple[socket.socket, set[str] | None, bool]:
    """Become the snapshot holder of this initialized runtime.

    Returns only in a restored child: its control socket, the names of the modules
    the snapshot holds (None unless ``learn``: nobody would read what it imports
    late), and whether to report the pages its first request writes (never unless
    ``learn``).  The holder itself exits when the platform closes the channel.
    ``init_header`` is the ``init`` frame to send once the snapshot is ready.
    """
    try:
        run_before_snapshot()
    except Exception as exc:
        _fail_init(sock, init_header, error_document(exc, types.BEFORE_SNAPSHOT_ERROR))
    threads = other_threads()
    if threads:
        doc = {
            "errorType": types.SNAPSHOT_THREADS_ERROR,
            "errorMessage": "Cannot create a snapshot while other threads run (they do not "
            f"survive a restore): {', '.join(threads)}. Stop them in a before-snapshot hook.",
            "stackTrace": [],
        }
        _fail_init(sock, init_header, doc)
    sys.stdout.flush()
    sys.stderr.flush()
    init_header["t_done_ns"] = time.monotonic_ns()  # the function's init ends here
    global _learn
    heap.immortal, _learn = immortal, learn
    if not learn:
        prefault.skip()
    prefault.bind_madvise()
    heap.bind_malloc_trim()
    heap.freeze()
    init_header["maxrss_kb"] = memstat.peak_kb()
    sock.sendall(encode(init_header))
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    spare: _Spare | None = None
    to_import: list[str] = []  # asked by preload, imported once the holder is idle
    while True:
        timeout = None if spare is not None and not to_import else SPARE_DELAY_S
        ready, _, _ = select.select([sock.fileno(), wake_r], [], [], timeout)
        if not ready and to_import:  # idle: a restore asked for meanwhile did not wait
            if spare is not None:  # it lacks what is about to be imported
                spare.drop()
                spare = None
            _preload_frame(sock, to_import)
            to_import = []
            continue
        if not ready:  # idle: fork the next restore's copy now, ahead of need
            made = _fork_spare(wake_r, wake_w)
            if isinstance(made, _Spare):
                spare = made
                continue
            env, fds, t_given = made  # this process is that copy, now given its environment
            return _become_restored(sock, fds, env, control_fd, t_given)
        if wake_r in ready:
            _drain(wake_r)
            _reap(sock)
        if sock.fileno() not in ready:
            continue
        try:
            header, body, fds = _recv_frame(sock)
        except (ChannelClosed, ConnectionError):
            os._exit(0)
        if header.get("t") == "preload":
            for fd in fds:
                os.close(fd)
            to_import += [str(m) for m in header.get("modules") or ()]
            continue
        if header.get("t") == "pages":
            for fd in fds:
                os.close(fd)
            if spare is not None:  # it has not copied these pages
                spare.drop()
                spare = None
            prefault.take_pages(body)
            continue
        if header.get("t") != "restore" or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            continue
        env = header.get("env") or {}
        pid = spare.give(env, fds) if spare is not None else 0
        spare = None
        if not pid:
            sys.stdout.flush()
            sys.stderr.flush()
            t_fork = time.monotonic_ns()
            pid = os.fork()
            if pid == 0:
                _forget_holder(wake_r, wake_w)
                return _become_restored(sock, fds, env, control_fd, t_fork)
        for fd in fds:
            os.close(fd)
        sock.sendall(encode({"t": "forked", "pid": pid}))


#: How long the holder must be idle before it forks the next restore's copy.  The
#: copy is made ahead so that a restore does not wait for ``fork()`` (about 2 ms
#: for a FastAPI app here); waiting first keeps the fork from competing for the CPUs
#: with the environment just restored, which is still serving its first request.
SPARE_DELAY_S = 0.01


def _forget_holder(wake_r: int, wake_w: int) -> None:
    """In a forked copy: drop the holder's SIGCHLD handling."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.close(wake_r)
    os.close(wake_w)


class _Spare:
    """A copy of the holder forked ahead of need, waiting for an environment to
    become: a ``restore`` frame with its descriptors, on a socket of its own."""

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid = pid
        self.sock = sock

    def give(self, env: dict[str, str], fds: list[int]) -> int:
        """Hand it the environment; its pid, or 0 if it is gone (fork anew then)."""
        frame = encode({"t": "restore", "env": env})
        try:
            sent = socket.send_fds(self.sock, [frame], fds)
        except OSError:
            sent = 0
        self.sock.close()
        return self.pid if sent == len(frame) else 0

    def drop(self) -> None:
        """Let it exit (it sees its socket close); the holder reaps it."""
        self.sock.close()


def _fork_spare(wake_r: int, wake_w: int) -> _Spare | tuple[dict[str, str], list[int], int]:
    """Fork a spare copy.  In the holder: the :class:`_Spare`.  In the copy, once it
    is given an environment: (its variables, its descriptors, when)."""
    sys.stdout.flush()
    sys.stderr.flush()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid:
        theirs.close()
        return _Spare(pid, ours)
    _forget_holder(wake_r, wake_w)
    ours.close()
    prefault.prefault()
    try:
        header, _, fds = _recv_frame(theirs)
    except (ChannelClosed, ConnectionError):
        os._exit(0)  # dropped, or the holder is gone
    theirs.close()
    if len(fds) != 3:
        os._exit(0)
    return header.get("env") or {}, fds, time.monotonic_ns()


def _preload_frame(sock: socket.socket, names: list[str]) -> None:
    loaded, failed = preload(names)
    threads = other_threads()
    sys.stdout.flush()
    sys.stderr.flush()
    reply = {"t": "preloaded", "loaded": loaded, "failed": failed, "threads": threads}
    sock.sendall(encode(reply))
    if threads:
        os._exit(0)  # threads do not survive a fork: this holder can restore no more
    # What the imports made is shared with every later restore, as init's objects are.
    prefault.forget()
    heap.freeze()


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        sock.sendall(encode({"t": "exit", "pid": pid, "code": code}))


def _fail_init(sock: socket.socket, head: dict[str, Any], doc: dict[str, Any]) -> None:
    applog.log_error(doc)
    head = {**head, "ok": False, "t_done_ns": time.monotonic_ns()}
    sock.sendall(encode(head, json.dumps(doc).encode()))
    os._exit(1)


def _become_restored(
    holder: socket.socket, fds: list[int], env: dict[str, str], control_fd: int, t_fork: int
) -> tuple[socket.socket, set[str] | None, bool]:
    """In the forked child: take the new environment's descriptors and state."""
    os.setsid()
    control, out_w, err_w = fds
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    holder.detach()  # fd ``control_fd`` is replaced below, never closed twice
    os.dup2(control, control_fd)
    for fd in (control, out_w, err_w):
        if fd not in (1, 2, control_fd):
            os.close(fd)
    sock = socket.socket(fileno=control_fd)
    sock.setblocking(True)
    os.environ.update(env)
    reseed()
    t_hooks = time.monotonic_ns()
    head: dict[str, Any] = {"t": "restored", "t_start_ns": t_fork, "t_runtime_ns": t_hooks}
    try:
        run_after_restore()
    except Exception as exc:
        doc = error_document(exc, types.AFTER_RESTORE_ERROR)
        applog.log_error(doc)
        head.update(ok=False, t_done_ns=time.monotonic_ns())
        sock.sendall(encode(head, json.dumps(doc).encode()))
        os._exit(1)
    sys.stdout.flush()
    sys.stderr.flush()
    head.update(ok=True, t_done_ns=time.monotonic_ns())
    head["maxrss_kb"] = memstat.peak_kb()
    sock.sendall(encode(head))
    return sock, heap.snapshot_modules if _learn else None, prefault.learning_pages()


def reseed() -> None:
    """Make state that must differ between restored environments differ: the
    ``random`` module's generator, and ``tempfile``'s cached directory (``TMPDIR``
    is the environment's own)."""
    random.seed(os.urandom(32))
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile.tempdir = None  # type: ignore[attr-defined]
