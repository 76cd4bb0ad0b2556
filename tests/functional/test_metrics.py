"""Platform and custom (EMF) metrics: the Prometheus endpoint and the JSON series."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import Server, create, invoke, zip_function


@pytest.fixture(scope="module")
def emf_fn(lam: Any) -> str:
    create(lam, "mx-emf", zip_function("emf"), handler="app.handler")
    return "mx-emf"


def _series(server: Server, name: str, **params: Any) -> dict[str, Any]:
    r = httpx.get(f"{server.endpoint}/_snaplambda/metrics/{name}", params=params, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _total(series: dict[str, Any], field: str = "sum") -> float:
    return sum(p[field] for p in series["datapoints"])


def test_platform_metrics(server: Server, lam: Any, emf_fn: str) -> None:
    invoke(lam, emf_fn, {})
    invoke(lam, emf_fn, {})
    failed = invoke(lam, emf_fn, {"fail": True})
    assert failed["FunctionError"] == "Unhandled"
    assert _total(_series(server, emf_fn, metric="Invocations")) == 3
    assert _total(_series(server, emf_fn, metric="Errors")) == 1
    assert _total(_series(server, emf_fn, metric="ColdStarts")) == 1
    duration = _series(server, emf_fn, metric="Duration")["datapoints"]
    assert sum(p["count"] for p in duration) == 3
    # Nearest rank: of at most 100 samples, p99 is the largest.
    assert all(p["p99"] == p["maximum"] and p["p50"] > 0 for p in duration)
    init = _series(server, emf_fn, metric="InitDuration")["datapoints"]
    assert sum(p["count"] for p in init) == 1
    conc = _series(server, emf_fn, metric="ConcurrentExecutions")["datapoints"]
    assert max(p["maximum"] for p in conc) >= 1
    # By version: $LATEST ran; nothing under a Resource dimension (no qualifier).
    by_version = _series(server, emf_fn, metric="Invocations", dimension="ExecutedVersion=$LATEST")
    assert _total(by_version) == 3


def test_throttles_are_counted(server: Server, lam: Any) -> None:
    create(lam, "mx-throttled", zip_function("emf"), handler="app.handler")
    lam.put_function_concurrency(FunctionName="mx-throttled", ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.invoke(FunctionName="mx-throttled", Payload=b"{}")
    assert _total(_series(server, "mx-throttled", metric="Throttles")) == 1
    # A throttled call never ran: it is no concurrent execution.
    assert not _series(server, "mx-throttled", metric="ConcurrentExecutions")["datapoints"]
    text = httpx.get(f"{server.endpoint}/metrics", timeout=30).text
    assert 'snaplambda_throttles_total{function="mx-throttled",version=""} 1.0' in text


def test_alias_resource_dimension(server: Server, lam: Any) -> None:
    create(lam, "mx-alias", zip_function("emf"), handler="app.handler")
    version = lam.publish_version(FunctionName="mx-alias")["Version"]
    lam.create_alias(FunctionName="mx-alias", Name="live", FunctionVersion=version)
    invoke(lam, "mx-alias", {}, Qualifier="live")
    by_alias = _series(server, "mx-alias", metric="Invocations", qualifier="live")
    assert _total(by_alias) == 1
    assert by_alias["dimensions"] == {"FunctionName": "mx-alias", "Resource": "mx-alias:live"}


def test_emf_custom_metrics_and_malformed_lines(server: Server, lam: Any, emf_fn: str) -> None:
    logs = server.client("logs")
    out = invoke(lam, emf_fn, {"emf": True, "bad_emf": True})
    assert '"_aws"' in out["Log"]  # EMF lines stay log lines
    custom = _series(
        server, emf_fn, namespace="ShopApp", metric="Orders", dimension="service=checkout"
    )
    assert _total(custom) == 6 and _total(custom, "count") == 3
    assert custom["datapoints"][0]["unit"] == "Count"
    events = logs.filter_log_events(
        logGroupName=f"/aws/lambda/{emf_fn}", filterPattern="invalid Embedded Metric Format"
    )["events"]
    assert len(events) == 1
    assert "Metrics is not a non-empty list" in events[0]["message"]
    text = httpx.get(f"{server.endpoint}/metrics", timeout=30).text
    assert (
        'snaplambda_custom_metric_sum_total{dimensions="[[\\"service\\",\\"checkout\\"]]",'
        'metric="Orders",namespace="ShopApp"} 6.0' in text
    )
    assert "snaplambda_emf_errors_total 1.0" in text
    assert f'snaplambda_invocations_total{{function="{emf_fn}",version="$LATEST"}}' in text
    assert "snaplambda_duration_seconds_bucket" in text
    # The function keeps working after a malformed line.
    assert invoke(lam, emf_fn, {})["Body"] == "ok"


def test_metrics_cli_charts(server: Server, lam: Any, emf_fn: str) -> None:
    from tests.functional.test_cli import cli

    invoke(lam, emf_fn, {"emf": True})
    out = cli("metrics", emf_fn, "--endpoint", server.endpoint, "--period", "10")
    assert out.returncode == 0, out.stderr
    assert "Invocations (sum, 10s)" in out.stdout and "Duration (p99, 10s)" in out.stdout
    assert "█" in out.stdout
    custom = cli(
        "metrics",
        emf_fn,
        "--namespace",
        "ShopApp",
        "-m",
        "Orders",
        "-d",
        "service=checkout",
        "--endpoint",
        server.endpoint,
    )
    assert custom.returncode == 0, custom.stderr
    assert "Orders (sum, 60s)" in custom.stdout
    none = cli("metrics", "no-such-fn", "--endpoint", server.endpoint)
    assert none.returncode == 0 and "no data" in none.stderr and not none.stdout


def test_cloudwatch_get_metric_statistics_and_data(server: Server, lam: Any) -> None:
    import datetime

    create(lam, "mx-cw", zip_function("emf"), handler="app.handler")
    for _ in range(3):
        invoke(lam, "mx-cw", {"emf": True})
    cw = server.client("cloudwatch")
    now = datetime.datetime.now(datetime.UTC)
    window = {
        "StartTime": now - datetime.timedelta(hours=1),
        "EndTime": now + datetime.timedelta(minutes=1),
    }
    stats = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Invocations",
        Dimensions=[{"Name": "FunctionName", "Value": "mx-cw"}],
        Period=3600,
        Statistics=["Sum", "SampleCount"],
        **window,
    )
    assert sum(p["Sum"] for p in stats["Datapoints"]) == 3
    assert isinstance(stats["Datapoints"][0]["Timestamp"], datetime.datetime)
    duration = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Duration",
        Dimensions=[{"Name": "FunctionName", "Value": "mx-cw"}],
        Period=3600,
        Statistics=["Maximum"],
        ExtendedStatistics=["p99", "p50"],
        **window,
    )
    point = duration["Datapoints"][0]
    assert point["ExtendedStatistics"]["p99"] == point["Maximum"]  # nearest rank, 3 samples
    assert point["ExtendedStatistics"]["p50"] > 0
    data = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "orders",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "ShopApp",
                        "MetricName": "Orders",
                        "Dimensions": [{"Name": "service", "Value": "checkout"}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        **window,
    )
    result = data["MetricDataResults"][0]
    assert result["Id"] == "orders" and sum(result["Values"]) >= 18  # 6 per invoke
    listed = cw.list_metrics(Namespace="ShopApp", MetricName="Orders")["Metrics"]
    assert {"Name": "service", "Value": "checkout"} in listed[0]["Dimensions"]
    with pytest.raises(cw.exceptions.ClientError):
        cw.get_metric_statistics(
            Namespace="AWS/Lambda", MetricName="Duration", Period=7, Statistics=["Sum"], **window
        )
