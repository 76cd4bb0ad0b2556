"""The functions part of Lambda's API through boto3 and the AWS CLI: create, read,
update, delete, list, and validation errors that name field, value and range."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import FUNCTIONS, Server, create, invoke, zip_files, zip_function

ECHO_V2 = (FUNCTIONS / "echo" / "app.py").read_text().replace('"v1"', '"v2"')


def test_create_get_and_list(lam: Any) -> None:
    code = zip_function("echo")
    created = create(lam, "crud-echo", code, MemorySize=512, Timeout=7, Description="d")
    assert created["FunctionName"] == "crud-echo"
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:crud-echo"
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()
    assert created["CodeSize"] == len(code)
    assert created["State"] == "Active" and created["LastUpdateStatus"] == "Successful"
    assert (created["MemorySize"], created["Timeout"], created["Version"]) == (512, 7, "$LATEST")
    assert created["EphemeralStorage"] == {"Size": 512}
    fetched = lam.get_function(FunctionName="crud-echo")
    assert fetched["Configuration"]["RevisionId"] == created["RevisionId"]
    assert fetched["Code"]["RepositoryType"] == "S3"
    config = lam.get_function_configuration(FunctionName="crud-echo")
    assert config["Handler"] == "app.handler"
    names = [
        f["FunctionName"]
        for page in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 1})
        for f in page["Functions"]
    ]
    assert "crud-echo" in names and names == sorted(set(names))


def test_waiters_see_an_active_function(lam: Any) -> None:
    create(lam, "crud-waiter", zip_function("echo"))
    lam.get_waiter("function_active_v2").wait(FunctionName="crud-waiter")
    lam.update_function_configuration(FunctionName="crud-waiter", Timeout=9)
    lam.get_waiter("function_updated_v2").wait(FunctionName="crud-waiter")


def test_create_twice_is_a_conflict(lam: Any) -> None:
    create(lam, "crud-twice", zip_function("echo"))
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_function(
            FunctionName="crud-twice",
            Runtime="python3.11",
            Role="arn:aws:iam::123456789012:role/x",
            Handler="app.handler",
            Code={"ZipFile": zip_function("echo")},
        )


def test_update_code_and_configuration_take_effect(lam: Any) -> None:
    create(lam, "crud-update", zip_function("echo"))
    assert invoke(lam, "crud-update")["Body"]["version"] == "v1"
    updated = lam.update_function_code(
        FunctionName="crud-update", ZipFile=zip_files({"app.py": ECHO_V2})
    )
    assert (
        updated["CodeSha256"]
        != base64.b64encode(hashlib.sha256(zip_function("echo")).digest()).decode()
    )
    assert invoke(lam, "crud-update")["Body"]["version"] == "v2"
    lam.update_function_configuration(
        FunctionName="crud-update", Environment={"Variables": {"GREETING": "hej"}}
    )
    body = invoke(lam, "crud-update")["Body"]
    assert body == {"version": "v2", "greeting": "hej", "event": {}}


def test_revision_id_guards_updates(lam: Any) -> None:
    created = create(lam, "crud-revision", zip_function("echo"))
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.update_function_configuration(
            FunctionName="crud-revision", Timeout=5, RevisionId="not-the-revision"
        )
    ok = lam.update_function_configuration(
        FunctionName="crud-revision", Timeout=5, RevisionId=created["RevisionId"]
    )
    assert ok["RevisionId"] != created["RevisionId"]


def test_delete_function(lam: Any) -> None:
    create(lam, "crud-delete", zip_function("echo"))
    invoke(lam, "crud-delete")
    lam.delete_function(FunctionName="crud-delete")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as info:
        lam.get_function(FunctionName="crud-delete")
    assert "crud-delete" in info.value.response["Error"]["Message"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="crud-delete")


@pytest.fixture(scope="module")
def raw_lam(server: Server) -> Any:
    return server.client(validate=False)


def _create_error(lam: Any, **overrides: Any) -> dict[str, str]:
    args: dict[str, Any] = {
        "FunctionName": "crud-invalid",
        "Runtime": "python3.11",
        "Role": "arn:aws:iam::123456789012:role/x",
        "Handler": "app.handler",
        "Code": {"ZipFile": zip_function("echo")},
    }
    args.update(overrides)
    with pytest.raises(ClientError) as info:
        lam.create_function(**args)
    return info.value.response["Error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("overrides", "code", "needles"),
    [
        ({"MemorySize": 64}, "ValidationException", ["memorySize", "64", "128-10240"]),
        ({"MemorySize": 20000}, "ValidationException", ["memorySize", "20000", "128-10240"]),
        ({"Timeout": 901}, "ValidationException", ["timeout", "901", "1-900"]),
        (
            {"EphemeralStorage": {"Size": 100}},
            "ValidationException",
            ["ephemeralStorage", "100", "512-10240"],
        ),
        (
            {"Runtime": "python2.7"},
            "InvalidParameterValueException",
            ["runtime", "python2.7", "python3.11"],
        ),
        ({"Handler": "has space"}, "ValidationException", ["handler", "has space"]),
        (
            {"Environment": {"Variables": {"AWS_REGION": "x"}}},
            "InvalidParameterValueException",
            ["AWS_REGION"],
        ),
        (
            {"Environment": {"Variables": {"BIG": "x" * 5000}}},
            "InvalidParameterValueException",
            ["4KB", "4096"],
        ),
        ({"Code": {"ZipFile": b"not a zip"}}, "InvalidParameterValueException", ["unzip"]),
    ],
)
def test_invalid_configuration_names_field_value_and_range(
    raw_lam: Any, overrides: dict[str, Any], code: str, needles: list[str]
) -> None:
    lam = raw_lam
    error = _create_error(lam, **overrides)
    assert error["Code"] == code
    for needle in needles:
        assert needle in error["Message"], (needle, error["Message"])
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="crud-invalid")


def test_invalid_name_is_refused(raw_lam: Any) -> None:
    with pytest.raises(ClientError) as info:
        raw_lam.get_function(FunctionName="bad name!")
    assert "bad name!" in info.value.response["Error"]["Message"]


def test_invalid_update_keeps_what_was_accepted(lam: Any, raw_lam: Any) -> None:
    create(lam, "crud-keep", zip_function("echo"), MemorySize=256)
    with pytest.raises(ClientError):
        raw_lam.update_function_configuration(FunctionName="crud-keep", MemorySize=5)
    assert lam.get_function_configuration(FunctionName="crud-keep")["MemorySize"] == 256
    assert invoke(lam, "crud-keep")["StatusCode"] == 200


def test_unknown_route_is_an_aws_error(server: Server) -> None:
    import httpx

    response = httpx.get(server.endpoint + "/2015-03-31/nothing-here")
    assert response.status_code == 404
    assert response.headers["x-amzn-errortype"] == "UnknownOperationException"


def test_aws_cli_drives_the_same_api(server: Server, tmp_path: Path) -> None:
    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("the AWS CLI is not installed in this environment")
    zip_path = tmp_path / "code.zip"
    zip_path.write_bytes(zip_function("echo"))
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }
    base = [str(aws), "lambda", "--endpoint-url", server.endpoint, "--output", "json"]

    def run(*args: str) -> Any:
        out = subprocess.run([*base, *args], capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else None

    subprocess.run(
        [*base, "delete-function", "--function-name", "cli-echo"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    created = run(
        "create-function",
        "--function-name",
        "cli-echo",
        "--runtime",
        "python3.11",
        "--handler",
        "app.handler",
        "--role",
        "arn:aws:iam::123456789012:role/x",
        "--zip-file",
        f"fileb://{zip_path}",
    )
    assert created["FunctionName"] == "cli-echo"
    out_file = tmp_path / "out.json"
    result = run("invoke", "--function-name", "cli-echo", "--payload", '{"a": 1}', str(out_file))
    assert result["StatusCode"] == 200 and result["ExecutedVersion"] == "$LATEST"
    assert json.loads(out_file.read_text())["event"] == {"a": 1}
    assert (
        run("get-function-configuration", "--function-name", "cli-echo")["Runtime"] == "python3.11"
    )
    run("delete-function", "--function-name", "cli-echo")
