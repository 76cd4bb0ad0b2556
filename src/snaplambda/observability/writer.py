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
