"""Trace store: X-Ray segments per trace id in SQLite, with the platform's own spans.

Segments arrive from the daemon listener (the function's SDK) and from the platform
(:func:`platform_segments`: the ``AWS::Lambda`` service segment and the
``AWS::Lambda::Function`` segment with Initialization / Restore / Invocation /
Overhead subsegments, as Lambda records them).  ``put`` only queues; one thread
writes.  The function's SDK makes its segments children of the ``Parent`` id in
``_X_AMZN_TRACE_ID``, which is the platform's function segment id.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .tracing import parse_trace_header, random_hex
from .writer import QueuedWriter

#: Segments older than this are deleted (X-Ray keeps traces 30 days).
RETENTION_S = 30 * 86400

_SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    trace_id  TEXT NOT NULL,
    id        TEXT NOT NULL,
    parent_id TEXT,
    name      TEXT NOT NULL,
    start     REAL NOT NULL,
    end_time  REAL,
    doc       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS segments_trace ON segments (trace_id, start);
CREATE INDEX IF NOT EXISTS segments_start ON segments (start);
"""


@dataclass(frozen=True, slots=True)
class TraceSummary:
    trace_id: str
    name: str
    start: float
    duration: float
    segments: int
    error: bool


@dataclass(frozen=True, slots=True)
class Span:
    """One segment or subsegment, flattened, with its depth in the tree."""

    id: str
    parent_id: str | None
    name: str
    start: float
    end: float | None
    depth: int
    origin: str
    error: bool

    def to_doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "parentId": self.parent_id,
            "name": self.name,
            "start": self.start,
            "end": self.end,
            "depth": self.depth,
            "origin": self.origin,
            "error": self.error,
        }


def new_segment_id() -> str:
    return random_hex(8)


def platform_segments(
    trace_header: str,
    function: str,
    function_arn: str,
    version: str,
    start: float,
    end: float,
    duration_ms: float,
    init_ms: float | None,
    restore_ms: float | None,
    error_type: str | None,
    request_id: str,
) -> list[dict[str, Any]]:
    """Lambda's two segments for one sampled invocation (epoch seconds)."""
    h = parse_trace_header(trace_header)
    root, function_id = h.get("Root", ""), h.get("Parent") or new_segment_id()
    service_id = new_segment_id()
    fault = error_type is not None
    subsegments: list[dict[str, Any]] = []
    t = start
    if init_ms is not None or restore_ms is not None:
        phase_ms = init_ms if init_ms is not None else restore_ms
        assert phase_ms is not None
        subsegments.append(
            {
                "id": new_segment_id(),
                "name": "Initialization" if init_ms is not None else "Restore",
                "start_time": t,
                "end_time": t + phase_ms / 1000,
            }
        )
        t += phase_ms / 1000
    invoke_start = max(t, end - duration_ms / 1000)
    subsegments.append(
        {
            "id": new_segment_id(),
            "name": "Invocation",
            "start_time": invoke_start,
            "end_time": invoke_start + duration_ms / 1000,
            **({"fault": True} if fault else {}),
        }
    )
    subsegments.append(
        {
            "id": new_segment_id(),
            "name": "Overhead",
            "start_time": invoke_start + duration_ms / 1000,
            "end_time": max(end, invoke_start + duration_ms / 1000),
        }
    )
    service = {
        "trace_id": root,
        "id": service_id,
        "name": function,
        "origin": "AWS::Lambda",
        "start_time": start,
        "end_time": end,
        "resource_arn": function_arn,
        "aws": {"request_id": request_id},
        **({"fault": True} if fault else {}),
    }
    func = {
        "trace_id": root,
        "id": function_id,
        "parent_id": service_id,
        "name": function,
        "origin": "AWS::Lambda::Function",
        "start_time": start,
        "end_time": end,
        "resource_arn": function_arn,
        "aws": {"function_version": version, "request_id": request_id},
        "subsegments": subsegments,
        **({"fault": True, "cause": {"exceptions": [{"type": error_type}]}} if fault else {}),
    }
    return [service, func]


class TraceStore(QueuedWriter):
    """Segments in SQLite, written by one background thread."""

    def __init__(self, path: Path) -> None:
        self._open(path, _SCHEMA)
        self.observers: list[Callable[[list[dict[str, Any]]], None]] = []
        """Called in the writer thread with each batch of stored documents (e.g. the
        OTLP exporter's queue put)."""
        self._start_writer("snaplambda-traces")

    def put(self, doc: dict[str, Any]) -> None:
        """Queue one segment document; never blocks."""
        self._queue.put(doc)

    def put_platform(self, *args: Any) -> None:
        """Queue the platform's segments of one sampled invocation (the arguments of
        :func:`platform_segments`); they are built in the writer thread."""
        self._queue.put(args)

    def _store(self, db: sqlite3.Connection, items: list[Any]) -> bool:
        rows: list[tuple[Any, ...]] = []
        stored: list[dict[str, Any]] = []
        for item in items:
            docs = platform_segments(*item) if isinstance(item, tuple) else [item]
            for doc in docs:
                with contextlib.suppress(TypeError, ValueError, KeyError):
                    rows.append(_row(doc))  # a malformed segment is skipped
                    stored.append(doc)
        if rows:
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO segments (trace_id, id, parent_id, name, start, end_time, doc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            db.execute("COMMIT")
            for observer in self.observers:
                with contextlib.suppress(Exception):  # never stops the writer
                    observer(stored)
        return False

    def _housekeep(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM segments WHERE start < ?", (time.time() - RETENTION_S,))

    def segments(self, trace_id: str) -> list[dict[str, Any]]:
        """The stored documents of one trace (a segment sent twice, in progress then
        complete, appears once: the last one)."""
        return self._segments_of([trace_id]).get(trace_id, [])

    def _segments_of(self, trace_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """:meth:`segments` of several traces, in one query."""
        marks = ",".join("?" * len(trace_ids))
        with self._reader_lock:
            rows = self._reader.execute(
                f"SELECT trace_id, id, doc FROM segments WHERE trace_id IN ({marks}) ORDER BY seq",
                trace_ids,
            ).fetchall()
        latest: dict[str, dict[str, dict[str, Any]]] = {}
        for trace_id, seg_id, doc in rows:
            latest.setdefault(trace_id, {})[seg_id] = orjson.loads(doc)
        return {
            trace_id: sorted(docs.values(), key=lambda d: d.get("start_time") or 0.0)
            for trace_id, docs in latest.items()
        }

    def traces(self, function: str | None = None, limit: int = 20) -> list[TraceSummary]:
        """The most recent traces, newest first (optionally those naming ``function``)."""
        sql = (
            "SELECT trace_id, MIN(start), MAX(COALESCE(end_time, start)), COUNT(DISTINCT id) "
            "FROM segments"
        )
        args: list[Any] = []
        if function:
            sql += " WHERE trace_id IN (SELECT trace_id FROM segments WHERE name = ?)"
            args.append(function)
        sql += " GROUP BY trace_id ORDER BY MIN(start) DESC LIMIT ?"
        args.append(limit)
        with self._reader_lock:
            rows = self._reader.execute(sql, args).fetchall()
        documents = self._segments_of([row[0] for row in rows])
        out = []
        for trace_id, start, end, count in rows:
            docs = documents.get(trace_id, [])
            root = next((d for d in docs if not d.get("parent_id")), docs[0] if docs else {})
            error = any(d.get("fault") or d.get("error") for d in docs)
            out.append(
                TraceSummary(trace_id, str(root.get("name", "")), start, end - start, count, error)
            )
        return out


def _row(doc: dict[str, Any]) -> tuple[Any, ...]:
    end = doc.get("end_time")
    return (
        str(doc["trace_id"]),
        str(doc["id"]),
        doc.get("parent_id"),
        str(doc.get("name", "")),
        float(doc.get("start_time") or 0.0),
        float(end) if end is not None else None,
        orjson.dumps(doc).decode(),
    )


def _walk(doc: dict[str, Any], parent: str | None) -> Iterator[tuple[dict[str, Any], str | None]]:
    yield doc, parent
    for sub in doc.get("subsegments") or []:
        if isinstance(sub, dict) and "id" in sub:
            yield from _walk(sub, str(doc.get("id")))


def flatten(docs: list[dict[str, Any]]) -> Iterator[Span]:
    """Segments and (nested or separately sent) subsegments in tree order."""
    nodes: dict[str, tuple[dict[str, Any], str | None]] = {}
    for doc in docs:
        for node, parent in _walk(doc, doc.get("parent_id")):
            nodes[str(node["id"])] = (node, node.get("parent_id") or parent)
    children: dict[str | None, list[str]] = {}
    for seg_id, (_node, parent) in nodes.items():
        key = parent if parent in nodes else None
        children.setdefault(key, []).append(seg_id)
    for ids in children.values():
        ids.sort(key=lambda i: nodes[i][0].get("start_time") or 0.0)

    def visit(seg_id: str, depth: int) -> Iterator[Span]:
        node, parent = nodes[seg_id]
        start = float(node.get("start_time") or 0.0)
        end = node.get("end_time")
        yield Span(
            seg_id,
            parent,
            str(node.get("name", "")),
            start,
            float(end) if end is not None else None,
            depth,
            str(node.get("origin", "")),
            bool(node.get("fault") or node.get("error")),
        )
        for child in children.get(seg_id, []):
            yield from visit(child, depth + 1)

    for top in children.get(None, []):
        yield from visit(top, 0)
