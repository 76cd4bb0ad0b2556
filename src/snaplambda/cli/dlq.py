"""``snaplambda dlq``: asynchronous events that failed for good, listed and redriven."""

from __future__ import annotations

import time
from typing import Annotated, Optional

import typer

from . import render
from .common import EndpointOpt, Output, OutputOpt, connect, fail, note, print_json, say
from .help import Command, Group

app = typer.Typer(
    cls=Group,
    no_args_is_help=True,
    help="Asynchronous events that failed for good (dead letters).",
)


@app.command("list", cls=Command)
def dlq_list(
    function: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
        typer.Option("--function", metavar="NAME", help="Only this function's."),
    ] = None,
    endpoint: EndpointOpt = None,
    output: OutputOpt = Output.text,
) -> None:
    """List dead letters: id and function, why and when, the function's error."""
    with connect(endpoint) as client:
        letters = client.dead_letters(function)
    if output is Output.json:
        print_json({"DeadLetters": letters})
        return
    if not letters:
        note("no dead letters")
        return
    for letter in letters:
        name = letter["FunctionName"] + (f":{letter['Qualifier']}" if letter["Qualifier"] else "")
        failed = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(letter["FailedAt"]))
        say(f"{letter['Id']}  {name}")
        say(f"  {letter['Condition']} after {letter['Attempts']} attempt(s), {failed} UTC")
        if letter["Error"]:
            say(f"  {render.error_summary(letter['Error'])}")


@app.command("redrive", cls=Command)
def dlq_redrive(
    ids: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(metavar="ID...", help="Dead-letter ids."),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Redrive every dead letter.")] = False,
    endpoint: EndpointOpt = None,
) -> None:
    """Queue dead letters again as fresh asynchronous events."""
    if all_ == bool(ids):
        raise fail("give dead-letter IDs or --all (not both)")
    with connect(endpoint) as client:
        redriven = client.redrive(None if all_ else list(ids or []))
    missing = sorted(set(ids or []) - set(redriven))
    say(f"redriven {len(redriven)} event(s)")
    if missing:
        raise fail(f"no dead letter with id {', '.join(missing)}")
