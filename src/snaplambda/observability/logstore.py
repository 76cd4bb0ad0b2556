"""Per-function log store: log groups and streams of timestamped events in SQLite.

Writers append to an in-memory queue and return at once; one background thread
writes batches, so capturing logs costs the invoke path only a queue append.
Readers call :meth:`LogStore.sync` first to see everything appended before them.
Disk use is bounded twice: per group by retention (days), and for the whole store by
a size cap (the oldest events of any group go first).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .writer import QueuedWriter

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    grp       TEXT NOT NULL,
    stream    TEXT NOT NULL,
    ts        INTEGER NOT NULL,
    ingested  INTEGER NOT NULL,
    message   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_grp_ts ON events (grp, ts, id);
CREATE TABLE IF NOT EXISTS retention (
    grp   TEXT PRIMARY KEY,
    days  INTEGER NOT NULL
);
"""

#: CloudWatch Logs' allowed ``retentionInDays`` values.
RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip

#: How often the writer thread deletes events past their group's retention.
RETENTION_CHECK_S = 60.0

#: Past the size cap, the oldest events are deleted down to this share of it.
SIZE_TARGET = 0.9


@dataclass(frozen=True, slots=True)
class LogEvent:
    group: str
    stream: str
    timestamp: int
    """Milliseconds since the epoch."""
    message: str
    ingestion_time: int = 0
    event_id: int = 0


@dataclass(frozen=True, slots=True)
class _Retention:
    """A queued PutRetentionPolicy (``days`` None: DeleteRetentionPolicy)."""

    group: str
    days: int | None


@dataclass(frozen=True, slots=True)
class StreamInfo:
    group: str
    stream: str
    first_ts: int
    last_ts: int
    events: int


class LogStore(QueuedWriter):
    """Append-only event store with a background writer."""

    drain_interval_s = 0.1  # what `logs --follow` shows waits at most this long
    batch_limit = 2000
    housekeeping_s = RETENTION_CHECK_S

    def __init__(self, path: Path, max_bytes: int | None = None) -> None:
        self._open(path, _SCHEMA)
        self.max_bytes = max_bytes
        """Size cap of the database's used pages; past it the oldest events go."""
        self.observers: list[Callable[[list[tuple[str, str, int, str]]], None]] = []
        """Called in the writer thread with each batch stored (group, stream, ts,
        message), e.g. to parse Embedded Metric Format lines off the invoke path."""
        self._start_writer("snaplambda-logs")

    def append(self, group: str, stream: str, timestamp_ms: int, message: str) -> None:
        """Queue one event; never blocks."""
        self._queue.put((group, stream, timestamp_ms, message))

    def set_retention(self, group: str, days: int | None) -> None:
        """PutRetentionPolicy (``None``: DeleteRetentionPolicy); stored and enforced
        before this returns, then every :data:`RETENTION_CHECK_S` by the writer thread."""
        self._queue.put(_Retention(group, days))
        self.sync()

    def retention(self) -> dict[str, int]:
        with self._reader_lock:
            rows = self._reader.execute("SELECT grp, days FROM retention").fetchall()
        return {g: d for g, d in rows}

    @staticmethod
    def _enforce_retention(db: sqlite3.Connection, now_ms: int) -> None:
        db.execute(
            "DELETE FROM events WHERE id IN (SELECT e.id FROM events e JOIN retention r "
            "ON e.grp = r.grp WHERE e.ts < ? - r.days * 86400000)",
            (now_ms,),
        )

    def _enforce_size(self, db: sqlite3.Connection) -> int:
        """Delete the oldest events while the used pages exceed :attr:`max_bytes`
        (down to :data:`SIZE_TARGET` of it; freed pages are reused, so the file stops
        growing).  Returns how many events were deleted."""
        if not self.max_bytes:
            return 0
        deleted = 0
        for _ in range(8):
            page_size = db.execute("PRAGMA page_size").fetchone()[0]
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            free = db.execute("PRAGMA freelist_count").fetchone()[0]
            used = (pages - free) * page_size
            if used <= self.max_bytes:
                break
            low, high = db.execute("SELECT MIN(id), MAX(id) FROM events").fetchone()
            if low is None:
                break
            share = 1.0 - self.max_bytes * SIZE_TARGET / used
            cut = low + max(1, int((high - low + 1) * share))
            deleted += db.execute("DELETE FROM events WHERE id < ?", (cut,)).rowcount
        return deleted

    def _store(self, db: sqlite3.Connection, items: list[Any]) -> bool:
        policies: list[_Retention] = []
        rows: list[tuple[str, str, int, str]] = []
        for item in items:
            if isinstance(item, _Retention):
                policies.append(item)
            else:
                rows.append(item)
        for policy in policies:
            if policy.days is None:
                db.execute("DELETE FROM retention WHERE grp = ?", (policy.group,))
            else:
                db.execute(
                    "INSERT INTO retention (grp, days) VALUES (?, ?) "
                    "ON CONFLICT (grp) DO UPDATE SET days = excluded.days",
                    (policy.group, policy.days),
                )
        if rows:
            now = int(time.time() * 1000)
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO events (grp, stream, ts, ingested, message) VALUES (?, ?, ?, ?, ?)",
                [(g, s, t, now, m) for g, s, t, m in rows],
            )
            db.execute("COMMIT")
            self._enforce_size(db)
            for observer in self.observers:
                with contextlib.suppress(Exception):  # never stops the log writer
                    observer(rows)
        return bool(policies)  # a policy changed: enforce it now

    def _housekeep(self, db: sqlite3.Connection) -> None:
        self._enforce_retention(db, int(time.time() * 1000))

    def filter(
        self,
        group: str,
        streams: list[str] | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        contains: str | None = None,
        after_id: int = 0,
        limit: int = 10000,
        before_id: int | None = None,
        newest_first: bool = False,
    ) -> list[LogEvent]:
        """Events of a group in time order, optionally narrowed."""
        sql = "SELECT grp, stream, ts, message, ingested, id FROM events WHERE grp = ? AND id > ?"
        args: list[object] = [group, after_id]
        if before_id is not None:
            sql += " AND id < ?"
            args.append(before_id)
        if streams:
            sql += f" AND stream IN ({','.join('?' * len(streams))})"
            args.extend(streams)
        if start_ms is not None:
            sql += " AND ts >= ?"
            args.append(start_ms)
        if end_ms is not None:
            sql += " AND ts <= ?"
            args.append(end_ms)
        if contains:
            sql += " AND instr(message, ?) > 0"
            args.append(contains)
        sql += " ORDER BY id DESC LIMIT ?" if newest_first else " ORDER BY id LIMIT ?"
        args.append(limit)
        with self._reader_lock:
            rows = self._reader.execute(sql, args).fetchall()
        return [LogEvent(*row) for row in rows]

    def groups(self, prefix: str = "") -> list[str]:
        with self._reader_lock:
            rows = self._reader.execute(
                "SELECT DISTINCT grp FROM events WHERE grp >= ? ORDER BY grp", (prefix,)
            ).fetchall()
        return [r[0] for r in rows if r[0].startswith(prefix)]

    def streams(self, group: str) -> list[StreamInfo]:
        with self._reader_lock:
            rows = self._reader.execute(
                "SELECT grp, stream, MIN(ts), MAX(ts), COUNT(*) FROM events WHERE grp = ? "
                "GROUP BY stream ORDER BY MAX(id) DESC",
                (group,),
            ).fetchall()
        return [StreamInfo(*row) for row in rows]
