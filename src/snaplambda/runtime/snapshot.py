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

import contextlib
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
from .immortal import immortalize

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
    init_header["t_done_ns"] = time.monotonic_ns()  # the function's init ends here
    global _immortal, _learn, _pages
    _immortal, _learn = immortal, learn
    if not learn:
        _pages = []  # no page map will come: restored copies need not report one
    _load_madvise()
    _freeze()
    init_header["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
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
            _take_pages(body)
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
    _prefault()
    try:
        header, _, fds = _recv_frame(theirs)
    except (ChannelClosed, ConnectionError):
        os._exit(0)  # dropped, or the holder is gone
    theirs.close()
    if len(fds) != 3:
        os._exit(0)
    return header.get("env") or {}, fds, time.monotonic_ns()


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
    global _pages
    _pages = None  # a restore's first request now writes other pages: learn them again
    _freeze()


_immortal = False
_learn = False


def _freeze() -> None:
    """Make everything alive now the snapshot that restored copies share.  Freezing
    keeps the cyclic collector from walking those objects in the copies: each visit
    writes their headers and so copies the page, which would make a restore's memory
    grow towards a fresh environment's.  Immortal counts do the same for references
    (see :mod:`.immortal`)."""
    _note_modules()
    gc.collect()
    if _immortal:
        # Each count written is sound on its own: whatever stops the walk leaves the
        # rest counting as usual, and the snapshot as good as without it.
        with contextlib.suppress(Exception):
            immortalize()
    if _malloc_trim is not None:
        # Hand back the free pages inside the heap: init's temporary buffers leave 1-3
        # MB there, more or less from one run to the next, that every restored copy
        # would otherwise share and count.
        _malloc_trim(0)
    gc.freeze()


_PAGE = resource.getpagesize()
_MADV_POPULATE_WRITE = 23  # Linux 5.14+: fault pages in writable, as writing them would
#: At most this many address ranges are learned (16 KiB as a frame).
MAX_PAGE_RANGES = 1024
#: At most this much address space is looked at (8 MiB of ``pagemap``).
_MAX_PAGES_READ = 1 << 20
#: ``pagemap`` bits of a page that is present (63) and mapped only here (56).
_MINE = 1 << 63 | 1 << 56

_pages: list[tuple[int, int]] | None = None
"""Address ranges that restored copies write early (learned from one's first request),
prefaulted by each spare while it waits; None until learned, [] if not possible."""
_madvise: Any = None
_malloc_trim: Any = None


def learning_pages() -> bool:
    """Whether a copy restored now should report the pages it writes."""
    return _pages is None


def written_ranges() -> list[list[int]]:
    """Address ranges of this copy's own pages in its writable private mappings: in a
    restored copy, what it has written since the fork (each such write copied a page
    shared with the holder).  Read from ``/proc/self/pagemap`` (present and
    exclusively mapped); [] where that is not readable.

    Every buffer is a fresh anonymous mapping, which no spare has: reading into
    Python objects would write to heap pages the environment itself never needed,
    and every later spare would copy those pages too."""
    import mmap

    found = mmap.mmap(-1, MAX_PAGE_RANGES * 2 * 8 + _PAGE)  # (start, end) pairs, u64
    pairs = memoryview(found).cast("Q")
    count = 0
    try:
        chunk = mmap.mmap(-1, 1 << 20)  # pagemap entries of up to 128 Ki pages at a time
        budget = _MAX_PAGES_READ
        fd = os.open("/proc/self/pagemap", os.O_RDONLY)
        try:
            for lo, pages in _writable_private_mappings():
                if count >= MAX_PAGE_RANGES:
                    break
                if pages <= budget:  # a larger one is a reservation, not the heap
                    budget -= pages
                    count = _scan_mapping(fd, chunk, lo, pages, pairs, count)
        finally:
            os.close(fd)
    except (OSError, ValueError):
        return []
    return [[pairs[2 * i], pairs[2 * i + 1]] for i in range(count)]


def _writable_private_mappings() -> Any:
    """(start address, pages) of each ``rw-p`` mapping in ``/proc/self/maps``."""
    maps, size = _read_proc("/proc/self/maps")
    pos = 0
    while pos < size:
        eol = maps.find(b"\n", pos, size)
        eol = size if eol < 0 else eol
        dash, space = maps.find(b"-", pos, eol), maps.find(b" ", pos, eol)
        perms = maps[space + 1 : space + 5] if 0 <= dash < space else b""
        if perms[:2] == b"rw" and perms[3:4] == b"p":
            lo, hi = int(maps[pos:dash], 16), int(maps[dash + 1 : space], 16)
            yield lo, (hi - lo) // _PAGE
        pos = eol + 1


def _scan_mapping(fd: int, chunk: Any, lo: int, pages: int, pairs: Any, count: int) -> int:
    """Add the pages of one mapping that are this copy's own to ``pairs`` (merging
    neighbours, at most :data:`MAX_PAGE_RANGES` ranges); the new count of ranges."""
    entries_all = memoryview(chunk).cast("Q")
    done = 0
    while done < pages and count < MAX_PAGE_RANGES:
        n = min(pages - done, len(entries_all))
        window = memoryview(chunk)[: n * 8]  # read no more of pagemap than asked for
        got = os.preadv(fd, [window], (lo // _PAGE + done) * 8) // 8
        entries = entries_all[: min(n, got)]
        for i in [i for i, e in enumerate(entries) if e & _MINE == _MINE]:
            start = lo + (done + i) * _PAGE
            if count and pairs[2 * count - 1] == start:
                pairs[2 * count - 1] = start + _PAGE
            elif count < MAX_PAGE_RANGES:
                pairs[2 * count] = start
                pairs[2 * count + 1] = start + _PAGE
                count += 1
        if got < n:
            break
        done += n
    return count


def _read_proc(path: str) -> tuple[Any, int]:
    """A ``/proc`` file read whole into a fresh anonymous mapping: (buffer, size)."""
    import mmap

    fd = os.open(path, os.O_RDONLY)
    try:
        buffer = mmap.mmap(-1, 1 << 20)
        size = 0
        while size < len(buffer):
            got = os.readv(fd, [memoryview(buffer)[size:]])
            if not got:
                break
            size += got
        return buffer, size
    finally:
        os.close(fd)


def _load_madvise() -> None:
    """Bind ``madvise`` (and glibc's ``malloc_trim``) before the snapshot is frozen:
    loading ``ctypes`` later would fill free slots of the holder's heap, and restored
    copies would then place their first request's objects on other pages than the
    copy that reported them."""
    global _madvise, _malloc_trim
    import mmap  # noqa: F401  # for written_ranges, loaded before the freeze likewise

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        _madvise = libc.madvise
    except (ImportError, OSError, AttributeError):
        _madvise = None
        return
    try:
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        _malloc_trim = libc.malloc_trim
    except AttributeError:  # not glibc
        _malloc_trim = None


def _take_pages(body: bytes) -> None:
    """The holder learns which pages restored copies write early: ``body`` is pairs
    of native unsigned 64-bit integers (start, end)."""
    global _pages
    if _madvise is None:
        _pages = []
        return
    try:
        flat = memoryview(body).cast("Q")
        _pages = [(flat[i], flat[i + 1]) for i in range(0, len(flat) - 1, 2)]
    except (TypeError, ValueError):
        _pages = []


def _prefault() -> None:
    """In a spare, while it waits: copy the pages a restored copy's first request
    writes, so that request does not stop for each (about 6 µs a page here).  The
    contents stay as they are; the memory is what the environment would use anyway."""
    global _pages
    for lo, hi in _pages or ():
        if _madvise(lo, hi - lo, _MADV_POPULATE_WRITE) != 0:
            import ctypes  # loaded already, by _load_madvise

            if ctypes.get_errno() == 22:  # EINVAL: this kernel cannot; stop trying
                _pages = []
                return


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
    return sock, _snapshot_modules if _learn else None, learning_pages()


def reseed() -> None:
    """Make state that must differ between restored environments differ: the
    ``random`` module's generator, and ``tempfile``'s cached directory (``TMPDIR``
    is the environment's own)."""
    random.seed(os.urandom(32))
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile.tempdir = None  # type: ignore[attr-defined]
