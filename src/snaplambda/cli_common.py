"""What the ``snaplambda`` command shares with its subcommands kept in other modules
(``metrics``, ``traces``): the ``--endpoint`` option and how a command fails. Its own
module because ``cli`` imports those subcommands to register them."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.console import Console

from .config import from_environ

err = Console(stderr=True)

EndpointOpt = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
    typer.Option("--endpoint", envvar="SNAPLAMBDA_ENDPOINT", help="URL of a running server."),
]


def endpoint_url(value: str | None) -> str:
    """``--endpoint``, or the configured endpoint when it was not given."""
    return value or from_environ().endpoint


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error; returns the ``typer.Exit(code)`` to raise."""
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)
