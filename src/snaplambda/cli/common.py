"""What every ``snaplambda`` command module shares: the consoles, the ``--endpoint``
and ``--output`` options, a client of the running server, and how a command fails.

Output is meant for pipes as much as for people: the consoles never wrap a line
(rich drops colour and styles by itself when stdout is not a terminal), text from
the server or a function is printed as text, never read as markup, and every
command that prints data can print it as JSON instead (``--output json``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Annotated, Any, Optional

import httpx
import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..client.api import Client, ClientError
from ..config import from_environ

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EndpointOpt = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
    typer.Option(
        "--endpoint",
        envvar="SNAPLAMBDA_ENDPOINT",
        metavar="URL",
        help="URL of a running server (default: http://127.0.0.1:9070).",
    ),
]


class Output(str, Enum):  # noqa: UP042 - typer shows a StrEnum's choices the same way
    """How a command prints what it found."""

    text = "text"
    json = "json"


OutputOpt = Annotated[
    Output,
    typer.Option(
        "--output",
        "-o",
        envvar="SNAPLAMBDA_OUTPUT",
        case_sensitive=False,
        help="text for people, json for scripts.",
    ),
]


def endpoint_url(value: str | None) -> str:
    """``--endpoint``, or the configured endpoint when it was not given."""
    return value or from_environ().endpoint


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout."""
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode())
    sys.stdout.write("\n")


def show(text: Text, to: Console = console) -> None:
    """``text`` on a terminal with its styles, or in a pipe exactly as it is (tabs
    kept, no padding, no escape codes)."""
    if to.is_terminal:
        to.print(text)
    else:
        stream = sys.stderr if to.stderr else sys.stdout
        stream.write(text.plain + "\n")
        stream.flush()


def show_table(table: Table) -> None:
    """A table on stdout; in a pipe without the padding after each row's last cell."""
    if console.is_terminal:
        console.print(table)
        return
    with console.capture() as captured:
        console.print(table)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def say(text: str, style: str = "") -> None:
    """One line of human text on stdout, ``text`` printed as it is."""
    show(Text(text, style=style))


def note(text: str) -> None:
    """A remark for people on stderr (stdout stays data only)."""
    show(Text(text, style="dim"), err)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as one error line on stderr; returns the
    ``typer.Exit(code)`` to raise."""
    line = " ".join(message.split("\n")).strip()
    show(Text.assemble(("error: ", "bold red"), line), err)
    return typer.Exit(code)


_HINT = " (is `snaplambda serve` running there?)"


@contextmanager
def connect(endpoint: str | None, timeout: float = 960.0) -> Iterator[Client]:
    """A client of the server at ``endpoint``; the server's AWS errors and failing to
    reach it end the command through ``fail``."""
    url = endpoint_url(endpoint)
    try:
        with Client(url, timeout=timeout) as client:
            yield client
    except ClientError as exc:
        raise fail(f"{exc.aws_type}: {exc.message}" if exc.message else exc.aws_type) from exc
    except BrokenPipeError:
        raise  # stdout closed by the reader (``| head``): not the server's doing
    except httpx.ConnectError as exc:
        raise fail(f"cannot reach {url}: {_reason(exc)}{_HINT}") from exc
    except httpx.TimeoutException as exc:
        raise fail(f"no answer from {url} in time: {_reason(exc)}") from exc
    except (OSError, httpx.HTTPError) as exc:
        raise fail(f"cannot talk to {url}: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
