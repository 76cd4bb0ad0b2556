"""``snaplambda stats``: cold starts, provisioned utilization and idle memory by qualifier."""

from __future__ import annotations

from typing import Annotated

import typer

from . import render
from .common import EndpointOpt, Output, OutputOpt, connect, print_json, say, show_table


def stats(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Function name.")],
    endpoint: EndpointOpt = None,
    output: OutputOpt = Output.text,
) -> None:
    """Cold starts, provisioned use and idle memory by qualifier (beyond AWS)."""
    with connect(endpoint) as client:
        doc = client.stats(name)
    if output is Output.json:
        print_json(doc)
        return
    keep = doc["KeepAlive"]
    say(
        f"keep-alive: {keep['Policy']} ({keep.get('Source', 'fixed')}) "
        f"{keep['KeepAliveSeconds']:.0f} s, pre-warm {keep.get('PreWarmSeconds', 0):.0f} s"
    )
    rows = []
    for qualifier, row in sorted(doc["Qualifiers"].items()):
        pc = row.get("Provisioned")
        rows.append(
            (
                qualifier,
                str(row["Invocations"]),
                str(row["ColdStarts"]),
                f"{row['ColdStartRate']:.1%}",
                f"{row.get('IdleGBSeconds', 0.0):.1f}",
                f"{pc['Allocated']}/{pc['Requested']} {pc['Status']}" if pc else "-",
                f"{pc['Utilization']:.1%}" if pc else "-",
                str(pc["SpillOvers"]) if pc else "-",
            )
        )
    columns = ("QUALIFIER", "INVOKES", "COLD", "RATE", "IDLE GB-S", "PROVISIONED", "UTIL", "SPILL")
    numbers = ("INVOKES", "COLD", "RATE", "IDLE GB-S", "UTIL", "SPILL")
    show_table(render.table(columns, rows, right=numbers))
