"""Prefault (beyond Lambda): which pages a restored copy's first request writes,
read from ``/proc/self/pagemap``, and copying them ahead in each spare."""

from __future__ import annotations

import os
import resource

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs every cold start
if TYPE_CHECKING:
    from typing import Any

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


def bind_madvise() -> None:
    """Bind ``madvise`` before the snapshot is frozen:
    loading ``ctypes`` later would fill free slots of the holder's heap, and restored
    copies would then place their first request's objects on other pages than the
    copy that reported them."""
    global _madvise
    import mmap  # noqa: F401  # for written_ranges, loaded before the freeze likewise

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        _madvise = libc.madvise
    except (ImportError, OSError, AttributeError):
        _madvise = None


def take_pages(body: bytes) -> None:
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


def prefault() -> None:
    """In a spare, while it waits: copy the pages a restored copy's first request
    writes, so that request does not stop for each (about 6 µs a page here).  The
    contents stay as they are; the memory is what the environment would use anyway."""
    global _pages
    for lo, hi in _pages or ():
        if _madvise(lo, hi - lo, _MADV_POPULATE_WRITE) != 0:
            import ctypes  # loaded already, by bind_madvise

            if ctypes.get_errno() == 22:  # EINVAL: this kernel cannot; stop trying
                _pages = []
                return


def skip() -> None:
    """No page map will come (the holder does not learn): copies need not report one."""
    global _pages
    _pages = []


def forget() -> None:
    """A preload changed what a first request writes: learn the pages again."""
    global _pages
    _pages = None
