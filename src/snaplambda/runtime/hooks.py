"""Lambda's SnapStart runtime hooks (``snapshot_restore_py``) run inside the
environment, and the check that nothing but this thread would be forked."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs every cold start
if TYPE_CHECKING:
    from typing import Any

HOOKS_MODULE = "snapshot_restore_py"


def registry(name: str) -> list[Any]:
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
    for func, args, kwargs in registry("get_after_restore"):
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
