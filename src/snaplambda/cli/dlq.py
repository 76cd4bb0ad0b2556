"""``snaplambda dlq``: asynchronous events that failed for good, listed and redriven."""

from __future__ import annotations

import sys
import time
from typing import Annotated, Optional

import typer

from .common import EndpointOpt, connect, console, err, fail

app = typer.Typer(
    no_args_is_help=True, help="Asynchronous events that failed for good (dead letters)."
)


@app.command("list")
def dlq_list(
    function: Annotated[
        Optional[str], typer.Option("--function", help="Only this function's.")  # noqa: UP045
    ] = None,
    endpoint: EndpointOpt = None,
) -> None:
    """List dead letters: id, function, condition, attempts, error."""
    with connect(endpoint) as client:
        letters = client.dead_letters(function)
    for letter in letters:
        name = letter["FunctionName"] + (f":{letter['Qualifier']}" if letter["Qualifier"] else "")
        failed = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(letter["FailedAt"]))
        error = (letter["Error"] or "").replace("\n", " ")[:120]
        sys.stdout.write(
            f"{letter['Id']}\t{name}\t{letter['Condition']}\t{letter['Attempts']}\t"
            f"{failed}\t{error}\n"
        )
    if not letters:
        err.print("no dead letters")


@app.command("redrive")
def dlq_redrive(
    ids: Annotated[Optional[list[str]], typer.Argument(help="Dead-letter ids.")] = None,  # noqa: UP045
    all_: Annotated[bool, typer.Option("--all", help="Redrive every dead letter.")] = False,
    endpoint: EndpointOpt = None,
) -> None:
    """Queue dead letters again as fresh asynchronous events."""
    if all_ == bool(ids):
        raise fail("give dead-letter IDs or --all (not both)")
    with connect(endpoint) as client:
        redriven = client.redrive(None if all_ else list(ids or []))
    missing = sorted(set(ids or []) - set(redriven))
    console.print(f"redriven {len(redriven)} event(s)")
    if missing:
        raise fail(f"no dead letter with id {', '.join(missing)}")
