"""``snaplambda stats``: cold starts, provisioned utilization and idle memory by qualifier."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import EndpointOpt, connect, console


def stats(
    name: Annotated[str, typer.Argument(help="Function name.")],
    endpoint: EndpointOpt = None,
) -> None:
    """Cold starts, provisioned utilization, idle memory and spill-overs of a function,
    by qualifier (beyond AWS)."""
    with connect(endpoint) as client:
        doc = client.stats(name)
    keep = doc["KeepAlive"]
    console.print(
        f"keep-alive: {keep['Policy']} ({keep.get('Source', 'fixed')}) "
        f"{keep['KeepAliveSeconds']:.0f} s, pre-warm {keep.get('PreWarmSeconds', 0):.0f} s",
        highlight=False,
    )
    console.print(
        "qualifier\tinvokes\tcold\tcold rate\tidle GB-s\tprovisioned\tutil\tspill-overs",
        highlight=False,
    )
    for qualifier, row in sorted(doc["Qualifiers"].items()):
        pc = row.get("Provisioned")
        provisioned = f"{pc['Allocated']}/{pc['Requested']} {pc['Status']}" if pc else "-"
        console.print(
            f"{qualifier}\t{row['Invocations']}\t{row['ColdStarts']}\t"
            f"{row['ColdStartRate']:.1%}\t{row.get('IdleGBSeconds', 0.0):.1f}\t{provisioned}\t"
            + (f"{pc['Utilization']:.1%}\t{pc['SpillOvers']}" if pc else "-\t-"),
            highlight=False,
        )
