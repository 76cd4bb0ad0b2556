"""The control plane's store: a small interface and its SQLite implementation.

Records are JSON documents keyed by (function name, version) or (function name,
alias name), so the schema stays stable as the model grows; a PostgreSQL store can
implement the same Protocol to let several nodes share state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import orjson

from ..storage.sqlite import connect
from .models import LATEST, Alias, FunctionConfig

_SCHEMA = """
CREATE TABLE IF NOT EXISTS functions (
    name     TEXT NOT NULL,
    version  TEXT NOT NULL,
    doc      BLOB NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS settings (
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    doc      BLOB NOT NULL,
    PRIMARY KEY (name, kind)
);
CREATE TABLE IF NOT EXISTS aliases (
    function TEXT NOT NULL,
    name     TEXT NOT NULL,
    doc      BLOB NOT NULL,
    PRIMARY KEY (function, name)
);
"""


class Store(Protocol):
    """What the control plane needs from persistent storage."""

    def get_function(self, name: str, version: str) -> FunctionConfig | None: ...

    def put_function(self, config: FunctionConfig) -> None: ...

    def delete_function(self, name: str, version: str | None = None) -> None:
        """Delete one version, or (``version=None``) the whole function: every
        version, alias and setting of it."""
        ...

    def list_functions(self, version: str) -> list[FunctionConfig]: ...

    def list_versions(self, name: str) -> list[FunctionConfig]:
        """The published versions of one function (not $LATEST), oldest first."""
        ...

    def put_alias(self, alias: Alias) -> None: ...

    def delete_alias(self, function: str, name: str) -> None: ...

    def list_aliases(self, function: str) -> list[Alias]: ...

    def get_setting(self, name: str, kind: str) -> dict[str, Any] | None: ...

    def put_setting(self, name: str, kind: str, doc: dict[str, Any] | None) -> None: ...

    def close(self) -> None: ...


class SqliteStore:
    """:class:`Store` on one SQLite file in WAL mode."""

    def __init__(self, path: Path) -> None:
        self._db = connect(path)
        self._db.executescript(_SCHEMA)

    def get_function(self, name: str, version: str) -> FunctionConfig | None:
        row = self._db.execute(
            "SELECT doc FROM functions WHERE name = ? AND version = ?", (name, version)
        ).fetchone()
        return FunctionConfig.from_doc(orjson.loads(row[0])) if row else None

    def put_function(self, config: FunctionConfig) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO functions (name, version, doc) VALUES (?, ?, ?)",
            (config.name, config.version, orjson.dumps(config.to_doc())),
        )

    def delete_function(self, name: str, version: str | None = None) -> None:
        if version is None:
            self._db.execute("DELETE FROM functions WHERE name = ?", (name,))
            self._db.execute("DELETE FROM settings WHERE name = ?", (name,))
            self._db.execute("DELETE FROM aliases WHERE function = ?", (name,))
        else:
            self._db.execute(
                "DELETE FROM functions WHERE name = ? AND version = ?", (name, version)
            )

    def list_functions(self, version: str) -> list[FunctionConfig]:
        rows = self._db.execute(
            "SELECT doc FROM functions WHERE version = ? ORDER BY name", (version,)
        ).fetchall()
        return [FunctionConfig.from_doc(orjson.loads(row[0])) for row in rows]

    def list_versions(self, name: str) -> list[FunctionConfig]:
        rows = self._db.execute(
            "SELECT doc FROM functions WHERE name = ? AND version != ? "
            "ORDER BY CAST(version AS INTEGER)",
            (name, LATEST),
        ).fetchall()
        return [FunctionConfig.from_doc(orjson.loads(row[0])) for row in rows]

    def put_alias(self, alias: Alias) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO aliases (function, name, doc) VALUES (?, ?, ?)",
            (alias.function, alias.name, orjson.dumps(alias.to_doc())),
        )

    def delete_alias(self, function: str, name: str) -> None:
        self._db.execute("DELETE FROM aliases WHERE function = ? AND name = ?", (function, name))

    def list_aliases(self, function: str) -> list[Alias]:
        rows = self._db.execute(
            "SELECT doc FROM aliases WHERE function = ? ORDER BY name", (function,)
        ).fetchall()
        return [Alias.from_doc(orjson.loads(row[0])) for row in rows]

    def get_setting(self, name: str, kind: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT doc FROM settings WHERE name = ? AND kind = ?", (name, kind)
        ).fetchone()
        return orjson.loads(row[0]) if row else None

    def put_setting(self, name: str, kind: str, doc: dict[str, Any] | None) -> None:
        if doc is None:
            self._db.execute("DELETE FROM settings WHERE name = ? AND kind = ?", (name, kind))
        else:
            self._db.execute(
                "INSERT OR REPLACE INTO settings (name, kind, doc) VALUES (?, ?, ?)",
                (name, kind, orjson.dumps(doc)),
            )

    def close(self) -> None:
        self._db.close()
