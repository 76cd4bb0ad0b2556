"""SnapStart inside the function's interpreter: hold an initialized runtime as a
snapshot and restore environments from it by forking.

A bootstrap started with ``_SNAPLAMBDA_SNAPSHOT`` loads the handler, runs the
``snapshot_restore_py`` before-snapshot hooks (last registered first), refuses to
become a snapshot while other threads exist (they would not survive a fork), answers
the ``init`` frame and then becomes the *holder*: it waits for ``restore`` frames.

Each ``restore`` frame carries, as ``SCM_RIGHTS``, the new environment's control
socket and its stdout and stderr pipes, and in its header the environment's own
variables.  The holder forks; it answers ``forked`` (the child's pid) and later
``exit`` (pid, status) when it reaps the child.  The copy-on-write child is the
restored environment: it starts its own session, takes the new descriptors as
1, 2 and the control fd, updates ``os.environ``, reseeds ``random``, forgets
``tempfile``'s cached directory, runs the after-restore hooks (first registered
first) and answers ``restored`` before serving invokes as any environment.

Frames (see :mod:`frames` for the wire format):

Platform -> holder: ``restore``  header: env (dict); fds: control, stdout, stderr
                    ``preload``  header: modules (names, in import order)
Holder -> platform: ``forked``   header: pid
                    ``exit``     header: pid, code (as ``waitstatus_to_exitcode``)
                    ``preloaded`` header: loaded, failed, threads (lists of str)
Child -> platform:  ``restored`` header as ``init``; body: error JSON when not ok

``preload`` (beyond Lambda) imports into the holder the modules that restored
environments imported only after the snapshot, typically on their first request
(AnyIO's asyncio backend under FastAPI, for one): every later restore has them
already.  A holder that a preload left with other threads reports them and exits,
since it could no longer fork safely; the platform then builds a new snapshot.
"""

from __future__ import annotations

import gc
import json
import os
import random  # here, not in reseed(): every restore would import it again
import resource
import select
import signal
import socket
import sys
import time

from .frames import PREFIX, ChannelClosed, _recv_exact, decode_prefix, encode

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs every cold start
if TYPE_CHECKING:
    from typing import Any

HOOKS_MODULE = "snapshot_restore_py"


def _hook_doc(exc: BaseException, error_type: str) -> dict[str, Any]:
    from .bootstrap import error_document

    return error_document(exc, error_type)


def _registry(name: str) -> list[Any]:
    """A hook registry of ``snapshot_restore_py`` if the function imported it."""
    module = sys.modules.get(HOOKS_MODULE)
    getter = getattr(module, name, None) if module is not None else None
    return list(getter()) if getter is not None else []


def run_before_snapshot() -> None:
    """Run the before-snapshot hooks, last registered first, as Lambda does."""
    module = sys.modules.get(HOOKS_MODULE)
    if module is None:
        return
    registry = module.get_before_snapshot()
    while registry:
        func, args, kwargs = registry.pop()
        func(*args, **kwargs)


def run_after_restore() -> None:
    """Run the after-restore hooks, first registered first."""
    for func, args, kwargs in _registry("get_after_restore"):
        func(*args, **kwargs)


def other_threads() -> list[str]:
    """Names of the threads besides this one: Python's, and a count of native ones
    seen in ``/proc`` (a fork keeps only the calling thread)."""
    names: list[str] = []
    threading = sys.modules.get("threading")
    if threading is not None:
        main = threading.current_thread()
        names = [repr(t.name) for t in threading.enumerate() if t is not main]
    try:
        native = len(os.listdir("/proc/self/task")) - 1 - len(names)
    except OSError:
        native = 0
    if native > 0:
        names.append(f"{native} native thread(s) started by extension code")
    return names


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


def hold(
    sock: socket.socket, init_header: dict[str, Any], control_fd: int
) -> tuple[socket.socket, set[str]]:
    """Become the snapshot holder of this initialized runtime.

    Returns only in a restored child: its control socket and the names of the
    modules the snapshot holds.  The holder itself exits when the platform closes the
    channel.  ``init_header`` is the ``init`` frame to send once the snapshot is ready.
    """
    try:
        run_before_snapshot()
    except Exception as exc:
        _fail_init(sock, init_header, _hook_doc(exc, "Runtime.BeforeSnapshotError"))
    threads = other_threads()
    if threads:
        doc = {
            "errorType": "Runtime.SnapshotThreadsError",
            "errorMessage": "Cannot create a snapshot while other threads run (they do not "
            f"survive a restore): {', '.join(threads)}. Stop them in a before-snapshot hook.",
            "stackTrace": [],
        }
        _fail_init(sock, init_header, doc)
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything alive now is shared with every restored copy.  Freezing it keeps the
    # cyclic collector from walking those objects in the copies: each visit writes
    # their headers and so copies the page, which would make a restore's memory grow
    # towards a fresh environment's.
    _note_modules()
    gc.collect()
    gc.freeze()
    init_header["t_done_ns"] = time.monotonic_ns()
    init_header["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sock.sendall(encode(init_header))
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    while True:
        ready, _, _ = select.select([sock.fileno(), wake_r], [], [])
        if wake_r in ready:
            _drain(wake_r)
            _reap(sock)
        if sock.fileno() not in ready:
            continue
        try:
            header, _, fds = _recv_frame(sock)
        except (ChannelClosed, ConnectionError):
            os._exit(0)
        if header.get("t") == "preload":
            for fd in fds:
                os.close(fd)
            _preload_frame(sock, [str(m) for m in header.get("modules") or ()])
            continue
        if header.get("t") != "restore" or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        t_fork = time.monotonic_ns()
        pid = os.fork()
        if pid == 0:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.close(wake_r)
            os.close(wake_w)
            return _become_restored(sock, fds, header.get("env") or {}, control_fd, t_fork)
        for fd in fds:
            os.close(fd)
        sock.sendall(encode({"t": "forked", "pid": pid}))


#: The longest a preload may take; past it the module being imported fails.
PRELOAD_LIMIT_S = 10.0


class _PreloadTimeout(Exception):
    pass


def _on_alarm(*_: object) -> None:
    raise _PreloadTimeout(f"preload took over {PRELOAD_LIMIT_S:.0f} s")


def preload(names: list[str]) -> tuple[list[str], list[str]]:
    """Import ``names`` that are not imported yet: (loaded, failed with the reason).
    A timer bounds the whole, so a stuck import cannot hold up every restore."""
    import importlib

    loaded: list[str] = []
    failed: list[str] = []
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, PRELOAD_LIMIT_S)
    try:
        for name in names:
            if name in sys.modules:
                continue
            try:
                importlib.import_module(name)
            except _PreloadTimeout as exc:
                failed.append(f"{name}: {exc}")
                break
            except BaseException as exc:  # SystemExit too: the holder must carry on
                failed.append(f"{name}: {type(exc).__name__}: {exc}")
            else:
                loaded.append(name)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return loaded, failed


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
    _note_modules()
    gc.collect()
    gc.freeze()


_snapshot_modules: set[str] = set()


def _note_modules() -> None:
    """Remember the snapshot's modules here, once: a restored copy inherits the set,
    whereas building it in each copy would write to (and so copy) the page of every
    module name it counts, about 0.7 ms per restore."""
    global _snapshot_modules
    _snapshot_modules = set(sys.modules)


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
    from .bootstrap import _log_error

    _log_error(doc)
    head = {**head, "ok": False, "t_done_ns": time.monotonic_ns()}
    sock.sendall(encode(head, json.dumps(doc).encode()))
    os._exit(1)


def _become_restored(
    holder: socket.socket, fds: list[int], env: dict[str, str], control_fd: int, t_fork: int
) -> tuple[socket.socket, set[str]]:
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
        from .bootstrap import _log_error

        doc = _hook_doc(exc, "Runtime.AfterRestoreError")
        _log_error(doc)
        head.update(ok=False, t_done_ns=time.monotonic_ns())
        sock.sendall(encode(head, json.dumps(doc).encode()))
        os._exit(1)
    sys.stdout.flush()
    sys.stderr.flush()
    head.update(ok=True, t_done_ns=time.monotonic_ns())
    head["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sock.sendall(encode(head))
    return sock, _snapshot_modules


def reseed() -> None:
    """Make state that must differ between restored environments differ: the
    ``random`` module's generator, and ``tempfile``'s cached directory (``TMPDIR``
    is the environment's own)."""
    random.seed(os.urandom(32))
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile.tempdir = None  # type: ignore[attr-defined]
