"""ProvisionedConcurrencyUtilization and AsyncEventAge from a real server, through
CloudWatch's GetMetricStatistics, the JSON series and Prometheus."""

from __future__ import annotations

import datetime
import time
from typing import Any

import httpx

from tests.functional.test_provisioned import published, wait_status
from tests.support import Server, create, invoke, zip_function


def _stats(server: Server, metric: str, dims: dict[str, str], stat: str) -> list[float]:
    cw = server.client("cloudwatch")
    now = datetime.datetime.now(datetime.UTC)
    got = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=now - datetime.timedelta(hours=1),
        EndTime=now + datetime.timedelta(minutes=1),
        Period=3600,
        Statistics=[stat],
    )
    return [p[stat] for p in got["Datapoints"]]


def _poll(check: Any, expected: Any) -> Any:
    """``check()`` once it returns ``expected`` (what it last returned after 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        value = check()
        if value == expected or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_provisioned_concurrency_utilization(server: Server, lam: Any) -> None:
    alias = published(lam, "mx-pcu")
    lam.put_provisioned_concurrency_config(
        FunctionName="mx-pcu", Qualifier=alias, ProvisionedConcurrentExecutions=2
    )
    wait_status(lam, "mx-pcu", alias, "READY")
    body = invoke(lam, "mx-pcu", {}, Qualifier=alias)["Body"]
    assert body["initType"] == "provisioned-concurrency"
    dims = {"FunctionName": "mx-pcu", "Resource": f"mx-pcu:{alias}"}
    # One of two busy while it ran, none after.
    maxima = _poll(
        lambda: _stats(server, "ProvisionedConcurrencyUtilization", dims, "Maximum"), [0.5]
    )
    assert maxima == [0.5]
    assert _stats(server, "ProvisionedConcurrencyUtilization", dims, "Minimum") == [0.0]
    assert _stats(server, "ProvisionedConcurrentExecutions", dims, "Maximum") == [1.0]
    text = httpx.get(f"{server.endpoint}/metrics", timeout=30).text
    assert (
        'snaplambda_provisioned_concurrency_utilization{function="mx-pcu",qualifier="live"} 0.0'
        in text
    )
    series = httpx.get(
        f"{server.endpoint}/_snaplambda/metrics/mx-pcu",
        params={"metric": "ProvisionedConcurrencyUtilization", "qualifier": alias},
        timeout=30,
    ).json()
    assert max(p["maximum"] for p in series["datapoints"]) == 0.5
    lam.delete_provisioned_concurrency_config(FunctionName="mx-pcu", Qualifier=alias)


def test_async_event_age(server: Server, lam: Any) -> None:
    create(lam, "mx-age", zip_function("basic"))
    for _ in range(2):
        lam.invoke(FunctionName="mx-age", InvocationType="Event", Payload=b"{}")
    dims = {"FunctionName": "mx-age"}
    counts = _poll(lambda: _stats(server, "AsyncEventAge", dims, "SampleCount"), [2.0])
    assert counts == [2.0]
    (largest,) = _stats(server, "AsyncEventAge", dims, "Maximum")
    assert largest >= 0.0
    # The synchronous invoke adds nothing.
    invoke(lam, "mx-age", {})
    assert _stats(server, "AsyncEventAge", dims, "SampleCount") == [2.0]
    text = httpx.get(f"{server.endpoint}/metrics", timeout=30).text
    assert 'snaplambda_async_event_age_seconds_count{function="mx-age",version=""} 2.0' in text
