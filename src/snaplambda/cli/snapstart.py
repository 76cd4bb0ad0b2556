"""``snaplambda snapstart ...`` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..config import from_environ
from ..errors import AwsError
from ..execution.awsenv import sdk_environment
from ..snapstart.check import check

app = typer.Typer(no_args_is_help=True, help="SnapStart: snapshots of published versions.")
console = Console()


@app.command("check")
def check_command(
    path: Annotated[Path, typer.Argument(help="The function's code directory.")],
    handler: Annotated[str, typer.Option(help="module.function")] = "app.handler",
    runtime: Annotated[str, typer.Option(help="python3.12 or later")] = "python3.12",
) -> None:
    """Run the code's init and before-snapshot hooks as a snapshot would and report
    what would fail or be shared by every restored environment."""
    if not path.is_dir():
        console.print(f"[red]error:[/red] {path} is not a directory")
        raise typer.Exit(2)
    try:
        config = from_environ()
        sdk_cache = config.sdk_cache_dir if config.sdk else None
        # What a deployed function's init would see of its region and SDK.
        aws = {"AWS_REGION": config.region, "AWS_DEFAULT_REGION": config.region}
        aws.update(sdk_environment(config.host, config.port))
        found, output = check(
            path, handler, runtime, config.interpreters, sdk_cache=sdk_cache, environment=aws
        )
    except AwsError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if output.strip():
        console.print("[dim]function output during init:[/dim]")
        console.print(output.rstrip(), markup=False, highlight=False)
    for finding in found:
        style = "red" if finding.level == "error" else "yellow"
        console.print(f"[{style}]{finding.level}:[/{style}] {finding.message}", highlight=False)
    if any(f.level == "error" for f in found):
        raise typer.Exit(1)
    if not found:
        console.print("[green]ok:[/green] ready for SnapStart")
