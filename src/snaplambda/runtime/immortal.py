"""Immortal snapshot objects: restored copies stop copying pages to count references.

CPython keeps each object's reference count in the object's header, so merely using
an object the snapshot holds (calling one of its functions, which counts a reference
to the function and its code; loading a constant; reading a class attribute; making
an instance, which counts a reference to the class) writes to the page it lies on,
and the kernel copies that page into the restored environment.  A FastAPI app's first
request copies about 500 pages that way, most of them for one count each.

Since CPython 3.12 (PEP 683) an object whose count holds the immortal value is never
counted or freed.  Before the snapshot is frozen, the holder gives that value to the
objects that live as long as the program does anyway, or that cannot change:

* code objects, functions, classes and their namespaces, modules and their
  namespaces, built-in functions, method, slot and attribute descriptors,
  ``classmethod``, ``staticmethod`` and ``property`` objects, closure cells, plain
  weak references, and enum members;
* values of exactly ``str``, ``bytes``, ``int``, ``float``, ``tuple`` and
  ``frozenset`` (not of their subclasses, such as named tuples): the tracked ones,
  the constants of every function's code, and those that tuples and dicts hold
  (the collector does not track a tuple or dict of such values alone, so they are
  found through the containers that hold them).

What is not touched: instances of other classes, lists, sets, other dicts, files,
sockets, anything with a finalizer of its own.  Objects made after the snapshot
(in a restored environment, all of them) behave as usual.

What changes for the objects above, in a restored environment only: they are never
freed (dropping the last reference to one, e.g. by redefining a function, leaves it
in place, and whatever it references stays referenced), finalizers and weak
reference callbacks on them never run, and ``sys.getrefcount()`` reports 4294967295
for them.  The memory stays shared with the holder, which keeps every object of the
snapshot alive anyway, so nothing is lost by not freeing it there.

Only the default (GIL, release) builds of CPython 3.12 and 3.13 on 64-bit platforms
are handled, where the header and the immortal value are known; elsewhere nothing is
done.
"""

from __future__ import annotations

import gc
import sys
import types
import weakref

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the runtime does not import typing
if TYPE_CHECKING:
    import ctypes
    from collections.abc import Callable

#: PEP 683's immortal count on 64-bit CPython 3.12 and 3.13 (the low 32 bits set;
#: ``Py_INCREF`` stops there and ``Py_DECREF`` skips any count whose bit 31 is set).
IMMORTAL = 0xFFFFFFFF

#: Exactly these types (not subclasses) hold values that never change.
_VALUES = frozenset({str, bytes, int, float, tuple, frozenset})

#: Objects of these types (and subclasses) live, as a rule, as long as the program.
_KINDS: tuple[type, ...] = (
    types.FunctionType,
    types.CodeType,
    type,
    types.ModuleType,
    types.BuiltinFunctionType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.GetSetDescriptorType,
    types.MemberDescriptorType,
    types.ClassMethodDescriptorType,
    classmethod,
    staticmethod,
    property,
    types.CellType,
)


def supported() -> bool:
    """Whether this interpreter's object header is the one written here."""
    return (
        sys.implementation.name == "cpython"
        and sys.version_info[:2] in ((3, 12), (3, 13))
        and "t" not in sys.abiflags  # free-threaded builds count references otherwise
        and "d" not in sys.abiflags  # debug builds keep a total of counts besides
        and not hasattr(sys, "getobjects")  # Py_TRACE_REFS puts links before the count
        and sys.maxsize > 2**32
    )


def immortalize() -> bool:
    """Give the immortal count to the permanent objects described above among those
    the collector tracks outside its frozen generation (what was frozen is done
    already).  False where :func:`supported` is false or the interpreter does not
    behave as expected: then nothing was changed."""
    if not supported():
        return False
    try:
        import ctypes  # loaded before any snapshot is frozen (see prefault.bind_madvise)
    except ImportError:
        return False
    count_of = ctypes.c_ssize_t.from_address
    if not _probe(count_of):
        return False
    kinds = _KINDS
    enum = sys.modules.get("enum")
    if enum is not None:
        kinds += (enum.Enum,)

    def make(obj: object) -> None:
        count_of(id(obj)).value = IMMORTAL

    # Values inside containers are reached with a stack: nesting may be deep.  What
    # is immortal already was followed already (or was born so, e.g. the empty
    # tuple), which keeps a tuple held by many from being walked many times; a set
    # of the ids seen would cost an int per object, and those freed ints would leave
    # megabytes of holes in the heap every restored copy shares.
    pending: list[object] = []
    count = sys.getrefcount

    def follow(container: object) -> None:
        """Make immortal the values ``container`` holds, those they hold, and so on;
        for a code object, its constants."""
        pending.append(container)
        while pending:
            container = pending.pop()
            if type(container) is types.CodeType:
                container = container.co_consts  # its names are interned: immortal
            for part in gc.get_referents(container):
                kind = type(part)
                if kind in _VALUES or kind is types.CodeType:
                    if count(part) != IMMORTAL:
                        make(part)
                        if kind is tuple or kind is frozenset or kind is types.CodeType:
                            pending.append(part)  # iterating a tuple counts its items
                elif kind is dict and not gc.is_tracked(part):
                    pending.append(part)  # the collector skips a dict of such values

    for obj in gc.get_objects():
        # Only the real type is looked at: ``isinstance`` would ask a proxy for its
        # ``__class__``, i.e. run the program's code.
        kind = type(obj)
        if kind is types.FunctionType:
            follow((obj.__code__,))
        elif kind is tuple or kind is dict:
            follow(obj)
        elif issubclass(kind, (type, types.ModuleType)):
            for part in gc.get_referents(obj):
                if type(part) is dict:  # its namespace, which lives as long as it does
                    make(part)
        if kind in _VALUES or kind is weakref.ref or issubclass(kind, kinds):
            make(obj)
    return True


def _probe(count_of: Callable[[int], ctypes.c_ssize_t]) -> bool:
    """Check on a throwaway object that the count is where it is written and that
    counting references then leaves it alone (else write nothing more)."""
    probe = float(len(sys.modules)) + 0.5  # a new object, never shared
    count_of(id(probe)).value = IMMORTAL
    held = [probe] * 8
    ok = sys.getrefcount(probe) == IMMORTAL
    del held
    return ok and sys.getrefcount(probe) == IMMORTAL
