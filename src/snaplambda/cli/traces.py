"""``snaplambda traces``: recent X-Ray traces, or one trace as a timeline."""

from __future__ import annotations

import time
from typing import Annotated, Any, Optional

import httpx
import typer
from rich.console import Console
from rich.table import Table

from ..client.api import Client
from .common import EndpointOpt, endpoint_url, fail

_WIDTH = 50


def timeline_table(trace: dict[str, Any]) -> Table:
    """Each span as a bar placed on the trace's time axis."""
    spans = trace["Timeline"]
    t0 = min(s["start"] for s in spans)
    t1 = max((s["end"] or s["start"]) for s in spans)
    total = max(t1 - t0, 1e-6)
    table = Table(title=f"trace {trace['Id']} ({total * 1000:.1f} ms)", title_justify="left")
    table.add_column("span")
    table.add_column("ms", justify="right")
    table.add_column("timeline")
    for s in spans:
        end = s["end"] if s["end"] is not None else s["start"]
        offset = round((s["start"] - t0) / total * _WIDTH)
        width = max(1, round((end - s["start"]) / total * _WIDTH))
        style = "red" if s["error"] else "green" if s["depth"] == 0 else "cyan"
        label = "  " * s["depth"] + s["name"] + (f" [{s['origin']}]" if s["origin"] else "")
        table.add_row(
            label,
            f"{(end - s['start']) * 1000:.1f}",
            " " * offset + f"[{style}]" + "█" * min(width, _WIDTH - offset or 1) + f"[/{style}]",
        )
    return table


def traces(
    trace_id: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
        typer.Argument(help="A trace id to show as a timeline; none lists recent traces."),
    ] = None,
    function: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--function", "-f", help="Only traces of this function."),
    ] = None,
    limit: Annotated[int, typer.Option(help="How many traces to list.")] = 20,
    endpoint: EndpointOpt = None,
) -> None:
    """List recent X-Ray traces, or show one as a timeline."""
    url = endpoint_url(endpoint)
    console = Console()
    try:
        with Client(url, timeout=30) as client:
            if trace_id:
                trace = client.trace(trace_id)
                if trace is None:
                    raise fail(f"no trace {trace_id}")
                console.print(timeline_table(trace))
                return
            found = client.traces(function, limit)
    except httpx.HTTPError as exc:
        raise fail(f"cannot read traces: {exc}") from exc
    if not found:
        console.print("no traces")
        return
    table = Table()
    table.add_column("trace id", no_wrap=True)
    for column in ("function", "started", "ms", "segments", "fault"):
        table.add_column(column)
    for t in found:
        started = time.strftime("%H:%M:%S", time.gmtime(t["Start"]))
        table.add_row(
            t["Id"],
            t["Name"],
            started,
            f"{t['Duration'] * 1000:.1f}",
            str(t["Segments"]),
            "yes" if t["HasFault"] else "",
        )
    console.print(table)
