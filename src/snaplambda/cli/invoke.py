"""``snaplambda invoke``: one synchronous invocation, its response and log tail."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from .common import EndpointOpt, connect, err


def invoke(
    name: Annotated[str, typer.Argument(help="Function name or ARN.")],
    payload: Annotated[str, typer.Option(help="JSON event.")] = "{}",
    qualifier: Annotated[Optional[str], typer.Option(help="Version or alias.")] = None,  # noqa: UP045
    log: Annotated[bool, typer.Option("--log/--no-log", help="Show the log tail.")] = True,
    endpoint: EndpointOpt = None,
) -> None:
    """Invoke a function synchronously and print its response."""
    with connect(endpoint) as client:
        response = client.invoke(name, payload.encode(), qualifier, tail=log)
    if log and response.log:
        err.print(response.log.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
    sys.stdout.write(response.payload.decode("utf-8", "replace") + "\n")
    if response.function_error:
        raise typer.Exit(1)
