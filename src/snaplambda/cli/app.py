"""The ``snaplambda`` command: one Typer app with each command group's module registered."""

from __future__ import annotations

import typer

from . import deploy, dlq, invoke, logs, metrics, schedules, serve, snapstart, stats, traces
from .common import console

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="A self-hosted, AWS-Lambda-compatible function platform for Python.",
)
app.command()(serve.serve)
app.command()(deploy.deploy)
app.command()(invoke.invoke)
app.command()(logs.logs)
app.command()(serve.demo)
app.add_typer(dlq.app, name="dlq")
app.add_typer(snapstart.app, name="snapstart")
app.command()(stats.stats)
app.command("metrics")(metrics.metrics)
app.command("traces")(traces.traces)
app.command("schedules")(schedules.schedules)


@app.command()
def version() -> None:
    """Print the version."""
    from .. import __version__

    console.print(__version__)


def main() -> None:
    app()
