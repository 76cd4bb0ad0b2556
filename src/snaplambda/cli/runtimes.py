"""``snaplambda runtimes``: each python runtime's interpreter and the AWS SDK that its
functions find."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import typer

from ..config import from_environ
from ..control.quotas import SUPPORTED_RUNTIMES
from ..execution import sdk
from ..execution.errors import RuntimeUnavailable
from ..execution.runtimes import RuntimeResolver
from .common import Output, OutputOpt, print_json


def _rows() -> tuple[list[dict[str, Any]], sdk.SdkStatus]:
    config = from_environ()
    resolver = RuntimeResolver(config.interpreters)
    with tempfile.TemporaryDirectory(prefix="snaplambda-runtimes-") as tmp:
        # The same install and links a server with these settings makes.
        status = sdk.provide(Path(tmp), config.sdk_cache_dir, config.sdk)
        rows: list[dict[str, Any]] = []
        for runtime in SUPPORTED_RUNTIMES:
            row: dict[str, Any] = {"Runtime": runtime}
            try:
                interpreter = resolver.resolve(runtime)
            except RuntimeUnavailable as exc:
                row["Error"] = str(exc)
                rows.append(row)
                continue
            row["Interpreter"] = interpreter.path
            row["PythonVersion"] = interpreter.version
            if status.offered(runtime):
                row["Sdk"] = sdk.probe(interpreter.path, sdk.runtime_link(Path(tmp), runtime))
            else:
                row["SdkRefused"] = status.refused.get(runtime) or status.reason
            rows.append(row)
    return rows, status


def runtimes(output: OutputOpt = Output.text) -> None:
    """Each python runtime: its interpreter, Python version, and the boto3, botocore and
    urllib3 versions its functions import (found as `snaplambda serve` would, with
    the same SNAPLAMBDA_* settings)."""
    rows, status = _rows()
    if output is Output.json:
        print_json({"Runtimes": rows, "Sdk": status.describe()})
        return
    lines = [["runtime", "python", *sdk.PROBED, "interpreter"]]
    for row in rows:
        found = row.get("Sdk") or {}
        versions = [found.get(name, "-") for name in sdk.PROBED]
        where = row.get("Interpreter", "not installed")
        lines.append([row["Runtime"], row.get("PythonVersion", "-"), *versions, where])
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]) - 1)]
    for line in lines:  # plain columns: paths stay whole and greppable at any width
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        typer.echo("  ".join([*cells, line[-1]]))
    if status.directory is not None:
        typer.echo(f"SDK: {status.directory}")
    else:
        typer.echo(f"SDK: none ({status.reason})")
    for row in rows:
        if "Error" in row:
            typer.echo(f"{row['Runtime']}: {row['Error']}")
        elif "SdkRefused" in row and status.directory is not None:
            refused = f"{row['Runtime']}: no SDK: {row['SdkRefused']}"
            typer.echo(refused)
