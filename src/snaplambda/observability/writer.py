"""The shape shared by the observability stores (logs, metrics, traces): producers
put items on a queue and return at once, one writer thread stores them in batches,
readers use a connection of their own.  :class:`QueuedWriter` is that shape; a store
says only how to store a batch and what to do now and then (retention)."""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from ..storage.sqlite import connect


class QueuedWriter:
    """A SQLite store written by one background thread.

    Subclasses call :meth:`_open` with their schema, then :meth:`_start_writer` once
    their own attributes are set, and implement :meth:`_store` and
    :meth:`_housekeep`.  The thread stops on ``None`` and sets the
    ``threading.Event`` markers it dequeues, which is how :meth:`sync` and
    :meth:`close` work."""

    #: How long the writer lets items gather before it stores them (``sync`` and a
    #: full batch wake it at once; waking per item would hand it the GIL on every
    #: invoke).
    drain_interval_s = 0.25
    #: Most items stored in one transaction.
    batch_limit = 1000
    #: How often :meth:`_housekeep` runs.
    housekeeping_s = 600.0

    _queue: queue.SimpleQueue[Any]
    _thread: threading.Thread
    _reader: sqlite3.Connection
    _reader_lock: threading.Lock

    def _open(self, path: Path, schema: str) -> None:
        """Create the database (and its directory) and the reader connection."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._queue = queue.SimpleQueue()
        db = self._connect()
        db.executescript(schema)
        db.close()
        self._reader = self._connect()
        self._reader_lock = threading.Lock()
        self._wake = threading.Event()

    def _connect(self) -> sqlite3.Connection:
        return connect(self._path)

    def _start_writer(self, name: str) -> None:
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _store(self, db: sqlite3.Connection, items: list[Any]) -> bool:
        """Store one batch (on the writer thread); True asks for housekeeping now."""
        raise NotImplementedError

    def _housekeep(self, db: sqlite3.Connection) -> None:
        """Delete what is past retention (on the writer thread)."""

    def _run(self) -> None:
        db = self._connect()
        stop = False
        next_housekeeping = 0.0
        while not stop:
            items, markers, stop = self._drain()
            due = self._store(db, items) if items else False
            if due or time.monotonic() >= next_housekeeping:
                self._housekeep(db)
                next_housekeeping = time.monotonic() + self.housekeeping_s
            for marker in markers:
                marker.set()
        db.close()

    def _drain(self) -> tuple[list[Any], list[threading.Event], bool]:
        """The writer thread's next batch: wait for ``_wake`` or the drain interval,
        then take up to ``batch_limit`` queued items.  (items, ``sync`` markers,
        whether ``close`` asked to stop)."""
        self._wake.wait(self.drain_interval_s)
        self._wake.clear()
        items: list[Any] = []
        markers: list[threading.Event] = []
        stop = False
        while len(items) < self.batch_limit:
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
        if not stop and not self._queue.empty():  # a full batch: more is waiting
            self._wake.set()
        return items, markers, stop

    def sync(self, timeout: float = 10.0) -> None:
        """Block until everything queued before this call is stored."""
        marker = threading.Event()
        self._queue.put(marker)
        self._wake.set()
        marker.wait(timeout)

    def close(self) -> None:
        """Let the writer store what is queued and stop; close the reader."""
        self._queue.put(None)
        self._wake.set()
        self._thread.join(timeout=10)
        with self._reader_lock:
            self._reader.close()
