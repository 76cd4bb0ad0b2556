"""Turning what the server returns into lines for a terminal or a pipe (pure: no
I/O).

Log events are shown as the records they are: Lambda's runtime writes the line
breaks inside one logging record (and inside an ``[ERROR]`` event's traceback) as
CR so that one record stays one event of a line-split log stream; here they become
line breaks again, the lines after the first indented under it, and the no-break
spaces Lambda indents traceback frames with become spaces.  Everything is built
as :class:`rich.text.Text`, so brackets in a message are never read as markup.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

_NBSP = "\u00a0"


def event_lines(message: str) -> list[str]:
    """The lines one log event holds (CR, CRLF and LF all end a line)."""
    lines = message.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    return [_spaces(line) for line in lines]


def _spaces(line: str) -> str:
    stripped = line.lstrip(_NBSP)
    return " " * (len(line) - len(stripped)) + stripped


def log_event(prefix: str, message: str) -> Text:
    """One event: ``prefix`` (dim) and its first line, the others indented under it."""
    first, *rest = event_lines(message)
    text = Text()
    text.append(prefix, style="dim")
    text.append(first)
    indent = " " * len(prefix)
    for line in rest:
        text.append("\n" + indent + line)
    return text


def event_prefix(event: dict[str, Any]) -> str:
    """``HH:MM:SS <stream tail> ``: when (UTC) and in which environment."""
    stamp = time.strftime("%H:%M:%S", time.gmtime(event["timestamp"] / 1000))
    return f"{stamp} {event['logStreamName'][-8:]} "


def log_tail(tail: str, indent: str = "  ") -> str:
    """An invocation's log tail with each event's inner lines on lines of their own,
    indented under the event's first line."""
    out = []
    for event in tail.rstrip("\n").split("\n"):
        first, *rest = event_lines(event)
        out.append(first)
        out.extend(indent + line for line in rest)
    return "\n".join(out)


def table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Sequence[str] = (),
    header: bool = True,
) -> Table:
    """A borderless table whose columns line up (and stay parseable in a pipe);
    the columns named in ``right`` (numbers) are right-aligned.  Cells fold rather
    than push the table past the console's width."""
    grid = Table(box=None, pad_edge=False, header_style="bold", show_header=header)
    for column in columns:
        grid.add_column(column, justify="right" if column in right else "left", overflow="fold")
    for row in rows:
        grid.add_row(*(Text(cell) for cell in row))
    return grid


def fields(pairs: Sequence[tuple[str, str]]) -> Table:
    """``label  value`` lines, values folded to the console's width."""
    grid = table(("field", "value"), [(label, value) for label, value in pairs], header=False)
    grid.columns[0].style = "bold"
    grid.columns[0].overflow = "ellipsis"
    grid.columns[0].no_wrap = True
    return grid


def day_and_time(last_modified: str) -> str:
    """``2024-05-01T12:00:00.000+0000`` as ``2024-05-01 12:00``."""
    return last_modified[:16].replace("T", " ")


def size(n: int) -> str:
    """A byte count for people."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # not reached


def routing(alias: dict[str, Any]) -> str:
    """An alias's extra versions as ``3=10%``, or ``-``."""
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return ", ".join(f"{v}={w * 100:g}%" for v, w in sorted(weights.items())) or "-"


def error_summary(error: str | None, width: int = 76) -> str:
    """A function's error payload as ``Type: message`` on one line of at most
    ``width`` characters (the text itself when it is not an error document)."""
    text = error or ""
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and ("errorType" in doc or "errorMessage" in doc):
        text = f"{doc.get('errorType', 'Error')}: {doc.get('errorMessage', '')}"
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
