"""How the ``snaplambda`` command reads: ``--help`` grouped by workflow with defaults
and environment variables and without Python type tags, ``--version``, shell
completion, and output that fits 80 columns, pipes as plain text and is JSON with
``--output json`` on every command that prints data."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from snaplambda import __version__
from tests.functional.test_cli import cli
from tests.support import FUNCTIONS, Server

#: typer 0.2x's type tags (``<str>``, ``<bool>``, ``<path>`` ...).
TYPE_TAG = re.compile(r"<(str|int|float|bool|path|text|integer|[a-z]+\|[a-z|]+)>")
#: What must never reach a pipe: escape codes and rich markup.
LEAKS = re.compile(r"\x1b\[|\[/?(bold|dim|red|green|yellow|cyan)\]|\[/\]")

COMMANDS = [
    ["serve"], ["demo"], ["deploy"], ["invoke"], ["logs"], ["functions"],
    ["functions", "list"], ["functions", "get"], ["functions", "delete"], ["publish"],
    ["alias"], ["alias", "create"], ["alias", "update"], ["alias", "list"],
    ["alias", "delete"], ["dlq"], ["dlq", "list"], ["dlq", "redrive"], ["stats"],
    ["metrics"], ["traces"], ["snapstart"], ["snapstart", "check"], ["delete"], ["runtimes"], ["schedules"],
]  # fmt: skip


def panels(help_text: str) -> dict[str, list[str]]:
    """{panel title: the command names listed in it} of a rich ``--help``."""
    found: dict[str, list[str]] = {}
    current = None
    for line in help_text.splitlines():
        title = re.match(r"╭─ (.+?) ─", line)
        if title:
            current = title.group(1)
            found[current] = []
        elif current and re.match(r"│ (\S+)\s{2,}", line):
            found[current].append(line.split()[1])
    return found


def test_help_groups_commands_by_workflow() -> None:
    out = cli("--help")
    assert out.returncode == 0, out.stderr
    listed = panels(out.stdout)
    assert listed["Serve"] == ["serve", "demo"]
    assert listed["Deploy"] == ["deploy", "delete"]
    assert listed["Invoke"] == ["invoke"]
    assert listed["Logs"] == ["logs"]
    assert listed["Manage"] == ["publish", "functions", "alias", "dlq"]
    assert listed["Inspect"] == [
        "stats",
        "metrics",
        "traces",
        "runtimes",
        "schedules",
        "snapstart",
    ]
    assert {"--version", "--install-completion", "--show-completion"} <= set(listed["Options"])


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_has_no_type_tags_and_fits(command: list[str]) -> None:
    out = cli(*command, "--help")
    assert out.returncode == 0, out.stderr
    assert not TYPE_TAG.search(out.stdout), out.stdout
    assert not LEAKS.search(out.stdout), out.stdout
    assert all(len(line) <= 80 for line in out.stdout.splitlines()), out.stdout


def test_help_shows_defaults_and_environment_variables() -> None:
    serve = cli("serve", "--help").stdout
    flat = " ".join(serve.replace("│", " ").split())
    for shown in (
        "[env var: SNAPLAMBDA_PORT] [default: 9070]",
        "[env var: SNAPLAMBDA_STATE_DIR] [default: .snaplambda]",
        "[env var: SNAPLAMBDA_KEEP_ALIVE] [default: 600.0]",
        "[env var: SNAPLAMBDA_MEMORY_LIMITER] [default: auto]",
    ):
        assert shown in flat, serve
    invoke = " ".join(cli("invoke", "--help").stdout.replace("│", " ").split())
    assert "--endpoint URL" in invoke and "[env var: SNAPLAMBDA_ENDPOINT]" in invoke
    assert "--output -o text|json" in invoke and "[env var: SNAPLAMBDA_OUTPUT]" in invoke
    assert "--async Queue the event" in invoke  # a flag: no placeholder at all


def test_version_and_completion() -> None:
    script = Path(sys.executable).with_name("snaplambda")
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert (out.returncode, out.stdout) == (0, f"snaplambda {__version__}\n")
    assert cli("-V").stdout == f"snaplambda {__version__}\n"
    shown = cli("--show-completion", "bash")
    assert shown.returncode == 0 and "_SNAPLAMBDA_COMPLETE" in shown.stdout.upper()
    env = {**os.environ, "_SNAPLAMBDA_COMPLETE": "complete_bash", "COMP_CWORD": "2"}
    completed = subprocess.run(
        [str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "COMP_WORDS": "snaplambda alias cr"},
    )
    assert completed.stdout.split() == ["create"]


def _pipe_clean(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 0, out.stdout + out.stderr
    assert not LEAKS.search(out.stdout + out.stderr), out.stdout + out.stderr
    return out.stdout


def test_data_commands_fit_80_columns_and_speak_json(server: Server) -> None:
    ep = ["--endpoint", server.endpoint]
    deployed = _pipe_clean(
        cli("deploy", str(FUNCTIONS / "basic"), "--name", "cli-out-a-rather-long-name", *ep)
    )
    assert all(len(line) <= 80 for line in deployed.splitlines()), deployed
    name = "cli-out-a-rather-long-name"
    _pipe_clean(cli("publish", name, *ep))
    _pipe_clean(cli("alias", "create", name, "live", "--version", "1", *ep))
    _pipe_clean(cli("invoke", name, *ep))
    # Tables and fields of people's output stay within 80 columns.
    for command in (
        ["functions", "list"],
        ["functions", "get", name],
        ["alias", "list", name],
        ["stats", name],
        ["traces"],
        ["dlq", "list"],
    ):
        text = _pipe_clean(cli(*command, *ep))
        assert all(len(line) <= 80 for line in text.splitlines()), (command, text)
        assert not any(line != line.rstrip() for line in text.splitlines()), (command, text)
    # Each of them, and the others that print data, prints JSON on request.
    documents = {
        "functions list": ["functions", "list"],
        "functions get": ["functions", "get", name],
        "alias list": ["alias", "list", name],
        "publish": ["publish", name],
        "invoke": ["invoke", name, "--no-log"],
        "dlq list": ["dlq", "list"],
        "stats": ["stats", name],
        "traces": ["traces"],
        "metrics": ["metrics", name],
    }
    for label, command in documents.items():
        doc = json.loads(_pipe_clean(cli(*command, "--output", "json", *ep)))
        assert isinstance(doc, dict), label
    logs = _pipe_clean(cli("logs", name, "--output", "json", *ep))
    events = [json.loads(line) for line in logs.splitlines()]
    assert events and all({"message", "timestamp", "logStreamName"} <= set(e) for e in events)
    invoked = json.loads(_pipe_clean(cli("invoke", name, "-o", "json", *ep)))
    assert invoked["StatusCode"] == 200 and "START RequestId" in invoked["Log"]
