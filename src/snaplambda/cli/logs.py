"""``snaplambda logs``: a function's log group, filtered and followed."""

from __future__ import annotations

import sys
import time
from typing import Annotated, Any

import orjson
import typer

from ..client.api import ClientError
from . import render
from .common import EndpointOpt, Output, OutputOpt, connect, show


def _parse_since(value: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if value and value[-1] in units and value[:-1].isdigit():
        return int((time.time() - int(value[:-1]) * units[value[-1]]) * 1000)
    raise typer.BadParameter(f"'{value}' is not a duration like 30s, 10m, 2h or 1d")


def _show(event: dict[str, Any], output: Output) -> None:
    if output is Output.json:  # one JSON object per line, so --follow streams too
        sys.stdout.write(orjson.dumps(event).decode() + "\n")
        sys.stdout.flush()
        return
    show(render.log_event(render.event_prefix(event), event["message"]))


def logs(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Function name.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(metavar="DURATION", help="Only events newer than 30s, 10m, 2h, 1d ..."),
    ] = None,
    filter_text: Annotated[
        str | None,
        typer.Option(
            "--filter",
            metavar="PATTERN",
            help='Text the event contains, a JSON field test (level = "ERROR") '
            "or a CloudWatch filter pattern.",
        ),
    ] = None,
    endpoint: EndpointOpt = None,
    output: OutputOpt = Output.text,
) -> None:
    """Print a function's logs, each record with all its lines.

    The log group is the function's LoggingConfig.LogGroup (/aws/lambda/NAME by
    default); json prints one event per line, so --follow streams too."""
    body: dict[str, object] = {"logGroupName": f"/aws/lambda/{name}"}
    if since:
        body["startTime"] = _parse_since(since)
    if filter_text:
        from ..observability.filterpattern import from_cli

        body["filterPattern"] = from_cli(filter_text)
    try:
        with connect(endpoint) as client:
            found = client.get_function(name)
            if found is not None:  # LoggingConfig.LogGroup may name another group
                body["logGroupName"] = found["Configuration"]["LoggingConfig"]["LogGroup"]
            while True:
                try:
                    page = client.logs("FilterLogEvents", body)
                except ClientError as exc:
                    if exc.aws_type != "ResourceNotFoundException" or not follow:
                        raise
                    page = {"events": []}
                for event in page["events"]:
                    _show(event, output)
                    body["nextToken"] = event["eventId"]
                if not follow:
                    if "nextToken" in page:
                        body["nextToken"] = page["nextToken"]
                        continue
                    return
                if "nextToken" not in page:
                    time.sleep(0.5)  # a client polling a server: nothing to wait on locally
    except KeyboardInterrupt:
        return
