"""The edit-and-run loop: redeploy ``$LATEST`` whenever files of a code directory
change, so the next invoke runs the new code in a fresh environment."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import watchfiles

_IGNORED_PARTS = {"__pycache__", ".git", ".mypy_cache", ".pytest_cache", ".venv"}


def relevant(changes: Iterable[tuple[object, str]]) -> list[str]:
    """The changed paths that are part of the package (caches and bytecode are not)."""
    paths = []
    for _, raw in changes:
        path = Path(raw)
        if path.suffix == ".pyc" or _IGNORED_PARTS.intersection(path.parts):
            continue
        paths.append(raw)
    return paths


def watch(
    root: Path,
    redeploy: Callable[[list[str]], None],
    stop: Callable[[], bool] | None = None,
) -> None:
    """Call ``redeploy(changed_paths)`` after each burst of changes under ``root``.

    Blocks until interrupted (or until ``stop()`` is true, checked between bursts).
    Bursts are debounced for 100 ms so an editor's save counts once.
    """
    for changes in watchfiles.watch(root, debounce=100, step=20, raise_interrupt=False):
        paths = relevant(changes)
        if paths:
            redeploy(paths)
        if stop is not None and stop():
            return
