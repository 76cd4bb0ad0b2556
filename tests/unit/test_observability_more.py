"""OTLP conversion, the log store's size cap, and the async worker's event age and
dead-letter-error hooks."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from snaplambda.asyncinvoke.eventconfig import EventInvokeConfig
from snaplambda.asyncinvoke.queue import EventQueue
from snaplambda.asyncinvoke.worker import AsyncWorker, Attempt
from snaplambda.config import from_environ
from snaplambda.observability.logstore import LogStore
from snaplambda.observability.metrics import NAMESPACE, MetricsStore
from snaplambda.observability.otlp import otel_trace_id, to_spans, traces_url
from snaplambda.observability.prometheus import exposition
from snaplambda.observability.traces import platform_segments


def test_otlp_ids_urls_and_spans() -> None:
    root = "1-5759e988-bd862e3fe1be46a994272793"
    assert otel_trace_id(root) == int("5759e988bd862e3fe1be46a994272793", 16)
    assert otel_trace_id("nonsense") is None
    assert traces_url("http://c:4318") == "http://c:4318/v1/traces"
    assert traces_url("http://c:4318/") == "http://c:4318/v1/traces"
    assert traces_url("http://c/otlp/v1/traces") == "http://c/otlp/v1/traces"
    header = f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1"
    service, func = platform_segments(
        header, "fn", "arn", "3", 100.0, 100.5, 200.0, 150.0, None, "E", "req-1"
    )
    assert to_spans(service, None)[0].parent is None
    spans = to_spans(func, {"faas.name": "fn"})
    names = [s.name for s in spans]
    assert names[0] == "fn" and set(names[1:]) == {"Initialization", "Invocation", "Overhead"}
    top = spans[0]
    assert top.context is not None and top.parent is not None
    assert f"{top.context.span_id:016x}" == "53995c3f42cd8ad8"
    assert f"{top.parent.span_id:016x}" == service["id"]
    for span in spans[1:]:
        assert span.parent is not None and span.parent.span_id == top.context.span_id
        assert span.context is not None and span.context.trace_id == top.context.trace_id
        assert span.attributes is not None and span.attributes["faas.name"] == "fn"
    assert top.start_time == 100_000_000_000 and top.end_time == 100_500_000_000
    assert to_spans({**func, "in_progress": True, "subsegments": []}, None) == []


def test_config_reads_otlp_and_log_cap_from_the_environment() -> None:
    cfg = from_environ({"SNAPLAMBDA_OTLP_ENDPOINT": "http://c:4318", "SNAPLAMBDA_LOG_MAX_MB": "5"})
    assert (cfg.otlp_endpoint, cfg.log_max_mb) == ("http://c:4318", 5.0)
    assert from_environ({}).otlp_endpoint is None
    assert from_environ({}).log_max_mb == 1024.0


def _used_bytes(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        size = db.execute("PRAGMA page_size").fetchone()[0]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        return int((pages - free) * size)
    finally:
        db.close()


def test_log_store_size_cap_deletes_the_oldest_events(tmp_path: Path) -> None:
    cap = 256 * 1024
    store = LogStore(tmp_path / "logs.db", max_bytes=cap)
    line = "x" * 1000
    for i in range(2000):  # ~2 MB of messages, 8x the cap
        store.append("/aws/lambda/a" if i % 2 else "/aws/lambda/b", "s", i, f"{i:05d} {line}")
        if i % 200 == 199:
            store.sync()
    store.sync()
    kept = store.filter("/aws/lambda/a") + store.filter("/aws/lambda/b")
    numbers = sorted(int(e.message[:5]) for e in kept)
    assert 50 < len(numbers) < 300
    assert numbers[-1] == 1999  # the newest stay ...
    assert numbers == list(range(numbers[0], 2000))  # ... the oldest went, in order
    store.close()
    assert _used_bytes(tmp_path / "logs.db") <= cap
    # The file: at most the cap plus one write batch (freed pages are reused).
    assert (tmp_path / "logs.db").stat().st_size < 3 * cap


def test_worker_reports_event_age_and_dead_letter_errors(tmp_path: Path) -> None:
    ages: list[tuple[str, str | None, float]] = []
    errors: list[tuple[str, str | None]] = []

    async def run(name: str, qualifier: str | None, payload: bytes, request_id: str) -> Attempt:
        return Attempt(b'{"errorType": "E"}', "E", "$LATEST")

    async def scenario() -> None:
        queue = EventQueue(tmp_path / "events.db")
        worker = AsyncWorker(
            queue,
            run,
            lambda name, qualifier: EventInvokeConfig(name, "$LATEST", max_retry_attempts=0),
            lambda name, version: f"arn:{name}:{version}",
            (30.0,),
            (0.01, 0.05),
            10,
        )
        worker.on_start = lambda f, q, age: ages.append((f, q, age))
        worker.on_dead_letter_error = lambda f, q: errors.append((f, q))

        def broken_bury(*args: object) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        queue.bury = broken_bury  # type: ignore[method-assign]
        worker.start()
        worker.enqueue("f", "live", b"{}")
        for _ in range(200):
            if errors:
                break
            await asyncio.sleep(0.02)
        await worker.stop()
        assert queue.count() == 1  # not lost: it stays queued for another try
        queue.close()

    asyncio.run(scenario())
    assert [(f, q) for f, q, _ in ages] == [("f", "live")]
    assert ages[0][2] >= 0.0
    assert errors == [("f", "live")]


def test_metric_store_records_the_new_platform_metrics(tmp_path: Path) -> None:
    store = MetricsStore(tmp_path / "metrics.db")
    store.provisioned("f", "live", 1, 4)
    store.provisioned("f", "live", 0, 4)
    store.event_age("f", None, 2.5)
    store.dead_letter_error("f", None)
    store.sync()
    span = (0, 2**62)
    pcu = store.query(
        NAMESPACE,
        "ProvisionedConcurrencyUtilization",
        {"FunctionName": "f", "Resource": "f:live"},
        *span,
        3600,
    )
    assert [(p.maximum, p.minimum) for p in pcu] == [(0.25, 0.0)]
    # Provisioned metrics are per alias or version only.
    assert not store.query(
        NAMESPACE, "ProvisionedConcurrencyUtilization", {"FunctionName": "f"}, *span, 3600
    )
    (age,) = store.query(NAMESPACE, "AsyncEventAge", {"FunctionName": "f"}, *span, 3600)
    assert (age.maximum, age.unit) == (2500.0, "Milliseconds")
    (dle,) = store.query(NAMESPACE, "DeadLetterErrors", {"FunctionName": "f"}, *span, 3600)
    assert dle.sum == 1.0
    text = exposition(store, {"f": 2}).decode()
    assert 'snaplambda_concurrent_executions{function="f"} 2.0' in text
    assert 'snaplambda_dead_letter_errors_total{function="f",version=""} 1.0' in text
    assert 'snaplambda_async_event_age_seconds_sum{function="f",version=""} 2.5' in text
    assert 'snaplambda_provisioned_concurrency_utilization{function="f",qualifier="live"} 0.0' in (
        text
    )
    store.close()


@pytest.mark.parametrize("cap", [None, 0])
def test_log_store_without_a_cap_keeps_everything(tmp_path: Path, cap: int | None) -> None:
    store = LogStore(tmp_path / "logs.db", max_bytes=cap)
    for i in range(300):
        store.append("g", "s", i, "y" * 1000)
    store.sync()
    assert len(store.filter("g")) == 300
    store.close()
