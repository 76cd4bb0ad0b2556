"""Invoking functions through boto3 against a real server: lifecycle, context,
environment, logs framing and the Invoke API's headers."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from tests.support import create, invoke, report_fields, zip_function

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def basic(lam: Any) -> str:
    create(
        lam,
        "basic",
        zip_function("basic"),
        MemorySize=256,
        Timeout=5,
        Environment={"Variables": {"MY_VAR": "hello"}},
    )
    return "basic"


def test_cold_then_warm_reuses_the_environment(lam: Any, basic: str) -> None:
    lam.update_function_configuration(FunctionName=basic, Description="fresh")  # new envs
    first = invoke(lam, basic, {"n": 1})
    second = invoke(lam, basic, {"n": 2})
    assert first["StatusCode"] == 200 and second["StatusCode"] == 200
    assert first["Body"]["event"] == {"n": 1}
    assert first["Body"]["pid"] == second["Body"]["pid"], "warm invoke reuses the process"
    assert "Init Duration" in report_fields(first["Log"])
    assert "Init Duration" not in report_fields(second["Log"])
    assert first["ExecutedVersion"] == "$LATEST"


def test_log_tail_has_lambda_framing(lam: Any, basic: str) -> None:
    response = invoke(lam, basic, {"action": "print", "lines": 2})
    log = response["Log"].splitlines()
    rid = response["Body"]["context"]["aws_request_id"]
    assert f"START RequestId: {rid} Version: $LATEST" in log
    assert "line 0" in log and "line 1" in log
    assert f"END RequestId: {rid}" in log
    report = next(line for line in log if line.startswith("REPORT"))
    assert re.fullmatch(
        rf"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
        rf"Memory Size: 256 MB\tMax Memory Used: \d+ MB\t(Init Duration: \d+\.\d\d ms\t)?",
        report,
    ), report
    used = int(report_fields(response["Log"])["Max Memory Used"].split()[0])
    assert 5 < used < 256, "Max Memory Used is measured, not copied from Memory Size"


def test_context_object_matches_lambda(lam: Any, basic: str) -> None:
    body = invoke(lam, basic)["Body"]
    ctx = body["context"]
    assert ctx["function_name"] == "basic"
    assert ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:basic"
    assert ctx["memory_limit_in_mb"] == "256"
    assert re.fullmatch(UUID, ctx["aws_request_id"])
    assert ctx["log_group_name"] == "/aws/lambda/basic"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", ctx["log_stream_name"])
    assert 0 < ctx["remaining"] <= 5000
    assert ctx["identity"] == [None, None]
    assert ctx["client_context"] is None
    assert ctx["types"] == {
        "memory_limit_in_mb": "str",
        "function_version": "str",
        "remaining": "int",
    }


def test_client_context_reaches_the_handler(lam: Any, basic: str) -> None:
    client_context = {"custom": {"k": "v"}, "env": {"e": "1"}, "client": {"app_title": "demo"}}
    encoded = base64.b64encode(json.dumps(client_context).encode()).decode()
    body = invoke(lam, basic, ClientContext=encoded)["Body"]
    assert body["context"]["client_context"] == {
        "custom": {"k": "v"},
        "env": {"e": "1"},
        "app_title": "demo",
    }


def test_environment_and_paths_as_on_lambda(lam: Any, basic: str) -> None:
    body = invoke(lam, basic)["Body"]
    env = body["env"]
    task_root = env["LAMBDA_TASK_ROOT"]
    assert body["cwd"] == task_root
    assert body["sysPath"][0] == task_root
    assert env["MY_VAR"] == "hello"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "basic"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/basic"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == body["context"]["log_stream_name"]
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11"
    assert env["_HANDLER"] == "app.handler"
    assert env["TZ"] == ":UTC"
    assert env["LAMBDA_RUNTIME_DIR"]
    assert re.fullmatch(
        r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]", env["_X_AMZN_TRACE_ID"]
    )
    assert not [k for k in env if k.startswith("_SNAPLAMBDA")], "platform-private variables leak"
    assert body["modules"] == [], "the function must not see snaplambda's dependencies"


def test_trace_id_changes_per_invoke_and_continues_callers(lam: Any, basic: str) -> None:
    a = invoke(lam, basic)["Body"]["env"]["_X_AMZN_TRACE_ID"]
    b = invoke(lam, basic)["Body"]["env"]["_X_AMZN_TRACE_ID"]
    assert a != b
    root = "Root=1-5759e988-bd862e3fe1be46a994272793"
    lam.meta.events.register(
        "before-send.lambda.Invoke",
        lambda request, **_: request.headers.__setitem__("X-Amzn-Trace-Id", f"{root};Sampled=1"),
        unique_id="trace-test",
    )
    try:
        continued = invoke(lam, basic)["Body"]["env"]["_X_AMZN_TRACE_ID"]
    finally:
        lam.meta.events.unregister("before-send.lambda.Invoke", unique_id="trace-test")
    assert continued.startswith(root + ";Parent=") and continued.endswith(";Sampled=1")


def test_unhandled_exception_shape(lam: Any, basic: str) -> None:
    response = invoke(lam, basic, {"action": "raise", "message": "bad thing"})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    body = response["Body"]
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "bad thing"
    assert re.fullmatch(UUID, body["requestId"])
    assert any("app.py" in frame for frame in body["stackTrace"])
    assert "[ERROR] ValueError: bad thing" in response["Log"]
    # The environment survives a handled failure.
    assert invoke(lam, basic)["StatusCode"] == 200


def test_dry_run_validates_without_running(lam: Any, basic: str) -> None:
    response = lam.invoke(FunctionName=basic, InvocationType="DryRun", Payload=b"{}")
    assert response["StatusCode"] == 204


def test_invoke_by_arn_and_partial_arn(lam: Any, basic: str) -> None:
    full = invoke(lam, "arn:aws:lambda:us-east-1:123456789012:function:basic")
    partial = invoke(lam, "123456789012:function:basic")
    assert full["StatusCode"] == partial["StatusCode"] == 200
    assert full["Body"]["context"]["invoked_function_arn"].endswith(":function:basic")


def test_unknown_function_is_resource_not_found(lam: Any) -> None:
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="does-not-exist", Payload=b"{}")


def test_payload_that_is_not_json_is_a_clear_400(lam: Any, basic: str) -> None:
    with pytest.raises(lam.exceptions.InvalidRequestContentException) as info:
        lam.invoke(FunctionName=basic, Payload=b"{not json")
    assert "json" in info.value.response["Error"]["Message"].lower()


def test_request_over_6mb_is_refused(lam: Any, basic: str) -> None:
    big = json.dumps({"x": "a" * (6 * 1024 * 1024)}).encode()
    # AWS answers RequestEntityTooLargeException on the wire; botocore's current model
    # has no class for that code, so boto3 raises a plain ClientError carrying it.
    with pytest.raises(lam.exceptions.ClientError) as info:
        lam.invoke(FunctionName=basic, Payload=big)
    assert info.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert "6291456" in info.value.response["Error"]["Message"]


def test_responses_carry_a_content_length(server: Any, basic: str) -> None:
    import httpx

    response = httpx.post(
        f"{server.endpoint}/2015-03-31/functions/{basic}/invocations", content=b'{"n": 1}'
    )
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(response.content))
    assert "transfer-encoding" not in response.headers
    accepted = httpx.post(
        f"{server.endpoint}/2015-03-31/functions/{basic}/invocations",
        content=b"{}",
        headers={"X-Amz-Invocation-Type": "DryRun"},
    )
    assert accepted.status_code == 204
