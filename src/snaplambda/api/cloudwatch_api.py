"""A CloudWatch subset over its JSON protocol (``X-Amz-Target:
GraniteServiceVersion20100801.*``, as boto3 sends it): GetMetricStatistics,
GetMetricData (``MetricStat`` queries) and ListMetrics over the metric store."""

from __future__ import annotations

import asyncio
from typing import Any

from ..observability.metrics import Datapoint, MetricsStore
from . import schemas
from .errors import ApiError
from .fields import check_fields


def _invalid(message: str) -> ApiError:
    return ApiError("InvalidParameterValue", 400, message)


def _dims(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise _invalid("Dimensions must be a list")
    out = {}
    for item in value:
        if not isinstance(item, dict) or item.get("Name") is None or item.get("Value") is None:
            raise _invalid(f"Dimension {item!r} needs Name and Value")
        out[str(item["Name"])] = str(item["Value"])
    return out


def _range(body: dict[str, Any]) -> tuple[int, int]:
    try:
        start, end = float(body["StartTime"]), float(body["EndTime"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError("MissingParameter", 400, "StartTime and EndTime are required") from exc
    if end <= start:
        raise _invalid("The parameter StartTime must be less than the parameter EndTime.")
    return int(start * 1000), int(end * 1000)


def _period(value: Any) -> int:
    if not isinstance(value, int) or value < 1 or (value not in (1, 5, 10, 30) and value % 60):
        raise _invalid(f"Period {value!r} must be 1, 5, 10, 30 or a multiple of 60")
    return value


def _stat(point: Datapoint, name: str) -> float:
    try:
        return point.stat(name)
    except KeyError:
        supported = "SampleCount, Average, Sum, Minimum, Maximum, p50, p90, p99"
        raise _invalid(f"Statistic {name!r} is not supported (use {supported})") from None


def _query(
    store: MetricsStore, metric: dict[str, Any], start: int, end: int, period: Any
) -> list[Datapoint]:
    """The datapoints of ``metric`` (Namespace, MetricName, Dimensions) per period."""
    return store.query(
        str(metric.get("Namespace", "")),
        str(metric.get("MetricName", "")),
        _dims(metric.get("Dimensions")),
        start,
        end,
        _period(period),
    )


def _get_metric_statistics(store: MetricsStore, body: dict[str, Any]) -> dict[str, Any]:
    start, end = _range(body)
    period = _period(body.get("Period"))
    stats = body.get("Statistics") or []
    extended = body.get("ExtendedStatistics") or []
    if not stats and not extended:
        raise _invalid("Statistics or ExtendedStatistics must be given")
    points = _query(store, body, start, end, period)
    datapoints = []
    for p in points:
        doc: dict[str, Any] = {"Timestamp": p.timestamp_ms / 1000, "Unit": p.unit}
        for name in stats:
            doc[name] = _stat(p, name)
        if extended:
            doc["ExtendedStatistics"] = {name: _stat(p, name) for name in extended}
        datapoints.append(doc)
    return {"Label": body.get("MetricName", ""), "Datapoints": datapoints}


def _get_metric_data(store: MetricsStore, body: dict[str, Any]) -> dict[str, Any]:
    start, end = _range(body)
    queries = body.get("MetricDataQueries") or []
    if not isinstance(queries, list) or not queries:
        raise _invalid("MetricDataQueries must be a non-empty list")
    descending = body.get("ScanBy", "TimestampDescending") == "TimestampDescending"
    results = []
    for query in queries:
        stat = query.get("MetricStat")
        if not isinstance(stat, dict):
            raise _invalid(
                f"Query {query.get('Id')!r}: only MetricStat queries are supported (no Expression)"
            )
        metric = stat.get("Metric") or {}
        points = _query(store, metric, start, end, stat.get("Period"))
        if descending:
            points = points[::-1]
        if query.get("ReturnData", True) is False:
            continue
        results.append(
            {
                "Id": query.get("Id"),
                "Label": query.get("Label") or metric.get("MetricName", ""),
                "Timestamps": [p.timestamp_ms / 1000 for p in points],
                "Values": [_stat(p, str(stat.get("Stat", "Average"))) for p in points],
                "StatusCode": "Complete",
            }
        )
    return {"MetricDataResults": results, "Messages": []}


def _list_metrics(store: MetricsStore, body: dict[str, Any]) -> dict[str, Any]:
    # ListMetrics' dimension filters may leave out the Value: any value matches.
    wanted = _dims(
        [
            {"Name": d.get("Name"), "Value": d.get("Value") or ""}
            for d in body.get("Dimensions") or []
        ]
    )
    metrics = []
    for ns, name, dims in store.list_metrics(body.get("Namespace"), body.get("MetricName")):
        if any(k not in dims or (v and dims[k] != v) for k, v in wanted.items()):
            continue
        metrics.append(
            {
                "Namespace": ns,
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(dims.items())],
            }
        )
    return {"Metrics": metrics}


_OPERATIONS = {
    "GetMetricStatistics": _get_metric_statistics,
    "GetMetricData": _get_metric_data,
    "ListMetrics": _list_metrics,
}


async def handle(store: MetricsStore, sync: Any, operation: str, body: dict[str, Any]) -> Any:
    """Run one CloudWatch operation after everything recorded so far is stored."""
    handler = _OPERATIONS.get(operation)
    if handler is None:
        raise ApiError(
            "InvalidAction",
            400,
            f"CloudWatch operation '{operation}' is not implemented by snaplambda",
        )
    check_fields(body, schemas.CLOUDWATCH[operation], "InvalidParameterValue")
    await asyncio.to_thread(sync)
    return await asyncio.to_thread(handler, store, body)
