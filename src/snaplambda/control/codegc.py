"""Removal of code nothing references any more from the code store.

A package stays while a function version (``$LATEST`` or published) or a layer version
uses it; a deleted layer version's package stays while a function version still lists
it; and a package a live environment runs from stays until that environment is gone
(it is removed by the next sweep).  A sweep runs after every change to a function, a
deleted version or layer version, a refused upload, and at startup.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from ..packaging.codestore import CodeStore
from .layers import LayerService
from .models import LATEST, FunctionConfig
from .store import Store


def referenced_keys(
    functions: Iterable[FunctionConfig], layer_keys: Callable[[set[str]], set[str]]
) -> set[str]:
    """The code keys ``functions`` use, their layers' included (``layer_keys`` maps
    the layer ARNs functions list to the layer code to keep)."""
    keys: set[str] = set()
    layer_arns: set[str] = set()
    for config in functions:
        keys.add(config.code_key)
        layer_arns.update(config.layers)
    return keys | layer_keys(layer_arns)


def remove_soon(path: Path) -> None:
    """Delete ``path`` in a worker thread when an event loop runs, else now."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        shutil.rmtree(path, ignore_errors=True)
        return
    loop.run_in_executor(None, shutil.rmtree, path, True)


class CodeCollector:
    """Sweeps the code store of one platform."""

    def __init__(
        self,
        store: Store,
        layers: LayerService,
        code: CodeStore,
        in_use: Callable[[], Iterable[str]],
        remove: Callable[[Path], object] = remove_soon,
    ) -> None:
        self._store = store
        self._layers = layers
        self._code = code
        self._in_use = in_use
        #: Deletes a swept package's files (renamed away already).
        self.remove = remove

    def _functions(self) -> Iterable[FunctionConfig]:
        for latest in self._store.list_functions(LATEST):
            yield latest
            yield from self._store.list_versions(latest.name)

    def sweep(self) -> list[str]:
        """Remove what nothing references; returns the removed keys."""
        keep = referenced_keys(self._functions(), self._layers.code_keys)
        keep.update(self._in_use())
        return self._code.sweep(keep, self.remove)
