"""What every ``snaplambda`` command module shares: the consoles, the ``--endpoint``
option, a client of the running server, and how a command fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Optional

import httpx
import typer
from rich.console import Console

from ..client.api import Client, ClientError
from ..config import from_environ

console = Console()
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


@contextmanager
def connect(endpoint: str | None, hint: str = "") -> Iterator[Client]:
    """A client of the server at ``endpoint``; the server's AWS errors and failing to
    reach it end the command through ``fail`` (``hint`` follows the latter)."""
    url = endpoint_url(endpoint)
    try:
        with Client(url) as client:
            yield client
    except ClientError as exc:
        raise fail(f"{exc.aws_type}: {exc.message}") from exc
    except (OSError, httpx.TransportError) as exc:
        raise fail(f"cannot reach {url}: {exc}{hint}") from exc
