"""The shape shared by the observability stores (logs, metrics, traces): producers
put items on a queue and return at once, one writer thread stores them, readers
use a connection of their own.  This mixin holds the two steps that are the same
in all of them: waiting for what was queued, and shutting down."""

from __future__ import annotations

import queue
import sqlite3
import threading
from typing import Any


class QueuedWriter:
    """``sync`` and ``close`` for a store with a queue, a writer thread that stops
    on ``None`` and sets the ``threading.Event`` markers it dequeues, and a reader
    connection.  ``_wake``, when a store has one, cuts the writer's wait short."""

    _queue: queue.SimpleQueue[Any]
    _thread: threading.Thread
    _reader: sqlite3.Connection
    _reader_lock: threading.Lock

    def _kick(self) -> None:
        wake: threading.Event | None = getattr(self, "_wake", None)
        if wake is not None:
            wake.set()

    def _drain(
        self, wake: threading.Event, interval: float, limit: int
    ) -> tuple[list[Any], list[threading.Event], bool] | None:
        """The writer thread's next batch: wait for ``wake`` or ``interval`` (waking
        per item would hand the GIL to this thread on every invoke), then take up to
        ``limit`` queued items.  ``None`` when nothing was queued, else (items,
        ``sync`` markers, whether ``close`` asked to stop)."""
        wake.wait(interval)
        wake.clear()
        items: list[Any] = []
        markers: list[threading.Event] = []
        stop = False
        while len(items) < limit:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                stop = True
            elif isinstance(item, threading.Event):
                markers.append(item)
            else:
                items.append(item)
        if not items and not markers and not stop:
            return None
        if not stop and not self._queue.empty():  # a full batch: more is waiting
            wake.set()
        return items, markers, stop

    def sync(self, timeout: float = 10.0) -> None:
        """Block until everything queued before this call is stored."""
        marker = threading.Event()
        self._queue.put(marker)
        self._kick()
        marker.wait(timeout)

    def close(self) -> None:
        """Let the writer store what is queued and stop; close the reader."""
        self._queue.put(None)
        self._kick()
        self._thread.join(timeout=10)
        with self._reader_lock:
            self._reader.close()
