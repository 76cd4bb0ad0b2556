"""Opening the platform's SQLite files the one way they are all opened."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Literal


def connect(path: Path, synchronous: Literal["NORMAL", "FULL"] = "NORMAL") -> sqlite3.Connection:
    """An autocommit connection in WAL mode, usable from any thread (callers that
    share one guard it with a lock).  ``FULL`` makes each commit durable across a
    power loss, for what must survive a crash (the async event queue).

    The file is made readable by its owner only (0600); SQLite gives its ``-wal``
    and ``-shm`` files the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    return db
