"""Function logs as stored per log group and stream, read with boto3's logs client."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support import Server, create, invoke, zip_function


@pytest.fixture(scope="module")
def logs(server: Server) -> Any:
    return server.client("logs")


def test_invocation_logs_are_stored_per_stream(lam: Any, logs: Any) -> None:
    create(lam, "logs-fn", zip_function("basic"))
    first = invoke(lam, "logs-fn", {"action": "print", "lines": 3})
    rid = first["Body"]["context"]["aws_request_id"]
    stream = first["Body"]["context"]["log_stream_name"]
    events = logs.filter_log_events(logGroupName="/aws/lambda/logs-fn")["events"]
    messages = [e["message"] for e in events]
    start = messages.index(f"START RequestId: {rid} Version: $LATEST")
    assert messages[start + 1 : start + 4] == ["line 0", "line 1", "line 2"]
    assert messages[start + 4] == f"END RequestId: {rid}"
    assert messages[start + 5].startswith(f"REPORT RequestId: {rid}\tDuration: ")
    assert messages[0].startswith("INIT_START Runtime Version: python:3.11.")
    assert {e["logStreamName"] for e in events} == {stream}
    assert all(isinstance(e["timestamp"], int) for e in events)
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/logs-fn")["logStreams"]
    assert stream in [s["logStreamName"] for s in streams]
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/logs")["logGroups"]
    assert "/aws/lambda/logs-fn" in [g["logGroupName"] for g in groups]


def test_filter_by_text_and_paging(lam: Any, logs: Any) -> None:
    create(lam, "logs-page", zip_function("basic"))
    invoke(lam, "logs-page", {"action": "print", "lines": 25})
    found = logs.filter_log_events(logGroupName="/aws/lambda/logs-page", filterPattern='"line 2"')
    assert sorted(e["message"] for e in found["events"]) == ["line 2"] + [
        f"line {i}" for i in range(20, 25)
    ]
    paginator = logs.get_paginator("filter_log_events")
    pages = list(
        paginator.paginate(logGroupName="/aws/lambda/logs-page", PaginationConfig={"PageSize": 7})
    )
    assert len(pages) > 1
    all_messages = [e["message"] for p in pages for e in p["events"]]
    assert [m for m in all_messages if re.fullmatch(r"line \d+", m)] == [
        f"line {i}" for i in range(25)
    ]


def test_unknown_log_group(logs: Any) -> None:
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.filter_log_events(logGroupName="/aws/lambda/never-ran")
