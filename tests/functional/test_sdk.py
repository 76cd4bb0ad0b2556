"""The runtime's AWS SDK, end to end through a real server: every python runtime's
functions import boto3 and botocore (one shared, read-only copy, after their own code
and layers, without the rest of the platform's site-packages), a client made with no
arguments reaches this platform's Lambda API with the documented placeholder
credentials, a copy of boto3 in the zip or a layer wins, and the SDK can be turned
off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import botocore
import pytest
import urllib3

from snaplambda.execution.awsenv import PLACEHOLDER_ACCESS_KEY_ID
from tests.functional.test_layers import layer_zip, publish
from tests.pipcache import pip_target, zip_with_packages
from tests.support import (
    Server,
    create,
    invoke,
    needs_runtime,
    zip_files,
    zip_function,
)

RUNTIMES = [
    pytest.param(runtime, marks=needs_runtime(runtime))
    for runtime in ("python3.11", "python3.12", "python3.13")
]

OWN_BOTO3 = """
import boto3, botocore

def handler(event, context):
    return {"boto3": [boto3.__version__, boto3.__file__], "botocore": botocore.__file__}
"""


POWERTOOLS = """
import boto3
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor, EventType, process_partial_response,
)

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record):
    if record.body == "bad":
        raise ValueError("bad record")


def handler(event, context):
    provider = parameters.SSMProvider()  # builds a client of the runtime's boto3; no call
    result = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    me = boto3.client("lambda").get_function(FunctionName=context.function_name)
    return {
        "batch": result,
        "provider": type(provider).__name__,
        "boto3": boto3.__file__,
        "me": me["Configuration"]["FunctionArn"],
    }
"""

SNAPSTART = """
import os
import boto3

CLIENT = boto3.client("lambda")  # made at init: restored environments inherit it


def handler(event, context):
    me = CLIENT.get_function(FunctionName=context.invoked_function_arn)["Configuration"]
    return {"type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"], "me": me["FunctionArn"]}
"""


def _sqs_record(message_id: str, body: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
        "awsRegion": "us-east-1",
    }


def _sdk_dir(server: Server) -> Path:
    health = server.health()
    assert health["sdk"]["offered"] is True, health["sdk"]
    return Path(health["sdk"]["directory"])


def _deploy(lam: Any, name: str, runtime: str, **config: Any) -> None:
    create(lam, name, zip_function("sdk"), runtime=runtime, Timeout=30, MemorySize=256, **config)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_every_runtime_offers_the_platforms_sdk(server: Server, lam: Any, runtime: str) -> None:
    name = f"sdk-describe-{runtime.replace('.', '')}"
    _deploy(lam, name, runtime)
    out = invoke(lam, name, {"action": "describe"})
    assert "FunctionError" not in out, out["Log"]
    body = out["Body"]
    link = server.state_dir / "runtime" / "sdk" / runtime
    shared = _sdk_dir(server)
    # The release installed with the platform, imported through the runtime's link...
    assert body["boto3"][0] == boto3.__version__
    assert body["botocore"][0] == botocore.__version__
    assert body["metadata"] == boto3.__version__  # its dist-info came along
    assert body["boto3"][1] == str(link / "boto3" / "__init__.py")
    # ... to the one shared copy: the state directory holds a link, not files.
    assert link.is_symlink() and link.resolve() == shared.resolve()
    for path in [body["botocore"][1], *body["deps"].values()]:
        assert Path(os.path.realpath(path)).is_relative_to(shared.resolve()), path
    assert (shared / "botocore" / "client.py").stat().st_mode & 0o222 == 0  # read-only
    # Last on sys.path: after the task root, the runtime directory and the stdlib.
    path = body["sysPath"]
    assert Path(path[0]).is_relative_to(server.state_dir / "code")
    assert path.index(str(server.state_dir / "runtime")) < len(path) - 1
    dynload = next(i for i, entry in enumerate(path) if entry.endswith("/lib-dynload"))
    assert dynload < len(path) - 1, path
    assert path[-1] == str(link)
    assert body["leaks"] == []
    assert body["accessKey"] == PLACEHOLDER_ACCESS_KEY_ID
    assert body["endpoint"] == server.endpoint
    assert body["region"] == "us-east-1"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_function_calls_the_platforms_lambda_api(server: Server, lam: Any, runtime: str) -> None:
    suffix = runtime.replace(".", "")
    caller, target = f"sdk-caller-{suffix}", f"sdk-target-{suffix}"
    create(lam, target, zip_function("echo"), runtime=runtime)
    _deploy(lam, caller, runtime)

    listed = invoke(lam, caller, {"action": "list"})
    assert "FunctionError" not in listed, listed["Log"]
    assert {caller, target} <= set(listed["Body"]["names"])
    assert listed["Body"]["endpoint"] == server.endpoint

    called = invoke(lam, caller, {"action": "invoke", "target": target, "payload": {"n": 7}})
    assert "FunctionError" not in called, called["Log"]
    assert called["Body"]["status"] == 200
    assert called["Body"]["executed"] == "$LATEST"
    assert called["Body"]["payload"] == {"version": "v1", "greeting": None, "event": {"n": 7}}

    missing = invoke(lam, caller, {"action": "missing", "target": f"sdk-nobody-{suffix}"})
    assert missing["Body"]["error"] == "ResourceNotFoundException", missing["Body"]
    assert f"sdk-nobody-{suffix}" in missing["Body"]["message"]


def test_unserved_services_answer_from_the_platform(lam: Any) -> None:
    _deploy(lam, "sdk-unserved", "python3.11")
    out = invoke(lam, "sdk-unserved", {"action": "unserved"})
    assert "FunctionError" not in out, out["Log"]
    assert out["Body"] == {
        "s3": ["NotImplemented", 400],  # answered in S3's own XML error shape
        "ssm": ["UnknownOperationException", 400],
    }


@pytest.mark.parametrize("runtime", RUNTIMES[:2])
def test_a_boto3_in_the_zip_wins(server: Server, lam: Any, runtime: str) -> None:
    name = f"sdk-own-zip-{runtime.replace('.', '')}"
    code = zip_files({"app.py": OWN_BOTO3, "boto3/__init__.py": "__version__ = '0.0-zip'\n"})
    create(lam, name, code, runtime=runtime)
    body = invoke(lam, name)["Body"]
    assert body["boto3"][0] == "0.0-zip"
    assert Path(body["boto3"][1]).is_relative_to(server.state_dir / "code")
    # What the zip does not ship still comes from the runtime.
    assert Path(os.path.realpath(body["botocore"])).is_relative_to(_sdk_dir(server).resolve())


def test_a_boto3_in_a_layer_wins(server: Server, lam: Any) -> None:
    layer = publish(
        lam, "sdk-own-boto3", layer_zip({"python/boto3/__init__.py": "__version__ = '0.0-layer'\n"})
    )
    create(
        lam,
        "sdk-own-layer",
        zip_files({"app.py": OWN_BOTO3}),
        runtime="python3.12",
        Layers=[layer["LayerVersionArn"]],
    )
    body = invoke(lam, "sdk-own-layer")["Body"]
    assert body["boto3"][0] == "0.0-layer"
    assert "/python/boto3/" in body["boto3"][1]
    assert not Path(body["boto3"][1]).is_relative_to(server.state_dir / "runtime")


def test_functions_own_endpoint_wins_credentials_stay_reserved(lam: Any) -> None:
    elsewhere = "http://127.0.0.1:9"  # never contacted: the function only reports it
    _deploy(lam, "sdk-elsewhere", "python3.11", Environment={"Variables": {"AWS_ENDPOINT_URL": elsewhere}})
    body = invoke(lam, "sdk-elsewhere", {"action": "describe"})["Body"]
    assert body["endpoint"] == elsewhere
    assert body["accessKey"] == PLACEHOLDER_ACCESS_KEY_ID
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="AWS_ACCESS_KEY_ID"):
        _deploy(
            lam, "sdk-own-keys", "python3.11", Environment={"Variables": {"AWS_ACCESS_KEY_ID": "x"}}
        )


def test_health_shows_auth_off_and_the_sdk(server: Server) -> None:
    health = server.health()
    assert health["auth"] == "off"
    versions = health["sdk"]["versions"]
    assert versions["boto3"] == boto3.__version__
    assert versions["urllib3"] == urllib3.__version__
    assert set(versions) == {
        "boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"
    }  # fmt: skip
    assert health["sdk"]["refused"] == {}


def test_sdk_turned_off(tmp_path: Path) -> None:
    server = Server(tmp_path / "state", env={"SNAPLAMBDA_SDK": "0"}).start()
    try:
        lam = server.client()
        _deploy(lam, "sdk-off", "python3.11")
        out = invoke(lam, "sdk-off", {"action": "describe"})
        assert out["FunctionError"] == "Unhandled"
        assert out["Body"]["errorType"] == "Runtime.ImportModuleError"
        assert out["Body"]["errorMessage"] == (
            "Unable to import module 'app': No module named 'boto3'"
        )
        assert server.health()["sdk"] == {
            "offered": False, "reason": "turned off (SNAPLAMBDA_SDK=0)"
        }  # fmt: skip
        assert not (server.state_dir / "runtime" / "sdk" / "python3.11").exists()
    finally:
        server.stop()


def test_runtimes_command_lists_interpreters_and_sdk_versions() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "snaplambda", "runtimes", "--output", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    doc = json.loads(out.stdout)
    rows = {row["Runtime"]: row for row in doc["Runtimes"]}
    assert list(rows) == ["python3.11", "python3.12", "python3.13"]
    from snaplambda.execution.runtimes import RuntimeResolver

    resolver = RuntimeResolver({})
    for runtime, row in rows.items():
        if "Error" in row:
            continue  # not installed here: the row says where it looked
        interpreter = resolver.resolve(runtime)
        assert row["Interpreter"] == interpreter.path
        assert row["PythonVersion"] == interpreter.version
        assert row["Sdk"] == {
            "boto3": boto3.__version__,
            "botocore": botocore.__version__,
            "urllib3": urllib3.__version__,
        }
    assert "python3.11" in rows and "Sdk" in rows["python3.11"]
    table = subprocess.run(
        [sys.executable, "-m", "snaplambda", "runtimes"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    line = next(x for x in table.splitlines() if x.startswith("python3.11 "))
    assert boto3.__version__ in line and rows["python3.11"]["Interpreter"] in line
    assert f"SDK: {doc['Sdk']['directory']}" in table


@pytest.fixture(scope="module")
def powertools_zip() -> bytes:
    # Powertools alone (no extras): boto3 and botocore come from the runtime.
    return zip_with_packages({"app.py": POWERTOOLS}, pip_target("powertools-core", "aws-lambda-powertools"))


@pytest.mark.parametrize("runtime", RUNTIMES[:2])
def test_powertools_utilities_use_the_runtimes_boto3(
    server: Server, lam: Any, runtime: str, powertools_zip: bytes
) -> None:
    name = f"sdk-powertools-{runtime.replace('.', '')}"
    create(lam, name, powertools_zip, runtime=runtime, Timeout=30, MemorySize=256)
    event = {"Records": [_sqs_record("1", "good"), _sqs_record("2", "bad")]}
    out = invoke(lam, name, event)
    assert "FunctionError" not in out, out["Log"]
    body = out["Body"]
    assert body["batch"] == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert body["provider"] == "SSMProvider"
    assert body["boto3"].startswith(str(server.state_dir / "runtime" / "sdk" / runtime))
    assert body["me"] == f"arn:aws:lambda:us-east-1:123456789012:function:{name}"


@needs_runtime("python3.12")
def test_snapstart_restored_environments_keep_the_sdk(
    server: Server, lam: Any, tmp_path: Path
) -> None:
    from tests.functional.test_snapstart import snap_function

    version = snap_function(lam, "sdk-snap", tmp_path, source=SNAPSTART)
    first = invoke(lam, f"sdk-snap:{version}")
    assert "FunctionError" not in first, first["Log"]
    assert first["Body"]["type"] == "snap-start"
    assert first["Body"]["me"] == f"arn:aws:lambda:us-east-1:123456789012:function:sdk-snap:{version}"
    assert "Restore Duration" in first["Log"]


@needs_runtime("python3.12")
def test_snapstart_check_probes_init_with_the_sdk(tmp_path: Path) -> None:
    from snaplambda.config import from_environ
    from snaplambda.snapstart.check import check

    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(SNAPSTART)
    config = from_environ()
    cli = subprocess.run(
        [sys.executable, "-m", "snaplambda", "snapstart", "check", str(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "error" not in cli.stdout, cli.stdout
    # Without the SDK the same init fails as it would on a deployed function.
    without, _ = check(code, "app.handler", "python3.12", environment={"AWS_REGION": config.region})
    assert any("No module named 'boto3'" in f.message for f in without), without
