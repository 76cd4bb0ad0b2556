"""LoggingConfig: JSON log format, log levels and a custom log group, through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import Server, create, invoke, zip_function


@pytest.fixture(scope="module")
def logs(server: Server) -> Any:
    return server.client("logs")


def _json_lines(log: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.splitlines() if line.startswith("{")]


def test_logging_config_is_validated_and_returned(lam: Any) -> None:
    created = create(lam, "jl-config", zip_function("jsonlog"))
    assert created["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/jl-config"}
    updated = lam.update_function_configuration(
        FunctionName="jl-config",
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"},
    )
    assert updated["LoggingConfig"] == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "WARN",
        "SystemLogLevel": "INFO",
        "LogGroup": "/aws/lambda/jl-config",
    }
    got = lam.get_function_configuration(FunctionName="jl-config")
    assert got["LoggingConfig"]["ApplicationLogLevel"] == "WARN"
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_configuration(
            FunctionName="jl-config",
            LoggingConfig={"LogFormat": "Text", "SystemLogLevel": "WARN"},
        )
    text = lam.update_function_configuration(
        FunctionName="jl-config", LoggingConfig={"LogFormat": "Text"}
    )
    assert text["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/jl-config"}


def test_invalid_logging_config_refused_by_server(server: Server) -> None:
    lam = server.client("lambda", validate=False)
    create(lam, "jl-invalid", zip_function("jsonlog"))
    for bad in (
        {"LogFormat": "XML"},
        {"LogFormat": "JSON", "ApplicationLogLevel": "VERBOSE"},
        {"LogFormat": "JSON", "SystemLogLevel": "ERROR"},
        {"LogGroup": "bad group!"},
        {"LogGroup": ""},
    ):
        with pytest.raises(lam.exceptions.ClientError) as info:
            lam.update_function_configuration(FunctionName="jl-invalid", LoggingConfig=bad)
        assert info.value.response["Error"]["Code"] in (
            "ValidationException",
            "InvalidParameterValueException",
        ), bad


def test_json_format_application_and_platform_events(lam: Any, logs: Any) -> None:
    create(
        lam,
        "jl-json",
        zip_function("jsonlog"),
        LoggingConfig={
            "LogFormat": "JSON",
            "ApplicationLogLevel": "INFO",
            "LogGroup": "/custom/jl",
        },
    )
    first = invoke(lam, "jl-json", {})
    rid = next(d for d in _json_lines(first["Log"]) if d.get("type") == "platform.start")["record"][
        "requestId"
    ]
    events = logs.filter_log_events(logGroupName="/custom/jl")["events"]
    messages = [e["message"] for e in events]
    docs = [json.loads(m) for m in messages if m.startswith("{")]
    types = [d.get("type") for d in docs if "type" in d]
    assert types[:2] == ["platform.initStart", "platform.start"]
    assert types[-2:] == ["platform.runtimeDone", "platform.report"]
    report = docs[-1]["record"]
    assert report["requestId"] == rid and report["status"] == "success"
    metrics = report["metrics"]
    assert set(metrics) >= {
        "durationMs",
        "billedDurationMs",
        "memorySizeMB",
        "maxMemoryUsedMB",
        "initDurationMs",
    }
    assert metrics["memorySizeMB"] == 128
    app = [d for d in docs if "level" in d]
    assert [d["message"] for d in app] == ["info line", "warn line", "caught it"]
    info = app[0]
    assert info["level"] == "INFO" and info["logger"] == "jsonlog"
    assert info["requestId"] == rid and info["order"] == 7
    assert info["timestamp"].endswith("Z")
    assert app[1]["level"] == "WARN"
    exc = app[2]
    assert exc["errorType"] == "ValueError" and exc["errorMessage"] == "bad value"
    assert exc["stackTrace"] and "location" in exc
    assert "plain print" in messages  # print() stays plain text, as on Lambda
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.filter_log_events(logGroupName="/aws/lambda/jl-json")
    # A second (warm) invoke: no initDurationMs; a handler failure is "error".
    failed = invoke(lam, "jl-json", {"raise": True})
    tail = _json_lines(failed["Log"])
    rep = next(d for d in tail if d.get("type") == "platform.report")["record"]
    assert "initDurationMs" not in rep["metrics"] and rep["status"] == "error"
    err = next(d for d in tail if d.get("errorType") == "RuntimeError")
    assert err["level"] == "ERROR" and err["errorMessage"] == "boom"


def test_log_levels_filter_application_and_system(lam: Any) -> None:
    create(
        lam,
        "jl-levels",
        zip_function("jsonlog"),
        LoggingConfig={
            "LogFormat": "JSON",
            "ApplicationLogLevel": "ERROR",
            "SystemLogLevel": "WARN",
        },
    )
    out = invoke(lam, "jl-levels", {})
    docs = _json_lines(out["Log"])
    assert [d.get("message") for d in docs] == ["caught it"]
    assert not [d for d in docs if "type" in d]  # platform events are INFO
    lam.update_function_configuration(
        FunctionName="jl-levels",
        LoggingConfig={
            "LogFormat": "JSON",
            "ApplicationLogLevel": "DEBUG",
            "SystemLogLevel": "INFO",
        },
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName="jl-levels")
    docs = _json_lines(invoke(lam, "jl-levels", {})["Log"])
    assert [d["message"] for d in docs if "level" in d][:2] == ["debug line", "info line"]


def test_filter_json_fields_get_log_events_and_retention(
    server: Server, lam: Any, logs: Any
) -> None:
    create(lam, "jl-filter", zip_function("jsonlog"), LoggingConfig={"LogFormat": "JSON"})
    invoke(lam, "jl-filter", {})
    invoke(lam, "jl-filter", {"raise": True})
    group = "/aws/lambda/jl-filter"
    errors = logs.filter_log_events(logGroupName=group, filterPattern='{ $.level = "ERROR" }')
    assert sorted(json.loads(e["message"]).get("message", "-") for e in errors["events"]) == [
        "-",  # the unhandled RuntimeError the runtime logged
        "caught it",
        "caught it",
    ]
    reports = logs.filter_log_events(
        logGroupName=group,
        filterPattern='{ $.type = "platform.report" && $.record.status = "error" }',
    )["events"]
    assert len(reports) == 1
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.filter_log_events(logGroupName=group, filterPattern="{ $.level = ")
    # Paging through a filtered scan.
    paginator = logs.get_paginator("filter_log_events")
    pages = list(
        paginator.paginate(
            logGroupName=group,
            filterPattern='{ $.level = "*" }',
            PaginationConfig={"PageSize": 2},
        )
    )
    assert sum(len(p["events"]) for p in pages) == 7  # 3 app records x 2, plus the error

    stream_name = logs.describe_log_streams(logGroupName=group)["logStreams"][0]["logStreamName"]
    head = logs.get_log_events(
        logGroupName=group, logStreamName=stream_name, startFromHead=True, limit=3
    )
    assert len(head["events"]) == 3
    assert json.loads(head["events"][0]["message"])["type"] == "platform.initStart"
    following = logs.get_log_events(
        logGroupName=group, logStreamName=stream_name, nextToken=head["nextForwardToken"], limit=3
    )
    six = logs.get_log_events(
        logGroupName=group, logStreamName=stream_name, startFromHead=True, limit=6
    )
    assert head["events"] + following["events"] == six["events"]
    tail = logs.get_log_events(logGroupName=group, logStreamName=stream_name, limit=1)
    assert json.loads(tail["events"][0]["message"])["type"] == "platform.report"
    every: list[dict[str, Any]] = []
    token = None
    while True:  # as the AWS CLI pages: until the forward token repeats
        kwargs: dict[str, Any] = {"nextToken": token} if token else {"startFromHead": True}
        page = logs.get_log_events(logGroupName=group, logStreamName=stream_name, limit=4, **kwargs)
        every.extend(page["events"])
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert len(every) == len(
        logs.filter_log_events(logGroupName=group, logStreamNames=[stream_name])["events"]
    )

    logs.put_retention_policy(logGroupName=group, retentionInDays=7)
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert described["retentionInDays"] == 7
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_retention_policy(logGroupName=group, retentionInDays=8)
    logs.delete_retention_policy(logGroupName=group)
    assert (
        "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    )


def test_cli_filter_on_json_fields(server: Server, lam: Any) -> None:
    from tests.functional.test_cli import cli

    create(
        lam,
        "jl-cli",
        zip_function("jsonlog"),
        LoggingConfig={"LogFormat": "JSON", "LogGroup": "/custom/jl-cli"},
    )
    invoke(lam, "jl-cli", {})
    out = cli("logs", "jl-cli", "--filter", 'level = "ERROR"', "--endpoint", server.endpoint)
    assert out.returncode == 0, out.stderr
    assert "caught it" in out.stdout and "info line" not in out.stdout
    plain = cli("logs", "jl-cli", "--filter", "plain print", "--endpoint", server.endpoint)
    assert plain.returncode == 0 and "plain print" in plain.stdout


def test_json_report_status_timeout_and_env(lam: Any) -> None:
    create(
        lam,
        "jl-timeout",
        zip_function("basic"),
        Timeout=1,
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"},
    )
    env = invoke(lam, "jl-timeout", {})["Body"]["env"]
    assert env["AWS_LAMBDA_LOG_FORMAT"] == "JSON" and env["AWS_LAMBDA_LOG_LEVEL"] == "DEBUG"
    out = invoke(lam, "jl-timeout", {"action": "sleep", "seconds": 5})
    assert out["FunctionError"] == "Unhandled"
    docs = _json_lines(out["Log"])
    report = next(d for d in docs if d.get("type") == "platform.report")["record"]
    assert report["status"] == "timeout" and report["errorType"] == "Sandbox.Timedout"
    done = next(d for d in docs if d.get("type") == "platform.runtimeDone")["record"]
    assert done["status"] == "timeout"
