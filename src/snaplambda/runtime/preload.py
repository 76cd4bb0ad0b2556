"""Preload (beyond Lambda): import into the snapshot holder the modules that restored
environments imported only after their restore, so every later restore has them."""

from __future__ import annotations

import signal
import sys

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
