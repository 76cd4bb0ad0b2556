from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from snaplambda.observability import emf
from snaplambda.observability.metrics import MetricsStore, percentile

NOW_MS = int(time.time() * 1000)


def _doc(**over: object) -> str:
    doc: dict[str, object] = {
        "_aws": {
            "Timestamp": NOW_MS,
            "CloudWatchMetrics": [
                {
                    "Namespace": "ns",
                    "Dimensions": [["service"], []],
                    "Metrics": [{"Name": "m", "Unit": "Count", "StorageResolution": 1}],
                }
            ],
        },
        "service": "svc",
        "m": [1.0, 2],
    }
    doc.update(over)
    return json.dumps(doc)


def test_emf_parse_lists_and_dimension_sets() -> None:
    samples = emf.parse(_doc(), 5)
    assert len(samples) == 4
    assert {s.dimensions for s in samples} == {(("service", "svc"),), ()}
    assert samples[0].unit == "Count" and samples[0].storage_resolution == 1
    assert samples[0].timestamp_ms == NOW_MS


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"_aws": ', "not JSON"),
        ('{"_aws": 1}', "_aws is not an object"),
        (_doc(m="x"), "not a number"),
        (_doc(service=None).replace('"service": null, ', ""), "has no value"),
        (json.dumps({"_aws": {"CloudWatchMetrics": []}}), "non-empty list"),
    ],
)
def test_emf_errors_name_the_problem(line: str, reason: str) -> None:
    with pytest.raises(emf.EmfError, match=reason):
        emf.parse(line, 0)


def test_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99
    assert percentile([], 50) == 0.0


def test_store_records_and_queries(tmp_path: Path) -> None:
    warnings: list[str] = []
    store = MetricsStore(tmp_path / "m.db", lambda g, s, t, m: warnings.append(m))
    try:
        for i in range(10):
            store.concurrency("fn", 1)
            store.invocation(
                "fn", "live", "3", float(i + 1), i == 0, i == 0, 50.0 if i == 0 else None, None
            )
        store.observe_logs(
            [("g", "s", 1, _doc()), ("g", "s", 1, '{"_aws": 3}'), ("g", "s", 1, "plain")]
        )
        store.sync()
        now = int(time.time() * 1000)
        points = store.query("AWS/Lambda", "Duration", {"FunctionName": "fn"}, 0, now + 1, 3600)
        assert sum(p.sample_count for p in points) == 10
        by_alias = store.query(
            "AWS/Lambda",
            "Invocations",
            {"FunctionName": "fn", "Resource": "fn:live"},
            0,
            now + 1,
            3600,
        )
        assert sum(p.sum for p in by_alias) == 10
        assert store.totals.counters[("Errors", "fn", "3")] == 1
        assert store.totals.histograms[("InitDuration", "fn", "3")].count == 1
        assert store.query("ns", "m", {"service": "svc"}, 0, now + 1, 60)[0].sum == 3
        assert len(warnings) == 1 and "invalid Embedded Metric Format" in warnings[0]
        assert store.totals.emf_errors == 1
        assert ("ns", "m", {}) in store.list_metrics("ns")
        (conc,) = store.query(
            "AWS/Lambda", "ConcurrentExecutions", {"FunctionName": "fn"}, 0, now + 1, 3600
        )
        assert (conc.sample_count, conc.maximum, conc.unit) == (10, 1.0, "Count")
    finally:
        store.close()
