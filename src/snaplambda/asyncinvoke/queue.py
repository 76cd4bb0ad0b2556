"""The durable event queue and dead-letter store: one SQLite file (``events.db``)
in WAL mode with ``synchronous=FULL``, so an event that was accepted (202) survives
``kill -9`` and power loss.

An event stays in ``events`` until its final outcome is recorded; which events are
running is known only to the worker's memory, so after a crash every event left
behind is simply due again (at-least-once delivery).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ..storage.sqlite import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id          TEXT PRIMARY KEY,
    function    TEXT NOT NULL,
    qualifier   TEXT,
    payload     BLOB NOT NULL,
    enqueued_at REAL NOT NULL,
    due_at      REAL NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    throttles   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_due ON events (due_at);
CREATE TABLE IF NOT EXISTS dead_letters (
    id          TEXT PRIMARY KEY,
    function    TEXT NOT NULL,
    qualifier   TEXT,
    payload     BLOB NOT NULL,
    enqueued_at REAL NOT NULL,
    failed_at   REAL NOT NULL,
    attempts    INTEGER NOT NULL,
    condition   TEXT NOT NULL,
    error       TEXT
);
"""


@dataclass(frozen=True, slots=True)
class Event:
    """One queued asynchronous invocation; ``id`` is its request id."""

    id: str
    function: str
    qualifier: str | None
    payload: bytes
    enqueued_at: float
    due_at: float
    attempts: int = 0
    """Invocations made so far (those that ran, not throttles)."""
    throttles: int = 0
    """Throttles in a row since the last invocation that ran."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An event that failed for good and had no OnFailure destination."""

    id: str
    function: str
    qualifier: str | None
    payload: bytes
    enqueued_at: float
    failed_at: float
    attempts: int
    condition: str
    error: str | None


_EVENT_COLUMNS = "id, function, qualifier, payload, enqueued_at, due_at, attempts, throttles"
_DEAD_COLUMNS = (
    "id, function, qualifier, payload, enqueued_at, failed_at, attempts, condition, error"
)


class EventQueue:
    """Events and dead letters in one SQLite file.  Calls are short and serialized
    by a lock, so the queue may be used from the event loop and from threads."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._db = connect(path, "FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- events ------------------------------------------------------------------

    def put(self, event: Event) -> None:
        """Store ``event``; it is on disk when this returns."""
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.id,
                    event.function,
                    event.qualifier,
                    event.payload,
                    event.enqueued_at,
                    event.due_at,
                    event.attempts,
                    event.throttles,
                ),
            )

    def due(self, now: float, exclude: set[str], limit: int) -> list[Event]:
        """Up to ``limit`` events due by ``now`` that are not in ``exclude``,
        earliest first."""
        if limit <= 0:
            return []
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE due_at <= ? ORDER BY due_at",
                (now,),
            )
            events: list[Event] = []
            for row in rows:
                if row[0] not in exclude:
                    events.append(Event(*row))
                    if len(events) >= limit:
                        break
            return events

    def next_due(self, exclude: set[str]) -> float | None:
        """The earliest due time of an event not in ``exclude``."""
        with self._lock:
            for event_id, due_at in self._db.execute(
                "SELECT id, due_at FROM events ORDER BY due_at"
            ):
                if event_id not in exclude:
                    return float(due_at)
        return None

    def reschedule(self, event_id: str, due_at: float, attempts: int, throttles: int) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE events SET due_at = ?, attempts = ?, throttles = ? WHERE id = ?",
                (due_at, attempts, throttles, event_id),
            )

    def delete(self, event_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM events WHERE id = ?", (event_id,))

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    # -- dead letters ----------------------------------------------------------

    def bury(self, event: Event, failed_at: float, condition: str, error: str | None) -> None:
        """Move ``event`` to the dead letters in one transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    f"INSERT OR REPLACE INTO dead_letters ({_DEAD_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        event.id,
                        event.function,
                        event.qualifier,
                        event.payload,
                        event.enqueued_at,
                        failed_at,
                        event.attempts,
                        condition,
                        error,
                    ),
                )
                self._db.execute("DELETE FROM events WHERE id = ?", (event.id,))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def dead_letters(self, function: str | None = None) -> list[DeadLetter]:
        with self._lock:
            if function is None:
                rows = self._db.execute(
                    f"SELECT {_DEAD_COLUMNS} FROM dead_letters ORDER BY failed_at"
                ).fetchall()
            else:
                rows = self._db.execute(
                    f"SELECT {_DEAD_COLUMNS} FROM dead_letters WHERE function = ? "
                    "ORDER BY failed_at",
                    (function,),
                ).fetchall()
        return [DeadLetter(*row) for row in rows]

    def redrive(self, ids: list[str] | None, now: float) -> list[str]:
        """Queue dead letters again as fresh events (age and attempts reset); all of
        them when ``ids`` is None.  Returns the ids queued."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if ids is None:
                    found = [r[0] for r in self._db.execute("SELECT id FROM dead_letters")]
                else:
                    found = [
                        i
                        for i in ids
                        if self._db.execute(
                            "SELECT 1 FROM dead_letters WHERE id = ?", (i,)
                        ).fetchone()
                    ]
                for event_id in found:
                    self._db.execute(
                        f"INSERT OR REPLACE INTO events ({_EVENT_COLUMNS}) "
                        "SELECT id, function, qualifier, payload, ?, ?, 0, 0 "
                        "FROM dead_letters WHERE id = ?",
                        (now, now, event_id),
                    )
                    self._db.execute("DELETE FROM dead_letters WHERE id = ?", (event_id,))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return found
