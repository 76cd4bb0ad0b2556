"""``snaplambda deploy``: a code directory, a zip or a SAM template, optionally watched."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.text import Text

from ..client.api import Client, ClientError
from .common import EndpointOpt, connect, console, endpoint_url, err, fail, say


def deploy(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="PATH",
            help="Code directory or .zip file, or a SAM template (.yaml/.yml/.json, or a "
            "directory holding template.yaml).",
        ),
    ],
    name: Annotated[
        str | None, typer.Option(metavar="NAME", help="Function name (default: directory name).")
    ] = None,
    handler: Annotated[str, typer.Option(help="module.function")] = "app.handler",
    runtime: Annotated[
        str, typer.Option(help="python3.11 | python3.12 | python3.13")
    ] = "python3.11",
    memory: Annotated[int, typer.Option(metavar="MB", help="Memory in MB (128-10240).")] = 128,
    timeout: Annotated[int, typer.Option(metavar="SECONDS", help="Timeout (1-900).")] = 3,
    env: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(metavar="KEY=VALUE", help="Environment variable, repeatable."),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Redeploy $LATEST whenever the directory changes.")
    ] = False,
    parameter_overrides: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(help="SAM template parameters, KEY=VALUE (space-separated or repeated)."),
    ] = None,
    stack_name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="SAM template's stack (default: samconfig.toml's stack_name, else the "
            "template directory's name)."
        ),
    ] = None,
    endpoint: EndpointOpt = None,
) -> None:
    """Create or update a function from a directory or a zip, or deploy a SAM template."""
    from ..sam.template import find_template

    template = find_template(path)
    if template is not None:
        from ..sam.commands import deploy_template

        status = deploy_template(
            template, parameter_overrides or [], stack_name, endpoint_url(endpoint), console, err
        )
        raise typer.Exit(status)

    zipped = read_code(path)
    variables = {}
    for item in env or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise fail(f"--env '{item}' must be KEY=VALUE")
        variables[key] = value
    fn_name = name or path.resolve().stem
    settings = {
        "Runtime": runtime,
        "Handler": handler,
        "MemorySize": memory,
        "Timeout": timeout,
        "Environment": {"Variables": variables},
    }
    if watch and not path.is_dir():
        raise fail("--watch needs a code directory, not a zip")
    with connect(endpoint) as client:
        cfg = client.deploy(fn_name, zipped, settings)
        say(
            f"deployed {cfg['FunctionName']} ({cfg['Runtime']}, {cfg['MemorySize']} MB, "
            f"{cfg['Timeout']} s)\n  CodeSha256 {cfg['CodeSha256']}"
        )
        if watch:
            _watch_and_redeploy(client, path, fn_name)


def read_code(path: Path) -> bytes:
    """The deployment zip of ``path`` (a code directory or a zip file); anything else
    ends the command with one line saying what was expected."""
    from ..packaging.zipdir import read_package

    if not path.exists():
        raise fail(f"No directory or zip file at {path}")
    try:
        zipped = read_package(path)
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror or exc}") from exc
    if path.is_dir():
        return zipped
    if not zipfile.is_zipfile(io.BytesIO(zipped)):
        raise fail(f"{path} is not a zip file: deploy takes a code directory or a .zip")
    try:
        with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise fail(f"{path} is a damaged zip file: {exc}") from exc
    if damaged is not None:
        raise fail(f"{path} is a damaged zip file: entry {damaged} does not match its CRC")
    return zipped


def _watch_and_redeploy(client: Client, path: Path, name: str) -> None:
    from ..packaging.zipdir import read_package
    from .watch import watch

    say(f"watching {path} for changes (Ctrl-C to stop)")

    def redeploy(changed: list[str]) -> None:
        try:
            cfg = client.update_code(name, read_package(path))
        except ClientError as exc:  # a broken save must not end the loop
            err.print(Text.assemble(("redeploy failed: ", "red"), f"{exc.aws_type}: {exc.message}"))
            return
        say(f"redeployed {name} ({len(changed)} changed) CodeSha256 {cfg['CodeSha256']}")

    watch(path, redeploy)
