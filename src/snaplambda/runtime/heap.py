"""The snapshot's heap in the holder: frozen (and optionally made immortal) each time
the holder is about to be copied, so restored copies share its pages."""

from __future__ import annotations

import contextlib
import gc
import sys

from .immortal import immortalize

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs every cold start
if TYPE_CHECKING:
    from typing import Any

immortal = False
"""Whether each freeze makes the snapshot's code, classes and constants immortal."""

_malloc_trim: Any = None


def bind_malloc_trim() -> None:
    """Bind glibc's ``malloc_trim`` before the first freeze (see :mod:`.prefault`'s
    ``bind_madvise`` for why ``ctypes`` must be loaded that early)."""
    global _malloc_trim
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        _malloc_trim = libc.malloc_trim
    except (ImportError, OSError, AttributeError):  # not glibc
        _malloc_trim = None


def freeze() -> None:
    """Make everything alive now the snapshot that restored copies share.  Freezing
    keeps the cyclic collector from walking those objects in the copies: each visit
    writes their headers and so copies the page, which would make a restore's memory
    grow towards a fresh environment's.  Immortal counts do the same for references
    (see :mod:`.immortal`)."""
    _note_modules()
    gc.collect()
    if immortal:
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


snapshot_modules: set[str] = set()


def _note_modules() -> None:
    """Remember the snapshot's modules here, once: a restored copy inherits the set,
    whereas building it in each copy would write to (and so copy) the page of every
    module name it counts, about 0.7 ms per restore."""
    global snapshot_modules
    snapshot_modules = set(sys.modules)
