"""Managing what the CLI creates: ``functions list/get/delete``, ``publish``,
``alias create/update/list/delete`` and ``invoke --async`` / ``--payload @file|-``,
each run as the real ``snaplambda`` command against a real server."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from tests.functional.test_cli import cli
from tests.support import FUNCTIONS, Server

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def ok(*args: str, **kwargs: Any) -> str:
    out = cli(*args, **kwargs)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def as_json(*args: str) -> Any:
    return json.loads(ok(*args, "--output", "json"))


def test_publish_and_aliases_with_routing(server: Server) -> None:
    ep = ["--endpoint", server.endpoint]
    ok("deploy", str(FUNCTIONS / "echo"), "--name", "cli-m", "--env", "GREETING=one", *ep)
    first = as_json("publish", "cli-m", "--description", "the first", *ep)
    assert (first["Version"], first["Description"]) == ("1", "the first")
    ok("deploy", str(FUNCTIONS / "echo"), "--name", "cli-m", "--env", "GREETING=two", *ep)
    assert ok("publish", "cli-m", *ep) == "published cli-m version 2\n"

    created = ok(
        "alias",
        "create",
        "cli-m",
        "live",
        "--version",
        "1",
        "--additional-version",
        "2=0.25",
        "--description",
        "canary",
        *ep,
    )
    assert created == "created alias live -> version 1 (routing 2=25%)\n"
    listed = ok("alias", "list", "cli-m", *ep).splitlines()
    assert listed[0].split() == ["ALIAS", "VERSION", "ROUTING", "DESCRIPTION"]
    assert listed[1].split() == ["live", "1", "2=25%", "canary"]
    [alias] = as_json("alias", "list", "cli-m", *ep)["Aliases"]
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.25}

    # What update leaves out stays; --no-routing clears the weights.
    kept = as_json("alias", "update", "cli-m", "live", "--description", "still canary", *ep)
    assert kept["FunctionVersion"] == "1"
    assert kept["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.25}
    moved = as_json("alias", "update", "cli-m", "live", "--version", "2", "--no-routing", *ep)
    assert moved["FunctionVersion"] == "2"
    assert not (moved.get("RoutingConfig") or {}).get("AdditionalVersionWeights")
    invoked = as_json("invoke", "cli-m", "--qualifier", "live", "--no-log", *ep)
    assert invoked["ExecutedVersion"] == "2" and invoked["Payload"]["greeting"] == "two"

    bad = cli("alias", "update", "cli-m", "live", "--additional-version", "x", *ep)
    assert bad.returncode == 1 and "VERSION=WEIGHT" in bad.stderr and not bad.stdout
    ok("alias", "delete", "cli-m", "live", *ep)
    none = cli("alias", "list", "cli-m", *ep)
    assert none.returncode == 0 and none.stdout == "" and "no aliases" in none.stderr


def test_functions_list_get_delete(server: Server) -> None:
    ep = ["--endpoint", server.endpoint]
    ok("deploy", str(FUNCTIONS / "echo"), "--name", "cli-f", "--memory", "256", *ep)
    ok("publish", "cli-f", *ep)
    rows = [line.split() for line in ok("functions", "list", *ep).splitlines()]
    assert rows[0] == ["NAME", "RUNTIME", "MB", "SECONDS", "CODE", "LAST", "MODIFIED"]
    [row] = [r for r in rows if r[0] == "cli-f"]
    assert row[1:4] == ["python3.11", "256", "3"]
    names = [f["FunctionName"] for f in as_json("functions", "list", *ep)["Functions"]]
    assert "cli-f" in names

    shown = ok("functions", "get", "cli-f", *ep)
    fields = dict(line.split(None, 1) for line in shown.splitlines() if " " in line.strip())
    assert fields["runtime"].strip() == "python3.11"
    assert fields["memory"].strip() == "256 MB"
    assert fields["versions"].strip() == "$LATEST, 1"
    doc = as_json("functions", "get", "cli-f", *ep)
    assert doc["Configuration"]["FunctionName"] == "cli-f" and "Code" in doc
    assert (
        as_json("functions", "get", "cli-f", "--qualifier", "1", *ep)["Configuration"]["Version"]
        == "1"
    )

    assert ok("functions", "delete", "cli-f", "--qualifier", "1", *ep) == (
        "deleted cli-f version 1\n"
    )
    assert "versions       $LATEST\n" in ok("functions", "get", "cli-f", *ep)
    assert ok("functions", "delete", "cli-f", *ep) == "deleted cli-f\n"
    gone = cli("functions", "get", "cli-f", *ep)
    assert gone.returncode == 1
    assert gone.stderr.startswith("error: ResourceNotFoundException: Function not found")
    assert "cli-f" not in [line.split()[0] for line in ok("functions", "list", *ep).splitlines()]


def test_invoke_payload_from_file_and_stdin(server: Server, tmp_path: Path) -> None:
    ep = ["--endpoint", server.endpoint]
    ok("deploy", str(FUNCTIONS / "echo"), "--name", "cli-p", *ep)
    event = tmp_path / "event.json"
    event.write_text('{"from": "file", "n": [1, 2]}')
    from_file = json.loads(ok("invoke", "cli-p", "--payload", f"@{event}", "--no-log", *ep))
    assert from_file["event"] == {"from": "file", "n": [1, 2]}
    piped = ok("invoke", "cli-p", "--payload", "-", "--no-log", *ep, stdin='{"from": "stdin"}')
    assert json.loads(piped)["event"] == {"from": "stdin"}


def test_invoke_async_queues_the_event(server: Server) -> None:
    ep = ["--endpoint", server.endpoint]
    ok("deploy", str(FUNCTIONS / "echo"), "--name", "cli-a", *ep)
    text = ok("invoke", "cli-a", "--async", "--payload", '{"k": 1}', *ep)
    match = re.fullmatch(rf"202 Accepted, RequestId: ({UUID})\n", text)
    assert match, text
    doc = as_json("invoke", "cli-a", "--async", *ep)
    assert doc["StatusCode"] == 202 and re.fullmatch(UUID, doc["RequestId"])
    # The queued events run: their START lines reach the function's log group.
    logs = server.client("logs")
    wanted = {match.group(1), doc["RequestId"]}
    deadline = time.monotonic() + 30
    seen: set[str] = set()
    while not wanted <= seen and time.monotonic() < deadline:
        try:
            found = logs.filter_log_events(logGroupName="/aws/lambda/cli-a", filterPattern="START")[
                "events"
            ]
        except logs.exceptions.ResourceNotFoundException:
            found = []
        seen = {e["message"].split()[2] for e in found}
        time.sleep(0.1)
    assert wanted <= seen
