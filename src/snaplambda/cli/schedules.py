"""``snaplambda schedules``: every EventBridge rule and Scheduler schedule with its
state, targets and next fire, one tab-separated line each."""

from __future__ import annotations

import sys

from .common import EndpointOpt, Output, OutputOpt, connect, err, print_json


def schedules(endpoint: EndpointOpt = None, output: OutputOpt = Output.text) -> None:
    """EventBridge rules and Scheduler schedules: kind, name, expression (with its
    time zone), state, next fire (UTC) and targets (beyond AWS: one view of both)."""
    with connect(endpoint) as client:
        doc = client.schedules()
    if output is Output.json:
        print_json(doc)
        return
    for item in doc["Schedules"]:
        expression = item["ScheduleExpression"]
        if item.get("Timezone") not in (None, "UTC"):
            expression += f" ({item['Timezone']})"
        sys.stdout.write(
            f"{item['Kind']}\t{item['Name']}\t{expression}\t{item['State']}\t"
            f"{item['NextFire'] or '-'}\t{', '.join(item['Targets']) or '-'}\n"
        )
    if not doc["Schedules"]:
        err.print("no rules or schedules")
