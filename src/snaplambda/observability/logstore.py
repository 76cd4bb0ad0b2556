"""Per-function log store: log groups and streams of timestamped events in SQLite.

Writers append to an in-memory queue and return at once; one background thread
writes batches, so capturing logs costs the invoke path only a queue append.
Readers call :meth:`LogStore.sync` first to see everything appended before them.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

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
"""

_BATCH = 2000


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
class StreamInfo:
    group: str
    stream: str
    first_ts: int
    last_ts: int
    events: int


class LogStore:
    """Append-only event store with a background writer."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._queue: queue.SimpleQueue[tuple[str, str, int, str] | threading.Event | None] = (
            queue.SimpleQueue()
        )
        db = self._connect()
        db.executescript(_SCHEMA)
        db.close()
        self._reader = self._connect()
        self._reader_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="snaplambda-logs", daemon=True)
        self._thread.start()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def append(self, group: str, stream: str, timestamp_ms: int, message: str) -> None:
        """Queue one event; never blocks."""
        self._queue.put((group, stream, timestamp_ms, message))

    def sync(self, timeout: float = 10.0) -> None:
        """Block until every event appended before this call is written."""
        marker = threading.Event()
        self._queue.put(marker)
        marker.wait(timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
        with self._reader_lock:
            self._reader.close()

    def _run(self) -> None:
        db = self._connect()
        stop = False
        while not stop:
            item = self._queue.get()
            rows: list[tuple[str, str, int, int, str]] = []
            markers: list[threading.Event] = []
            while True:
                if item is None:
                    stop = True
                elif isinstance(item, threading.Event):
                    markers.append(item)
                else:
                    rows.append((item[0], item[1], item[2], 0, item[3]))
                if len(rows) >= _BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if rows:
                now = int(time.time() * 1000)
                db.execute("BEGIN")
                db.executemany(
                    "INSERT INTO events (grp, stream, ts, ingested, message) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(g, s, t, now, m) for g, s, t, _, m in rows],
                )
                db.execute("COMMIT")
            for marker in markers:
                marker.set()
        db.close()

    def filter(
        self,
        group: str,
        streams: list[str] | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        contains: str | None = None,
        after_id: int = 0,
        limit: int = 10000,
    ) -> list[LogEvent]:
        """Events of a group in time order, optionally narrowed."""
        sql = "SELECT grp, stream, ts, message, ingested, id FROM events WHERE grp = ? AND id > ?"
        args: list[object] = [group, after_id]
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
        sql += " ORDER BY id LIMIT ?"
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
