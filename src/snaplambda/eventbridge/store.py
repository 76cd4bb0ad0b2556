"""Where rules and schedules are kept: a small interface and its SQLite
implementation, so they survive a restart.

Each is one JSON document (a rule with its targets, or a schedule) keyed by its
kind and name, with the time of its last fire in it, so the timer knows after a
restart which fires it missed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

import orjson

from ..storage.sqlite import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    kind  TEXT NOT NULL,
    name  TEXT NOT NULL,
    doc   BLOB NOT NULL,
    PRIMARY KEY (kind, name)
);
"""


class ScheduleStore(Protocol):
    """What rules and schedules need from persistent storage."""

    def load(self, kind: str) -> list[dict[str, Any]]:
        """Every document of ``kind`` (``rule`` or ``schedule``), by name."""
        ...

    def put(self, kind: str, name: str, doc: dict[str, Any]) -> None: ...

    def delete(self, kind: str, name: str) -> None: ...

    def close(self) -> None: ...


class SqliteScheduleStore:
    """:class:`ScheduleStore` on one SQLite file; each write is durable when it
    returns (``synchronous=FULL``), so a fire recorded is never fired again."""

    def __init__(self, path: Path) -> None:
        self._db = connect(path, synchronous="FULL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def load(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT doc FROM jobs WHERE kind = ? ORDER BY name", (kind,)
            ).fetchall()
        return [orjson.loads(row[0]) for row in rows]

    def put(self, kind: str, name: str, doc: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO jobs (kind, name, doc) VALUES (?, ?, ?)",
                (kind, name, orjson.dumps(doc)),
            )

    def delete(self, kind: str, name: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs WHERE kind = ? AND name = ?", (kind, name))

    def close(self) -> None:
        with self._lock:
            self._db.close()
