"""``snaplambda metrics NAME``: a function's metrics over time as terminal charts."""

from __future__ import annotations

import time
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from .common import EndpointOpt, Output, OutputOpt, connect, console, note, print_json

_CHARTS = (
    ("Invocations", "sum", ""),
    ("Errors", "sum", ""),
    ("Throttles", "sum", ""),
    ("ColdStarts", "sum", ""),
    ("Duration", "p50", "ms"),
    ("Duration", "p99", "ms"),
    ("InitDuration", "average", "ms"),
    ("RestoreDuration", "average", "ms"),
    ("ConcurrentExecutions", "maximum", ""),
    ("ProvisionedConcurrencyUtilization", "maximum", ""),
    ("AsyncEventAge", "maximum", "ms"),
    ("DeadLetterErrors", "sum", ""),
)
_BAR = 40


def chart(series: dict[str, Any], stat: str, unit: str, title: str) -> Table | None:
    """One bar per period; None when the metric has no data."""
    points = series["datapoints"]
    if not points:
        return None
    top = max(p[stat] for p in points) or 1.0
    table = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    table.add_column("time", style="dim")
    table.add_column("value", justify="right")
    table.add_column("bar")
    for p in points:
        stamp = time.strftime("%H:%M:%S", time.gmtime(p["timestamp"] / 1000))
        value = p[stat]
        shown = f"{value:.2f} {unit}".strip() if unit else f"{value:g}"
        table.add_row(stamp, shown, "█" * max(1 if value else 0, round(value / top * _BAR)))
    return table


def metrics(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Function name.")],
    metric: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
        typer.Option(
            "--metric", "-m", metavar="METRIC", help="One metric (default: all platform metrics)."
        ),
    ] = None,
    namespace: Annotated[
        str,
        typer.Option(
            metavar="NAMESPACE", help="AWS/Lambda, or the namespace of a custom (EMF) metric."
        ),
    ] = "AWS/Lambda",
    dimension: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--dimension",
            "-d",
            metavar="NAME=VALUE",
            help="NAME=VALUE of a custom metric (repeat).",
        ),
    ] = None,
    qualifier: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(metavar="VERSION|ALIAS", help="A version or alias (the Resource dimension)."),
    ] = None,
    minutes: Annotated[int, typer.Option(help="How far back.")] = 60,
    period: Annotated[int, typer.Option(help="Seconds per bar.")] = 60,
    stat: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            metavar="STAT", help="sum, average, minimum, maximum, count, p50, p90 or p99."
        ),
    ] = None,
    endpoint: EndpointOpt = None,
    output: OutputOpt = Output.text,
) -> None:
    """Chart a function's metrics (Invocations, Errors, Duration p50/p99, ...)."""
    charts = (
        [(metric, stat or ("p50" if "Duration" in metric else "sum"), "")]
        if metric
        else [(m, stat or s, u) for m, s, u in _CHARTS]
    )
    params: dict[str, Any] = {"minutes": minutes, "period": period, "namespace": namespace}
    if qualifier:
        params["qualifier"] = qualifier
    if dimension:
        params["dimension"] = dimension
    found: list[dict[str, Any]] = []
    with connect(endpoint, timeout=30) as client:
        for name_, stat_, unit in charts:
            series = client.metric_series(name, {"metric": name_, **params})
            if series["datapoints"]:
                found.append({**series, "stat": stat_, "unit": unit})
    if output is Output.json:
        print_json({"Metrics": found})
        return
    for series in found:
        title = f"{series['metric']} ({series['stat']}, {period}s)"
        table = chart(series, series["stat"], series["unit"], title)
        if table is not None:
            console.print(table)
            console.print()
    if not found:
        note(f"no data for {name} in the last {minutes} minutes")
