"""Metric store: Lambda's platform metrics per function, version and alias, and custom
metrics from Embedded Metric Format lines, in SQLite.

The invoke path only puts a tuple on a queue (:meth:`MetricsStore.invocation`,
:meth:`throttle`, :meth:`concurrency`); one background thread turns them into
samples, keeps the running totals Prometheus reads, and writes samples in batches.
EMF lines are parsed in that thread too (:meth:`observe_logs` is called by the log
store's writer thread with what it stored).  A malformed EMF line is kept as a log
line and answered by a warning line in the same stream; it is never fatal.

Samples carry CloudWatch's dimension sets for ``AWS/Lambda``: ``{FunctionName}``,
``{FunctionName, ExecutedVersion}``, and ``{FunctionName, Resource}`` with
``Resource = name:qualifier`` when the invoke named a version or alias.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from . import emf
from .emf import Sample
from .writer import QueuedWriter

NAMESPACE = "AWS/Lambda"

#: Samples older than this are deleted (CloudWatch keeps 1-minute data 15 days).
RETENTION_S = 15 * 86400

_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    ns     TEXT NOT NULL,
    name   TEXT NOT NULL,
    dims   TEXT NOT NULL,
    ts     INTEGER NOT NULL,
    value  REAL NOT NULL,
    unit   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_key ON samples (ns, name, dims, ts);
"""

#: Duration histogram buckets for Prometheus, in seconds.
BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

LogWriter = Callable[[str, str, int, str], None]


@dataclass(frozen=True, slots=True)
class Datapoint:
    """The statistics of one period."""

    timestamp_ms: int
    sample_count: int
    sum: float
    minimum: float
    maximum: float
    p50: float
    p90: float
    p99: float
    unit: str

    @property
    def average(self) -> float:
        return self.sum / self.sample_count if self.sample_count else 0.0

    def stat(self, name: str) -> float:
        """A CloudWatch statistic by name: Sum, Average, Minimum, Maximum, SampleCount,
        p50, p90, p99."""
        return {
            "Sum": self.sum,
            "Average": self.average,
            "Minimum": self.minimum,
            "Maximum": self.maximum,
            "SampleCount": float(self.sample_count),
            "p50": self.p50,
            "p90": self.p90,
            "p99": self.p99,
        }[name]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0-100) of already sorted values."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class _Histogram:
    buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    count: int = 0
    sum: float = 0.0

    def observe(self, seconds: float) -> None:
        self.count += 1
        self.sum += seconds
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.buckets[i] += 1
                break


@dataclass
class Totals:
    """Running totals since the platform started, for Prometheus."""

    counters: dict[tuple[str, str, str], float] = field(default_factory=dict)
    """(metric, function, version) -> total."""
    histograms: dict[tuple[str, str, str], _Histogram] = field(default_factory=dict)
    custom: dict[tuple[str, str, str], tuple[int, float, float]] = field(default_factory=dict)
    """(namespace, metric, dimensions) -> (count, sum, last value)."""
    gauges: dict[tuple[str, str, str], float] = field(default_factory=dict)
    """(metric, function, qualifier) -> last value."""
    emf_errors: int = 0


def dims_key(dims: Iterable[tuple[str, str]] | dict[str, str]) -> str:
    """Canonical text of a dimension set (sorted by name)."""
    pairs = dims.items() if isinstance(dims, dict) else dims
    return orjson.dumps(sorted(pairs)).decode()


def _cutoff_ms() -> int:
    return int((time.time() - RETENTION_S) * 1000)


@functools.lru_cache(maxsize=4096)
def _dims_text(dims: tuple[tuple[str, str], ...]) -> str:
    return dims_key(dims)


class MetricsStore(QueuedWriter):
    """Samples in SQLite, fed through a queue by one background thread."""

    batch_limit = 5000

    def __init__(self, path: Path, log_writer: LogWriter | None = None) -> None:
        self._open(path, _SCHEMA)
        self._log_writer = log_writer
        self._totals_lock = threading.Lock()
        self.totals = Totals()
        self._start_writer("snaplambda-metrics")

    # -- the hot path: queue puts only ------------------------------------------

    def invocation(
        self,
        function: str,
        qualifier: str | None,
        version: str,
        duration_ms: float,
        error: bool,
        cold: bool,
        init_ms: float | None,
        restore_ms: float | None,
    ) -> None:
        self._queue.put(
            (
                "inv",
                function,
                qualifier,
                version,
                time.time(),
                duration_ms,
                error,
                cold,
                init_ms,
                restore_ms,
            )
        )

    def throttle(self, function: str, qualifier: str | None) -> None:
        self._queue.put(("thr", function, qualifier, time.time()))

    def concurrency(self, function: str, running: int) -> None:
        """An invocation was admitted: ``running`` of ``function`` run now, counting
        it (a ConcurrentExecutions sample)."""
        self._queue.put(("conc", function, running, time.time()))

    def provisioned(self, function: str, qualifier: str, busy: int, allocated: int) -> None:
        """Provisioned environments of ``function:qualifier`` busy now, of ``allocated``
        (recorded when one is taken and when it is released)."""
        self._queue.put(("pc", function, qualifier, busy, allocated, time.time()))

    def event_age(self, function: str, qualifier: str | None, age_s: float) -> None:
        """An asynchronous event starts a run ``age_s`` after it was queued."""
        self._queue.put(("age", function, qualifier, age_s, time.time()))

    def dead_letter_error(self, function: str, qualifier: str | None) -> None:
        """An event's outcome could not be stored in its destination or the
        dead-letter store (it stays queued and is tried again)."""
        self._queue.put(("dle", function, qualifier, time.time()))

    def observe_logs(self, rows: Sequence[tuple[str, str, int, str]]) -> None:
        """Stored log events (group, stream, ts, message): EMF lines among them are
        parsed in this store's thread.  Called from the log writer thread."""
        emf_rows = [r for r in rows if emf.looks_like_emf(r[3])]
        if emf_rows:
            self._queue.put(("emf", emf_rows))

    # -- readers ----------------------------------------------------------------

    def query(
        self,
        namespace: str,
        name: str,
        dims: dict[str, str],
        start_ms: int,
        end_ms: int,
        period_s: int,
    ) -> list[Datapoint]:
        """Datapoints of one metric (exact dimension set) per period, oldest first."""
        with self._reader_lock:
            rows = self._reader.execute(
                "SELECT ts, value, unit FROM samples WHERE ns = ? AND name = ? AND dims = ? "
                "AND ts >= ? AND ts < ? ORDER BY ts",
                (namespace, name, dims_key(dims), start_ms, end_ms),
            ).fetchall()
        period_ms = max(1, period_s) * 1000
        groups: dict[int, list[float]] = {}
        units: dict[int, str] = {}
        for ts, value, unit in rows:
            bucket = ts - ts % period_ms
            groups.setdefault(bucket, []).append(value)
            units[bucket] = unit
        points = []
        for bucket in sorted(groups):
            values = sorted(groups[bucket])
            points.append(
                Datapoint(
                    bucket,
                    len(values),
                    math.fsum(values),
                    values[0],
                    values[-1],
                    percentile(values, 50),
                    percentile(values, 90),
                    percentile(values, 99),
                    units[bucket],
                )
            )
        return points

    def list_metrics(
        self, namespace: str | None = None, name: str | None = None
    ) -> list[tuple[str, str, dict[str, str]]]:
        """(namespace, metric name, dimensions) of every stored metric."""
        sql = "SELECT DISTINCT ns, name, dims FROM samples WHERE 1=1"
        args: list[Any] = []
        if namespace:
            sql += " AND ns = ?"
            args.append(namespace)
        if name:
            sql += " AND name = ?"
            args.append(name)
        with self._reader_lock:
            rows = self._reader.execute(sql + " ORDER BY ns, name, dims", args).fetchall()
        return [(ns, n, dict(orjson.loads(d))) for ns, n, d in rows]

    # -- the thread -------------------------------------------------------------

    def _store(self, db: sqlite3.Connection, items: list[Any]) -> bool:
        samples: list[Sample] = []
        for item in items:
            with contextlib.suppress(Exception):  # never let one item stop the thread
                samples.extend(self._expand(item))
        if samples:
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO samples (ns, name, dims, ts, value, unit) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        s.namespace,
                        s.name,
                        _dims_text(s.dimensions),
                        s.timestamp_ms,
                        s.value,
                        s.unit,
                    )
                    for s in samples
                ],
            )
            db.execute("COMMIT")
        return False

    def _housekeep(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM samples WHERE ts < ?", (_cutoff_ms(),))

    def _warn(self, group: str, stream: str, message: str) -> None:
        if self._log_writer is not None and group:
            self._log_writer(group, stream, int(time.time() * 1000), message)

    def _expand(self, item: Any) -> list[Sample]:
        kind = item[0]
        if kind == "emf":
            return self._parse_emf(item[1])
        if kind == "inv":
            return self._invocation_samples(*item[1:])
        if kind == "thr":
            _, function, qualifier, ts = item
            self._bump("Throttles", function, "", 1)
            return _lambda_samples(function, qualifier, None, ts, [("Throttles", 1.0, "Count")])
        if kind == "conc":
            _, function, running, ts = item
            return _lambda_samples(
                function, None, None, ts, [("ConcurrentExecutions", float(running), "Count")]
            )
        if kind == "pc":
            _, function, qualifier, busy, allocated, ts = item
            util = busy / allocated if allocated else 0.0
            with self._totals_lock:
                self.totals.gauges[("ProvisionedConcurrencyUtilization", function, qualifier)] = (
                    util
                )
            return _lambda_samples(
                function,
                qualifier,
                None,
                ts,
                [
                    ("ProvisionedConcurrentExecutions", float(busy), "Count"),
                    ("ProvisionedConcurrencyUtilization", util, "None"),
                ],
                by_function=False,
            )
        if kind == "age":
            _, function, qualifier, age_s, ts = item
            self._observe("AsyncEventAge", function, qualifier or "", age_s)
            return _lambda_samples(
                function, qualifier, None, ts, [("AsyncEventAge", age_s * 1000, "Milliseconds")]
            )
        if kind == "dle":
            _, function, qualifier, ts = item
            self._bump("DeadLetterErrors", function, qualifier or "", 1)
            return _lambda_samples(
                function, qualifier, None, ts, [("DeadLetterErrors", 1.0, "Count")]
            )
        raise ValueError(f"unknown metrics item {kind!r}")

    def _bump(self, metric: str, function: str, version: str, value: float) -> None:
        key = (metric, function, version)
        with self._totals_lock:
            self.totals.counters[key] = self.totals.counters.get(key, 0.0) + value

    def _observe(self, metric: str, function: str, version: str, seconds: float) -> None:
        key = (metric, function, version)
        with self._totals_lock:
            hist = self.totals.histograms.get(key)
            if hist is None:
                hist = self.totals.histograms[key] = _Histogram()
            hist.observe(seconds)

    def _invocation_samples(
        self,
        function: str,
        qualifier: str | None,
        version: str,
        ts: float,
        duration_ms: float,
        error: bool,
        cold: bool,
        init_ms: float | None,
        restore_ms: float | None,
    ) -> list[Sample]:
        values: list[tuple[str, float, str]] = [
            ("Invocations", 1.0, "Count"),
            ("Errors", 1.0 if error else 0.0, "Count"),
            ("Duration", duration_ms, "Milliseconds"),
            ("ColdStarts", 1.0 if cold else 0.0, "Count"),
        ]
        self._bump("Invocations", function, version, 1)
        if error:
            self._bump("Errors", function, version, 1)
        if cold:
            self._bump("ColdStarts", function, version, 1)
        self._observe("Duration", function, version, duration_ms / 1000)
        if init_ms is not None:
            values.append(("InitDuration", init_ms, "Milliseconds"))
            self._observe("InitDuration", function, version, init_ms / 1000)
        if restore_ms is not None:
            values.append(("RestoreDuration", restore_ms, "Milliseconds"))
            self._observe("RestoreDuration", function, version, restore_ms / 1000)
        return _lambda_samples(function, qualifier, version, ts, values)

    def _parse_emf(self, rows: list[tuple[str, str, int, str]]) -> list[Sample]:
        samples: list[Sample] = []
        for group, stream, ts, message in rows:
            try:
                parsed = emf.parse(message, ts)
            except emf.EmfError as exc:
                with self._totals_lock:
                    self.totals.emf_errors += 1
                self._warn(
                    group, stream, f"[snaplambda] WARNING invalid Embedded Metric Format: {exc}"
                )
                continue
            samples.extend(parsed)
        self._count_custom(samples)
        return samples

    def _count_custom(self, samples: list[Sample]) -> None:
        with self._totals_lock:
            for s in samples:
                key = (s.namespace, s.name, _dims_text(s.dimensions))
                count, total, _ = self.totals.custom.get(key, (0, 0.0, 0.0))
                self.totals.custom[key] = (count + 1, total + s.value, s.value)


def _lambda_samples(
    function: str,
    qualifier: str | None,
    version: str | None,
    ts: float,
    values: list[tuple[str, float, str]],
    by_function: bool = True,
) -> list[Sample]:
    """Each value under every AWS/Lambda dimension set that applies (``by_function``
    False: only per version and per qualifier, as Lambda's provisioned metrics)."""
    ts_ms = int(ts * 1000)
    dim_sets: list[tuple[tuple[str, str], ...]] = (
        [(("FunctionName", function),)] if by_function else []
    )
    if version is not None:
        dim_sets.append((("ExecutedVersion", version), ("FunctionName", function)))
    if qualifier:
        dim_sets.append((("FunctionName", function), ("Resource", f"{function}:{qualifier}")))
    return [
        Sample(NAMESPACE, name, dims, ts_ms, value, unit)
        for name, value, unit in values
        for dims in dim_sets
    ]
