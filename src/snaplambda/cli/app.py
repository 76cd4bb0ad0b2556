"""The ``snaplambda`` command: one Typer app with each command group's module
registered, grouped in ``--help`` by workflow."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from . import (
    deploy,
    dlq,
    functions,
    invoke,
    logs,
    metrics,
    runtimes,
    schedules,
    serve,
    snapstart,
    stack,
    stats,
    traces,
)
from . import versions as versions_cli
from .common import err, say
from .help import DEPLOY, INSPECT, INVOKE, LOGS, MANAGE, SERVE, Command, Group

app = typer.Typer(
    cls=Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="A self-hosted, AWS-Lambda-compatible function platform for Python.",
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        say(f"snaplambda {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """A self-hosted, AWS-Lambda-compatible function platform for Python."""


app.command(cls=Command, rich_help_panel=SERVE)(serve.serve)
app.command(cls=Command, rich_help_panel=SERVE)(serve.demo)
app.command(cls=Command, rich_help_panel=DEPLOY)(deploy.deploy)
app.command(cls=Command, rich_help_panel=DEPLOY)(stack.delete)
app.command(cls=Command, rich_help_panel=INVOKE)(invoke.invoke)
app.command(cls=Command, rich_help_panel=LOGS)(logs.logs)
app.add_typer(functions.app, name="functions", rich_help_panel=MANAGE)
app.command(cls=Command, rich_help_panel=MANAGE)(versions_cli.publish)
app.add_typer(versions_cli.app, name="alias", rich_help_panel=MANAGE)
app.add_typer(dlq.app, name="dlq", rich_help_panel=MANAGE)
app.command(cls=Command, rich_help_panel=INSPECT)(stats.stats)
app.command("metrics", cls=Command, rich_help_panel=INSPECT)(metrics.metrics)
app.command("traces", cls=Command, rich_help_panel=INSPECT)(traces.traces)
app.add_typer(snapstart.app, name="snapstart", rich_help_panel=INSPECT)
app.command(cls=Command, rich_help_panel=INSPECT)(runtimes.runtimes)
app.command(cls=Command, rich_help_panel=INSPECT)(schedules.schedules)


@app.command(cls=Command, hidden=True)
def version() -> None:
    """Print the version (also ``snaplambda --version``)."""
    _print_version(True)


def main() -> None:
    """Run the command; an unexpected failure is one line, not a traceback
    (``SNAPLAMBDA_DEBUG=1`` shows the traceback)."""
    try:
        # prog_name: also under `python -m snaplambda`. A reader that goes away
        # (`snaplambda logs | head`) ends the command quietly: click sees to that.
        app(prog_name="snaplambda")
    except Exception as exc:
        if os.environ.get("SNAPLAMBDA_DEBUG"):
            raise
        err.print(f"error: unexpected {type(exc).__name__}: {exc}", markup=False)
        err.print("(run with SNAPLAMBDA_DEBUG=1 to see where)", markup=False, style="dim")
        sys.exit(1)
