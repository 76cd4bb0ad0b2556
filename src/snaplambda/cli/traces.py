"""``snaplambda traces``: recent X-Ray traces, or one trace as a timeline."""

from __future__ import annotations

import time
from typing import Annotated, Any, Optional

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from . import render
from .common import (
    EndpointOpt,
    Output,
    OutputOpt,
    connect,
    fail,
    note,
    print_json,
    show_table,
)

_WIDTH = 36


def timeline_table(trace: dict[str, Any]) -> Table:
    """Each span as a bar placed on the trace's time axis."""
    spans = trace["Timeline"]
    t0 = min(s["start"] for s in spans)
    t1 = max((s["end"] or s["start"]) for s in spans)
    total = max(t1 - t0, 1e-6)
    table = Table(
        title=f"trace {trace['Id']} ({total * 1000:.1f} ms)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("span")
    table.add_column("ms", justify="right")
    table.add_column("timeline")
    for s in spans:
        end = s["end"] if s["end"] is not None else s["start"]
        offset = round((s["start"] - t0) / total * _WIDTH)
        width = max(1, round((end - s["start"]) / total * _WIDTH))
        style = "red" if s["error"] else "green" if s["depth"] == 0 else "cyan"
        label = "  " * s["depth"] + s["name"] + (f" [{s['origin']}]" if s["origin"] else "")
        bar = Text(" " * offset)
        bar.append("█" * min(width, _WIDTH - offset or 1), style=style)
        table.add_row(Text(label), f"{(end - s['start']) * 1000:.1f}", bar)
    return table


def traces(
    trace_id: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
        typer.Argument(
            metavar="[TRACE_ID]", help="A trace id to show as a timeline; none lists recent traces."
        ),
    ] = None,
    function: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--function", "-f", metavar="NAME", help="Only traces of this function."),
    ] = None,
    limit: Annotated[int, typer.Option(help="How many traces to list.")] = 20,
    endpoint: EndpointOpt = None,
    output: OutputOpt = Output.text,
) -> None:
    """List recent X-Ray traces, or show one as a timeline."""
    with connect(endpoint, timeout=30) as client:
        if trace_id:
            trace = client.trace(trace_id)
            if trace is None:
                raise fail(f"no trace {trace_id}")
            if output is Output.json:
                print_json(trace)
            else:
                show_table(timeline_table(trace))
            return
        found = client.traces(function, limit)
    if output is Output.json:
        print_json({"Traces": found})
        return
    if not found:
        note("no traces")
        return
    rows = [
        (
            t["Id"],
            t["Name"],
            time.strftime("%H:%M:%S", time.gmtime(t["Start"])),
            f"{t['Duration'] * 1000:.1f}",
            str(t["Segments"]),
            "yes" if t["HasFault"] else "",
        )
        for t in found
    ]
    columns = ("TRACE ID", "FUNCTION", "STARTED", "MS", "SEGMENTS", "FAULT")
    show_table(render.table(columns, rows, right=("MS", "SEGMENTS")))
