"""``snaplambda snapstart ...`` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ..config import from_environ
from ..errors import AwsError
from ..execution.awsenv import sdk_environment
from .common import Output, OutputOpt, console, fail, print_json
from .help import Command, Group

app = typer.Typer(
    cls=Group, no_args_is_help=True, help="SnapStart: snapshots of published versions."
)


@app.command("check", cls=Command)
def check_command(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The function's code directory.")],
    handler: Annotated[str, typer.Option(metavar="MODULE.FUNCTION", help="Handler.")] = (
        "app.handler"
    ),
    runtime: Annotated[
        str, typer.Option(metavar="RUNTIME", help="python3.12 or later.")
    ] = "python3.12",
    output: OutputOpt = Output.text,
) -> None:
    """Report what a SnapStart snapshot of the code would break or share.

    Runs the code's init and before-snapshot hooks as a snapshot would, and lists
    what would fail or be shared by every restored environment."""
    from ..snapstart.check import check

    if not path.is_dir():
        raise fail(f"{path} is not a directory", 2)
    try:
        config = from_environ()
        sdk_cache = config.sdk_cache_dir if config.sdk else None
        # What a deployed function's init would see of its region and SDK.
        aws = {"AWS_REGION": config.region, "AWS_DEFAULT_REGION": config.region}
        aws.update(sdk_environment(config.host, config.port))
        found, printed = check(
            path, handler, runtime, config.interpreters, sdk_cache=sdk_cache, environment=aws
        )
    except AwsError as exc:
        raise fail(str(exc), 2) from exc
    failed = any(f.level == "error" for f in found)
    if output is Output.json:
        print_json(
            {
                "Ready": not failed,
                "Findings": [{"Level": f.level, "Message": f.message} for f in found],
                "Output": printed,
            }
        )
    else:
        if printed.strip():
            console.print(Text("function output during init:", style="dim"))
            console.out(printed.rstrip(), highlight=False)
        for finding in found:
            style = "red" if finding.level == "error" else "yellow"
            console.print(Text.assemble((f"{finding.level}:", style), f" {finding.message}"))
        if not found:
            console.print(Text.assemble(("ok:", "green"), " ready for SnapStart"))
    if failed:
        raise typer.Exit(1)
