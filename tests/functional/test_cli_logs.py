"""``snaplambda logs`` and the log tail of ``snaplambda invoke`` show records as they
are: brackets printed literally, a multi-line logging record and an unhandled
error's traceback as one event whose lines are shown on lines of their own."""

from __future__ import annotations

import json
from typing import Any

from tests.functional.test_cli import cli
from tests.support import Server, create, zip_files

APP = """\
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    print("markup [dim]stays[/dim] [red]as[/] it is [/]")
    logger.info("first line\\nsecond line\\n  indented third")
    if event.get("fail"):
        raise ValueError("bad [bold]value[/]")
    return "ok"
"""


def test_logs_print_records_literally_with_their_lines(server: Server, lam: Any) -> None:
    create(lam, "cli-logs", zip_files({"app.py": APP}))
    ep = ["--endpoint", server.endpoint]
    invoked = cli("invoke", "cli-logs", "--payload", '{"fail": true}', *ep)
    assert invoked.returncode == 1
    tail = invoked.stderr.splitlines()
    assert "markup [dim]stays[/dim] [red]as[/] it is [/]" in tail
    at = tail.index("[ERROR] ValueError: bad [bold]value[/]")
    assert tail[at + 1 : at + 4] == [
        "  Traceback (most recent call last):",
        '    File "/var/task/app.py", line 11, in handler',
        '      raise ValueError("bad [bold]value[/]")',
    ]

    out = cli("logs", "cli-logs", *ep)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    prefix = len("HH:MM:SS 12345678 ")
    [markup] = [line for line in lines if "markup" in line]
    assert markup[prefix:] == "markup [dim]stays[/dim] [red]as[/] it is [/]"
    first = next(i for i, line in enumerate(lines) if line.endswith("\tfirst line"))
    assert lines[first][prefix:].startswith("[INFO]\t")
    assert lines[first + 1 : first + 3] == [
        " " * prefix + "second line",
        " " * prefix + "  indented third",
    ]
    error = next(i for i, line in enumerate(lines) if "[ERROR]" in line)
    assert lines[error][prefix:] == "[ERROR] ValueError: bad [bold]value[/]"
    assert lines[error + 1 : error + 4] == [
        " " * prefix + "Traceback (most recent call last):",
        " " * prefix + '  File "/var/task/app.py", line 11, in handler',
        " " * prefix + '    raise ValueError("bad [bold]value[/]")',
    ]
    assert "\x1b[" not in out.stdout

    # The stored events: each record is one event, its lines joined by CR as
    # Lambda's runtime writes them, the traceback indented with no-break spaces.
    events = [
        json.loads(line) for line in cli("logs", "cli-logs", "-o", "json", *ep).stdout.splitlines()
    ]
    messages = [e["message"] for e in events]
    assert any(m.endswith("\tfirst line\rsecond line\r  indented third") for m in messages)
    assert (
        "[ERROR] ValueError: bad [bold]value[/]\rTraceback (most recent call last):\r"
        '\u00a0\u00a0File "/var/task/app.py", line 11, in handler\r'
        '\u00a0\u00a0\u00a0\u00a0raise ValueError("bad [bold]value[/]")'
    ) in messages
