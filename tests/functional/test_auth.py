"""Authentication and authorization with ``--auth on``: SigV4 checked on every API
against the key store, key and role policies enforced, AWS's errors for the rest."""

from __future__ import annotations

import datetime
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import botocore.auth
import httpx
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support import Server, create, invoke, zip_files

ACCOUNT = "123456789012"
REGION = "us-east-1"
LIMITED = ("AKIALIMITEDEXAMPLE01", "limited-secret-limited-secret-limited-00")
PUB_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:pub"
CALLER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/caller"

ECHO = "def handler(event, context):\n    return {'ok': True, 'event': event}\n"
# Calls the platform with the environment's own credentials (its role's).
CALLER = """
import boto3
from botocore.exceptions import ClientError

def handler(event, context):
    out = {"identity": boto3.client("sts").get_caller_identity()["Arn"]}
    lam = boto3.client("lambda")
    for name in event["targets"]:
        try:
            cfg = lam.get_function_configuration(FunctionName=name)
            out[name] = cfg.get("Environment", {}).get("Variables", {})
        except ClientError as exc:
            out[name] = exc.response["Error"]["Code"]
    return out
"""


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    state = tmp_path_factory.mktemp("auth") / "state"
    state.mkdir()
    keys = [
        {
            "AccessKeyId": LIMITED[0],
            "SecretAccessKey": LIMITED[1],
            "UserName": "invoker",
            "Policy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["lambda:InvokeFunction", "lambda:Get*"],
                        "Resource": [PUB_ARN, f"{PUB_ARN}:$LATEST"],
                    },
                    {"Effect": "Deny", "Action": "lambda:GetFunction", "Resource": "*"},
                    {
                        "Effect": "Allow",
                        "Action": "logs:FilterLogEvents",
                        "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/pub:*",
                    },
                ],
            },
        }
    ]
    (state / "keys.json").write_text(json.dumps(keys))
    roles = {
        CALLER_ROLE: {
            "Statement": {
                "Effect": "Allow",
                "Action": "lambda:GetFunctionConfiguration",
                "Resource": PUB_ARN,
            }
        }
    }
    (state / "roles.json").write_text(json.dumps(roles))
    server = Server(state, env={"SNAPLAMBDA_AUTH": "on"}).start()
    root = server.client()
    create(root, "pub", zip_files({"app.py": ECHO}), Environment={"Variables": {"PUBLIC": "1"}})
    create(
        root, "secret", zip_files({"app.py": ECHO}), Environment={"Variables": {"PASSWORD": "x"}}
    )
    yield server
    server.stop()


def code_of(call: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response
    return (
        error["Error"]["Code"],
        error["Error"]["Message"],
        error["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_the_root_key_is_made_on_first_start_private_and_announced(srv: Server) -> None:
    assert srv.credentials_file.exists()
    assert stat.S_IMODE(srv.credentials_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(srv.state_dir.stat().st_mode) == 0o700
    key_id, secret = srv.root_key()
    assert key_id.startswith("AKIA") and len(key_id) == 20 and len(secret) == 40
    assert f"AWS_SHARED_CREDENTIALS_FILE={srv.credentials_file.resolve()}" in srv.output()
    assert "AWS_PROFILE=snaplambda" in srv.output()
    assert srv.health()["auth"] == "on"


def test_state_files_are_readable_by_their_owner_only(srv: Server) -> None:
    databases = [p for p in srv.state_dir.iterdir() if p.name.endswith((".db", "-wal", "-shm"))]
    assert any(p.name == "snaplambda.db" for p in databases)
    assert any(p.name.endswith("-wal") for p in databases)
    for path in databases:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_root_key_works_for_every_protocol(srv: Server) -> None:
    assert "pub" in [f["FunctionName"] for f in srv.client().list_functions()["Functions"]]
    assert invoke(srv.client(), "pub", {"a": 1})["Body"]["ok"] is True
    srv.client("logs").describe_log_groups()
    identity = srv.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_a_presigned_sts_url_is_verified(srv: Server) -> None:
    url = srv.client("sts").generate_presigned_url("get_caller_identity")
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    response = httpx.get(tampered)
    assert response.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in response.text


def test_a_wrong_secret_is_an_invalid_signature_and_changes_nothing(srv: Server) -> None:
    bad = srv.client(key=(srv.root_key()[0], "wrong" * 8))
    code, message, status = code_of(lambda: bad.delete_function(FunctionName="pub"))
    assert (code, status) == ("InvalidSignatureException", 403)
    assert "signature we calculated does not match" in message
    srv.client().get_function(FunctionName="pub")  # still there
    logs = srv.client("logs", key=(srv.root_key()[0], "wrong" * 8))
    assert code_of(logs.describe_log_groups)[0] == "InvalidSignatureException"
    sts = srv.client("sts", key=(srv.root_key()[0], "wrong" * 8))
    assert code_of(sts.get_caller_identity)[0] == "SignatureDoesNotMatch"


def test_an_unknown_key_is_unrecognized(srv: Server) -> None:
    stranger = ("AKIAUNKNOWNEXAMPLE00", "s" * 40)
    code, message, status = code_of(srv.client(key=stranger).list_functions)
    assert (code, status) == ("UnrecognizedClientException", 403)
    assert message == "The security token included in the request is invalid."
    assert code_of(srv.client("logs", key=stranger).describe_log_groups)[0] == (
        "UnrecognizedClientException"
    )
    assert code_of(srv.client("sts", key=stranger).get_caller_identity)[0] == (
        "InvalidClientTokenId"
    )


def test_an_unsigned_request_is_refused(srv: Server) -> None:
    response = httpx.get(srv.endpoint + "/2015-03-31/functions")
    assert response.status_code == 403
    assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert response.json() == {"message": "Missing Authentication Token"}
    import boto3

    unsigned = boto3.client(
        "lambda",
        endpoint_url=srv.endpoint,
        region_name=REGION,
        config=BotoConfig(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )
    assert code_of(lambda: unsigned.delete_function(FunctionName="pub"))[0] == (
        "MissingAuthenticationTokenException"
    )
    srv.client().get_function(FunctionName="pub")


def test_a_signature_20_minutes_old_has_expired(srv: Server) -> None:
    past = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=past):
        code, message, status = code_of(srv.client().list_functions)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith("Signature expired:")
    # The same request signed now passes.
    srv.client().list_functions()


def _signed(
    method: str, url: str, body: bytes, headers: dict[str, str], secret: str
) -> httpx.Response:
    request = AWSRequest(method, url, data=body, headers=headers)
    SigV4Auth(Credentials(LIMITED[0], secret), "lambda", REGION).add_auth(request)
    return httpx.request(method, url, content=body, headers=dict(request.headers))


def test_unsigned_payload_and_a_body_changed_after_signing(srv: Server) -> None:
    url = srv.endpoint + "/2015-03-31/functions/pub/invocations"
    ok = _signed("POST", url, b'{"x": 1}', {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}, LIMITED[1])
    assert ok.status_code == 200, ok.text
    request = AWSRequest("POST", url, data=b'{"x": 1}')
    SigV4Auth(Credentials(*LIMITED), "lambda", REGION).add_auth(request)
    swapped = httpx.post(url, content=b'{"x": 2}', headers=dict(request.headers))
    assert swapped.status_code == 403
    assert swapped.headers["x-amzn-errortype"] == "InvalidSignatureException"


def test_a_limited_key_does_only_what_its_policy_allows(srv: Server) -> None:
    limited = srv.client(key=LIMITED)
    assert invoke(limited, "pub")["Body"]["ok"] is True
    code, message, status = code_of(lambda: limited.delete_function(FunctionName="pub"))
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/invoker is not authorized to perform: "
        f"lambda:DeleteFunction on resource: {PUB_ARN} because no identity-based policy "
        "allows the lambda:DeleteFunction action"
    )
    # Another function's configuration (and its variables) stays hidden.
    code, message, _ = code_of(lambda: limited.get_function_configuration(FunctionName="secret"))
    assert code == "AccessDeniedException" and "function:secret" in message
    assert code_of(lambda: limited.invoke(FunctionName="secret"))[0] == "AccessDeniedException"
    # lambda:Get* allows this one; an explicit Deny wins over it for GetFunction.
    assert limited.get_function_configuration(FunctionName="pub")["FunctionName"] == "pub"
    code, message, _ = code_of(lambda: limited.get_function(FunctionName="pub"))
    assert code == "AccessDeniedException" and "explicit deny" in message
    assert code_of(limited.list_functions)[0] == "AccessDeniedException"
    srv.client().get_function(FunctionName="pub")
    assert srv.client("sts", key=LIMITED).get_caller_identity()["Arn"] == (
        f"arn:aws:iam::{ACCOUNT}:user/invoker"
    )


def test_a_function_calls_the_platform_with_its_roles_credentials(srv: Server) -> None:
    root = srv.client()
    create(root, "caller", zip_files({"app.py": CALLER}), Timeout=30)
    root.update_function_configuration(FunctionName="caller", Role=CALLER_ROLE)
    create(root, "plain", zip_files({"app.py": CALLER}), Timeout=30)
    body = invoke(root, "caller", {"targets": ["pub", "secret"]})["Body"]
    assert body["identity"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/caller/caller"
    assert body["pub"] == {"PUBLIC": "1"}
    assert body["secret"] == "AccessDeniedException"
    # Without a policy given to its role a function may call nothing of the platform.
    plain = invoke(root, "plain", {"targets": ["pub"]})["Body"]
    assert plain["pub"] == "AccessDeniedException"


def test_role_credentials_are_not_a_placeholder(srv: Server) -> None:
    show = "import os\ndef handler(e, c):\n    return {k: os.environ[k] for k in e}\n"
    create(srv.client(), "show", zip_files({"app.py": show}))
    names = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]
    env = invoke(srv.client(), "show", names)["Body"]
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and len(env["AWS_ACCESS_KEY_ID"]) == 20
    assert env["AWS_ACCESS_KEY_ID"] != srv.root_key()[0]
    # Another function's token does not go with this key id.
    forged = srv.client(key=(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]))
    assert code_of(forged.list_functions)[0] == "UnrecognizedClientException"


def test_the_aws_cli_works_with_the_generated_profile(srv: Server) -> None:
    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("the AWS CLI is not installed in this environment")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")} | {
        "AWS_SHARED_CREDENTIALS_FILE": str(srv.credentials_file),
        "AWS_PROFILE": "snaplambda",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_MAX_ATTEMPTS": "1",
    }
    base = [str(aws), "--endpoint-url", srv.endpoint, "--output", "json"]
    done = subprocess.run(
        [*base, "lambda", "get-function", "--function-name", "pub"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Configuration"]["FunctionName"] == "pub"
    env["AWS_PROFILE"] = "nobody"
    (srv.state_dir.parent / "bad-credentials").write_text(
        "[nobody]\naws_access_key_id = AKIANOBODYEXAMPLE000\naws_secret_access_key = x\n"
    )
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(srv.state_dir.parent / "bad-credentials")
    done = subprocess.run(
        [*base, "lambda", "list-functions"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode != 0
    assert "UnrecognizedClientException" in done.stderr


def test_the_snaplambda_cli_signs_its_requests(srv: Server, tmp_path: Path) -> None:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    command = [sys.executable, "-m", "snaplambda", "invoke", "pub", "--endpoint", srv.endpoint]
    signed = {
        **clean,
        "AWS_SHARED_CREDENTIALS_FILE": str(srv.credentials_file),
        "AWS_PROFILE": "snaplambda",
    }
    done = subprocess.run(
        command, capture_output=True, text=True, env=signed, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert '"ok": true' in done.stdout.replace(" ", "").replace('"ok":true', '"ok": true')
    unsigned = subprocess.run(
        command, capture_output=True, text=True, env=clean, cwd=tmp_path, timeout=120
    )
    assert unsigned.returncode != 0
    assert "MissingAuthenticationToken" in unsigned.stdout + unsigned.stderr


def test_auth_off_is_said_loudly(tmp_path: Path) -> None:
    server = Server(tmp_path / "state", env={"SNAPLAMBDA_AUTH": "off"}).start()
    try:
        assert server.health()["auth"] == "off"
        assert "AUTHENTICATION OFF" in server.output()
        assert not server.credentials_file.exists()
        assert httpx.get(server.endpoint + "/2015-03-31/functions").status_code == 200
    finally:
        server.stop()


def test_role_policies_are_put_by_allowed_keys_only(srv: Server) -> None:
    url = srv.endpoint + "/2026-snaplambda/role-policies/" + CALLER_ROLE.replace("/", "%2F")
    everything = json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})
    refused = _signed("PUT", url, everything.encode(), {}, LIMITED[1])
    assert refused.status_code == 403
    assert refused.headers["x-amzn-errortype"] == "AccessDeniedException"
    assert f"iam:PutRolePolicy on resource: {CALLER_ROLE}" in refused.json()["message"]
    root = Credentials(*srv.root_key())
    request = AWSRequest("PUT", url, data=b'{"Statement": {"Effect": "Perhaps"}}')
    SigV4Auth(root, "lambda", REGION).add_auth(request)
    bad = httpx.put(url, content=request.body, headers=dict(request.headers))
    assert bad.status_code == 400
    assert bad.headers["x-amzn-errortype"] == "MalformedPolicyDocumentException"
    assert "Effect 'Perhaps'" in bad.json()["message"]
    # Neither changed the caller role's policy.
    body = invoke(srv.client(), "caller", {"targets": ["secret"]})["Body"]
    assert body["secret"] == "AccessDeniedException"


SAM_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: sam-reader
      CodeUri: fn/
      Handler: app.handler
      Runtime: python3.11
      Timeout: 30
      Policies:
        - Statement:
            - Effect: Allow
              Action: lambda:GetFunctionConfiguration
              Resource: !Sub arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:secret
"""


def test_sam_policies_become_the_functions_role_policy(srv: Server, tmp_path: Path) -> None:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text(CALLER)
    (tmp_path / "template.yaml").write_text(SAM_TEMPLATE)
    clean = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env = {**clean, **srv.aws_env()}
    command = [sys.executable, "-m", "snaplambda", "deploy", str(tmp_path / "template.yaml")]
    done = subprocess.run(
        [*command, "--stack-name", "authsam", "--endpoint", srv.endpoint],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    body = invoke(srv.client(), "sam-reader", {"targets": ["secret", "pub"]})["Body"]
    assert body["identity"].endswith(":assumed-role/sam-reader-role/sam-reader")
    assert body["secret"] == {"PASSWORD": "x"}
    assert body["pub"] == "AccessDeniedException"


def test_authorization_cannot_be_sidestepped(srv: Server) -> None:
    # Signed for another service, the invoke fast path still serves the request.
    url = srv.endpoint + "/2015-03-31/functions/secret/invocations"
    request = AWSRequest("POST", url, data=b"{}")
    SigV4Auth(Credentials(*LIMITED), "s3", REGION).add_auth(request)
    response = httpx.post(url, content=b"{}", headers=dict(request.headers))
    assert response.headers.get("x-amzn-errortype") == "AccessDeniedException", response.text
    # A target header does not make a REST request another operation.
    url = srv.endpoint + "/2015-03-31/functions/pub"
    denied = _signed(
        "DELETE", url, b"", {"X-Amz-Target": "Logs_20140328.DescribeLogGroups"}, LIMITED[1]
    )
    assert denied.headers.get("x-amzn-errortype") == "AccessDeniedException"
    # Two qualifiers: each must be allowed (the invoke handler reads the first).
    url = srv.endpoint + "/2015-03-31/functions/pub/invocations?Qualifier=%24LATEST&Qualifier=x"
    twice = _signed("POST", url, b"{}", {}, LIMITED[1])
    assert twice.headers.get("x-amzn-errortype") == "AccessDeniedException"
    assert "function:pub:x" in twice.json()["message"]
    srv.client().get_function(FunctionName="pub")


def test_a_limited_key_reads_only_the_logs_it_is_allowed(srv: Server) -> None:
    invoke(srv.client(), "pub")
    invoke(srv.client(), "secret")
    logs = srv.client("logs", key=LIMITED)
    assert "events" in logs.filter_log_events(logGroupName="/aws/lambda/pub")
    code, message, _ = code_of(lambda: logs.filter_log_events(logGroupName="/aws/lambda/secret"))
    assert code == "AccessDeniedException"
    assert "log-group:/aws/lambda/secret:*" in message
    assert code_of(logs.describe_log_groups)[0] == "AccessDeniedException"
