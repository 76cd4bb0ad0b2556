"""ListFunctions with and without ``FunctionVersion=ALL``, and GetAccountSettings'
usage, on a server of their own (so the counts are exact), through boto3 and the
AWS CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import Server, create, zip_files, zip_function

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
ONLY_IN_GET = ("State", "StateReason", "StateReasonCode", "LastUpdateStatus")


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("listing") / "state").start()
    yield srv
    srv.stop()


def everything(lam: Any, page_size: int, **kwargs: Any) -> list[dict[str, Any]]:
    pages = lam.get_paginator("list_functions").paginate(
        PaginationConfig={"PageSize": page_size}, **kwargs
    )
    return [f for page in pages for f in page["Functions"]]


def test_listing_all_versions_pages_through_every_version(own: Server) -> None:
    lam = own.client()
    code = zip_function("echo")
    create(lam, "list-b", code, Publish=True)  # $LATEST and 1
    lam.update_function_configuration(FunctionName="list-b", Timeout=5)
    lam.publish_version(FunctionName="list-b")  # 2
    lam.update_function_configuration(FunctionName="list-b", Timeout=6)
    lam.publish_version(FunctionName="list-b")  # 3
    lam.delete_function(FunctionName="list-b", Qualifier="2")
    create(lam, "list-a", code)
    create(lam, "list-c", code, Publish=True)

    expected = [
        "list-a:$LATEST",
        "list-b:$LATEST",
        "list-b:1",
        "list-b:3",
        "list-c:$LATEST",
        "list-c:1",
    ]
    for size in (1, 2, 4, 50):
        listed = everything(lam, size, FunctionVersion="ALL")
        assert [f["FunctionArn"].removeprefix(ARN) for f in listed] == expected
        assert [f["Version"] for f in listed] == ["$LATEST", "$LATEST", "1", "3", "$LATEST", "1"]
    assert {f["Timeout"] for f in listed if f["FunctionName"] == "list-b"} == {3, 6}

    plain = everything(lam, 1)
    assert [f["FunctionArn"] for f in plain] == [ARN + "list-a", ARN + "list-b", ARN + "list-c"]
    for entry in [*listed, *plain]:
        for member in ONLY_IN_GET:
            assert member not in entry, (member, entry["FunctionArn"])
    assert lam.get_function_configuration(FunctionName="list-b")["State"] == "Active"

    page = lam.list_functions(FunctionVersion="ALL", MaxItems=3)
    assert page["NextMarker"] == "list-b:1"
    rest = lam.list_functions(FunctionVersion="ALL", Marker=page["NextMarker"])
    assert [f["FunctionArn"].removeprefix(ARN) for f in rest["Functions"]] == expected[3:]
    assert "NextMarker" not in rest


def test_bad_listing_parameters_are_refused(own: Server) -> None:
    raw = own.client(validate=False)
    with pytest.raises(ClientError) as info:
        raw.list_functions(FunctionVersion="LATEST")
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "'functionVersion'" in error["Message"] and "[ALL]" in error["Message"]
    with pytest.raises(raw.exceptions.InvalidParameterValueException):
        raw.list_functions(FunctionVersion="ALL", Marker="list-b:two")
    with pytest.raises(raw.exceptions.InvalidParameterValueException):
        raw.list_functions(MasterRegion="us-east-1")
    # Lambda@Edge replicas are the only functions with a master region: none here.
    assert raw.list_functions(MasterRegion="ALL", FunctionVersion="ALL")["Functions"] == []


def test_account_usage_counts_every_version_and_layer_version(tmp_path: Path) -> None:
    srv = Server(tmp_path / "state").start()
    try:
        lam = srv.client()
        settings = lam.get_account_settings()
        assert settings["AccountUsage"] == {"TotalCodeSize": 0, "FunctionCount": 0}
        assert settings["AccountLimit"]["TotalCodeSize"] == 80530636800
        assert settings["AccountLimit"]["CodeSizeZipped"] == 52428800
        assert settings["AccountLimit"]["CodeSizeUnzipped"] == 262144000

        code = zip_function("echo")
        create(lam, "usage-a", code)
        assert lam.get_account_settings()["AccountUsage"] == {
            "TotalCodeSize": len(code),
            "FunctionCount": 1,
        }
        # Publishing the same zip counts it again, as AWS does; a configuration
        # change alone counts nothing until it is published.
        lam.update_function_code(FunctionName="usage-a", ZipFile=code, Publish=True)
        assert lam.get_account_settings()["AccountUsage"]["TotalCodeSize"] == 2 * len(code)
        lam.update_function_configuration(FunctionName="usage-a", Timeout=4)
        assert lam.get_account_settings()["AccountUsage"]["TotalCodeSize"] == 2 * len(code)
        lam.publish_version(FunctionName="usage-a")
        assert lam.get_account_settings()["AccountUsage"]["TotalCodeSize"] == 3 * len(code)

        other = zip_files({"app.py": "def handler(event, context):\n    return 2\n"})
        create(lam, "usage-b", other)
        layer = zip_files({"python/helper.py": "X = 1\n"})
        for _ in range(2):
            lam.publish_layer_version(LayerName="usage-layer", Content={"ZipFile": layer})
        usage = lam.get_account_settings()["AccountUsage"]
        assert usage == {
            "TotalCodeSize": 3 * len(code) + len(other) + 2 * len(layer),
            "FunctionCount": 2,
        }
        lam.delete_layer_version(LayerName="usage-layer", VersionNumber=1)
        lam.delete_function(FunctionName="usage-a", Qualifier="1")
        assert lam.get_account_settings()["AccountUsage"] == {
            "TotalCodeSize": 2 * len(code) + len(other) + len(layer),
            "FunctionCount": 2,
        }
        lam.delete_function(FunctionName="usage-a")
        assert lam.get_account_settings()["AccountUsage"] == {
            "TotalCodeSize": len(other) + len(layer),
            "FunctionCount": 1,
        }
    finally:
        srv.stop()


def test_aws_cli_lists_all_versions(own: Server) -> None:
    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("the AWS CLI is not installed in this environment")
    create(own.client(), "list-z", zip_function("echo"), Publish=True)
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }
    out = subprocess.run(
        [
            str(aws),
            "lambda",
            "--endpoint-url",
            own.endpoint,
            "--output",
            "json",
            "list-functions",
            "--function-version",
            "ALL",
            "--page-size",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    arns = [f["FunctionArn"] for f in json.loads(out.stdout)["Functions"]]
    assert arns[-2:] == [ARN + "list-z:$LATEST", ARN + "list-z:1"]
    assert len(arns) == len(set(arns))  # every version once across the pages
