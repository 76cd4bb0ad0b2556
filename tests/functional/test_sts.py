"""STS GetCallerIdentity, and errors for services snaplambda lacks, against a real
``snaplambda serve``, driven by boto3, the AWS CLI and raw HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.support import Server, create, invoke, zip_function

ACCOUNT = "210987654321"
NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}


@pytest.fixture(scope="module")
def account_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A platform configured with its own account id."""
    srv = Server(
        tmp_path_factory.mktemp("sts") / "state", env={"SNAPLAMBDA_ACCOUNT_ID": ACCOUNT}
    ).start()
    yield srv
    srv.stop()


def aws_cli(server: Server, *args: str, key: str = "test") -> subprocess.CompletedProcess[str]:
    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("the AWS CLI is not installed in this environment")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }
    command = [str(aws), *args, "--endpoint-url", server.endpoint, "--output", "json"]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def error_of(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as info:
        call()
    error: dict[str, Any] = info.value.response["Error"]
    error["Status"] = info.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error


# -- GetCallerIdentity ---------------------------------------------------------------


def test_boto3_gets_the_configured_account(account_server: Server) -> None:
    identity = account_server.client("sts").get_caller_identity()
    assert identity["Account"] == ACCOUNT
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert identity["UserId"] == ACCOUNT
    assert identity["ResponseMetadata"]["RequestId"]


def test_the_default_account(server: Server) -> None:
    assert server.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_the_aws_cli_gets_the_caller_identity(account_server: Server) -> None:
    out = aws_cli(account_server, "sts", "get-caller-identity", key="AKIDCLIEXAMPLE")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "UserId": ACCOUNT,
        "Account": ACCOUNT,
        "Arn": f"arn:aws:iam::{ACCOUNT}:root",
    }


def test_a_presigned_get_caller_identity_url_works(account_server: Server) -> None:
    # Vault's and EKS's AWS auth hand such a URL to a third party to prove who they are.
    url = account_server.client("sts").generate_presigned_url("get_caller_identity")
    assert "X-Amz-Credential=test%2F" in url
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    result = root.find("sts:GetCallerIdentityResult", NS)
    assert result is not None
    assert result.findtext("sts:Account", namespaces=NS) == ACCOUNT
    assert root.findtext("sts:ResponseMetadata/sts:RequestId", namespaces=NS)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unsigned_query_requests_are_answered(server: Server, method: str) -> None:
    params = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    if method == "GET":
        response = httpx.get(server.endpoint + "/", params=params)
    else:
        response = httpx.post(server.endpoint + "/", data=params)
    assert response.status_code == 200, response.text
    assert ET.fromstring(response.content).findtext(".//sts:Arn", namespaces=NS) == (
        "arn:aws:iam::123456789012:root"
    )


# -- STS errors ------------------------------------------------------------------------


def test_other_sts_actions_are_named_as_unsupported(server: Server) -> None:
    sts = server.client("sts")
    error = error_of(
        lambda: sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="s1")
    )
    assert (error["Code"], error["Type"], error["Status"]) == ("InvalidAction", "Sender", 400)
    assert "AssumeRole" in error["Message"] and "not supported by snaplambda" in error["Message"]
    assert "GetSessionToken" in error_of(sts.get_session_token)["Message"]


def test_the_aws_cli_reports_an_unsupported_sts_action(server: Server) -> None:
    out = aws_cli(server, "sts", "get-session-token")
    assert out.returncode != 0
    assert "InvalidAction" in out.stderr and "GetSessionToken" in out.stderr


def sts_post(server: Server, body: bytes) -> tuple[int, ET.Element]:
    response = httpx.post(
        server.endpoint + "/",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.headers["content-type"].startswith("text/xml")
    return response.status_code, ET.fromstring(response.content)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"Action", 400, "MalformedQueryString"),
        (b"Action=GetCallerIdentity&Version=2011-06-15&\xff=1", 400, "MalformedQueryString"),
        (b"Version=2011-06-15", 400, "MissingAction"),
        (b"", 400, "MissingAction"),
        (b"Action=GetCallerIdentity&Version=1999-01-01", 400, "InvalidAction"),
        (b"Action=GetCallerIdentity&Junk=" + b"x" * (1 << 20), 413, "RequestEntityTooLarge"),
    ],
)
def test_malformed_query_requests_are_4xx_error_responses(
    server: Server, body: bytes, status: int, code: str
) -> None:
    got, root = sts_post(server, body)
    assert got == status
    assert root.tag.endswith("ErrorResponse")
    assert root.findtext("./{*}Error/{*}Type") == "Sender"
    assert root.findtext("./{*}Error/{*}Code") == code
    assert root.findtext("./{*}Error/{*}Message")


# -- other services ----------------------------------------------------------------------

CALLS: list[tuple[str, Callable[[Any], Any]]] = [
    ("s3", lambda c: c.list_buckets()),
    ("s3", lambda c: c.create_bucket(Bucket="data")),
    ("dynamodb", lambda c: c.list_tables()),
    ("sqs", lambda c: c.list_queues()),
    ("ssm", lambda c: c.get_parameter(Name="/app/db-url")),
    ("secretsmanager", lambda c: c.get_secret_value(SecretId="db")),
    ("iam", lambda c: c.list_users()),
    ("sns", lambda c: c.list_topics()),
    ("ec2", lambda c: c.describe_instances()),
    ("kms", lambda c: c.list_keys()),
    ("apigateway", lambda c: c.get_rest_apis()),
]


@pytest.mark.parametrize(
    ("service", "call"), CALLS, ids=[f"{s}-{i}" for i, (s, _) in enumerate(CALLS)]
)
def test_other_services_get_an_error_naming_them(
    server: Server, service: str, call: Callable[[Any], Any]
) -> None:
    client = server.client(service)
    error = error_of(lambda: call(client))
    assert error["Status"] == 400
    assert f"'{client.meta.service_model.signing_name}'" in error["Message"]
    assert "not supported by snaplambda" in error["Message"]
    assert error["Code"] in ("InvalidAction", "UnknownOperationException", "NotImplemented")


def test_an_s3_upload_is_refused_and_the_connection_keeps_working(server: Server) -> None:
    s3 = server.client("s3")
    error = error_of(lambda: s3.put_object(Bucket="data", Key="k", Body=b"x" * 200_000))
    assert (error["Code"], error["Status"]) == ("NotImplemented", 400)
    assert "'s3'" in error_of(s3.list_buckets)["Message"]


def test_the_aws_cli_names_an_unsupported_service(server: Server) -> None:
    out = aws_cli(server, "dynamodb", "list-tables")
    assert out.returncode != 0
    assert "UnknownOperationException" in out.stderr and "'dynamodb'" in out.stderr


def test_unsigned_json_requests_are_named_by_their_target(server: Server) -> None:
    # Twice over one connection: the refused request's body must not linger on it.
    with httpx.Client(base_url=server.endpoint) as http:
        for _ in range(2):
            response = http.post(
                "/",
                content=b'{"ExclusiveStartTableName": "' + b"t" * 50_000 + b'"}',
                headers={
                    "X-Amz-Target": "DynamoDB_20120810.ListTables",
                    "Content-Type": "application/x-amz-json-1.0",
                },
            )
            assert response.status_code == 400
            assert response.headers["content-type"] == "application/x-amz-json-1.0"
            assert "connection" not in response.headers
            body = response.json()
            assert body["__type"] == "UnknownOperationException"
            assert "'dynamodb'" in body["message"] and "ListTables" in body["message"]


def test_unsigned_query_requests_are_named_by_their_version(server: Server) -> None:
    got, root = sts_post(server, b"Action=ListUsers&Version=2010-05-08")
    assert got == 400
    assert root.findtext("./{*}Error/{*}Code") == "InvalidAction"
    assert "'iam'" in (root.findtext("./{*}Error/{*}Message") or "")


def test_the_platforms_own_apis_still_answer_on_the_same_port(server: Server) -> None:
    lam = server.client("lambda")
    create(lam, "sts-neighbour", zip_function("echo"))
    assert invoke(lam, "sts-neighbour", {"a": 1})["Body"]["event"] == {"a": 1}
    assert lam.get_function(FunctionName="sts-neighbour")["Configuration"]["Runtime"]
    assert "logGroups" in server.client("logs").describe_log_groups()
    assert "Metrics" in server.client("cloudwatch").list_metrics()
    autoscaling = server.client("application-autoscaling")
    assert "ScalableTargets" in autoscaling.describe_scalable_targets(ServiceNamespace="lambda")
    # an unknown route is still Lambda's REST error, not another service's
    response = httpx.get(server.endpoint + "/2015-03-31/nothing-here")
    assert response.headers["x-amzn-errortype"] == "UnknownOperationException"
