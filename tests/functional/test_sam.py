"""``snaplambda deploy template.yaml``: SAM projects under ``tests/sam/`` deployed
with the real CLI against the session server, then invoked with boto3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from snaplambda.sam.naming import physical_name
from tests.functional.test_cli import cli
from tests.functional.test_provisioned import wait_status
from tests.support import Server, interpreter_for, invoke

SAM = Path(__file__).parent.parent / "sam"


def _route_missing(server: Server, method: str, path: str) -> bool:
    """Whether the server answers ``method path`` with UnknownOperationException."""
    response = httpx.request(method, server.endpoint + path, json={}, timeout=10)
    return response.headers.get("x-amzn-errortype") == "UnknownOperationException"


def test_sam_project_deploys_and_runs(server: Server, lam: Any) -> None:
    ep = ["--endpoint", server.endpoint]
    out = cli("deploy", str(SAM / "proj" / "template.yaml"), "--stack-name", "samproj", *ep)
    assert out.returncode == 0, out.stdout + out.stderr
    # Skipped resources, skipped events and unapplied properties are all listed.
    assert "skipped   Table (AWS::DynamoDB::Table)" in out.stdout
    assert "skipped   Api (AWS::Serverless::Api)" in out.stdout
    assert "HelloFunction.Events.HelloApi (event Api)" in out.stdout
    assert "SnapStart on published versions" in out.stdout
    assert "2 of 2 resources deployed, 3 skipped" in out.stdout
    # Outputs naming what is not deployed say so instead of failing the deploy.
    assert "HelloApi: not available" in out.stdout and "ServerlessRestApi" in out.stdout
    worker_name = physical_name("samproj", "WorkerFunction")  # no FunctionName

    # AutoPublishAlias: the alias points at a published version.
    alias = lam.get_alias(FunctionName="samproj-hello", Name="live")
    assert alias["FunctionVersion"] == "1"
    hello = invoke(lam, "samproj-hello", {"k": 1}, Qualifier="live")
    assert hello["ExecutedVersion"] == "1"
    body = hello["Body"]
    assert body["env"] == {
        "STAGE": "dev",  # Globals, from a parameter's Default
        "SHARED": "from-globals",  # Globals merged with the function's own
        "GREETING": "hello",
        "WHERE": "us-east-1/123456789012/samproj",
        "WORKER": worker_name,  # !Ref of a function: its name
        "WORKER_ARN": f"arn:aws:lambda:us-east-1:123456789012:function:{worker_name}",
    }
    assert body["arn"].endswith(":function:samproj-hello:live")
    assert str(body["memory"]) == "512"  # the function's own MemorySize beats Globals
    cfg = lam.get_function(FunctionName="samproj-hello")
    assert cfg["Configuration"]["Timeout"] == 5  # from Globals
    assert cfg["Concurrency"] == {"ReservedConcurrentExecutions": 5}

    worker = lam.get_function_configuration(FunctionName=worker_name)
    assert (worker["MemorySize"], worker["Timeout"]) == (256, 10)
    assert worker["SnapStart"]["ApplyOn"] == "PublishedVersions"  # applied, not just read
    assert worker["Description"] == "background worker"
    assert invoke(lam, worker_name)["Body"] == {
        "worker": True,
        "stage": "dev",
        "memory": "256",
    }

    # Redeploying with a parameter override changes the env and publishes version 2.
    again = cli(
        "deploy",
        str(SAM / "proj"),
        "--stack-name",
        "samproj",
        "--parameter-overrides",
        "Stage=prod Greeting=hi",
        *ep,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "updated   HelloFunction" in again.stdout
    hello = invoke(lam, "samproj-hello", Qualifier="live")
    assert hello["ExecutedVersion"] == "2"
    assert hello["Body"]["env"]["STAGE"] == "prod" and hello["Body"]["env"]["GREETING"] == "hi"


def test_sam_template_errors_are_clear(server: Server, tmp_path: Path) -> None:
    ep = ["--endpoint", server.endpoint]
    bad = cli(
        "deploy", str(SAM / "proj" / "template.yaml"), "--parameter-overrides", "Stage=qa", *ep
    )
    assert bad.returncode == 1
    assert "Parameter Stage is 'qa', not one of its AllowedValues dev, prod" in bad.stderr
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        f"    Properties: {{CodeUri: {SAM / 'proj' / 'hello'}, Handler: app.handler, "
        "Runtime: python3.12, Environment: {Variables: {T: !Ref Table}}}\n"
        "  Table:\n"
        "    Type: AWS::DynamoDB::Table\n"
    )
    out = cli("deploy", str(template), *ep)
    assert out.returncode == 1
    assert "Resource Fn, property Environment.Variables.T: !Ref Table cannot be resolved" in (
        out.stderr.replace("\n", " ")
    )


def test_sam_layers(server: Server, lam: Any) -> None:
    if _route_missing(server, "GET", "/2018-10-31/layers/probe/versions"):
        out = cli("deploy", str(SAM / "layered"), "--endpoint", server.endpoint)
        assert out.returncode == 1 and "pending: PublishLayerVersion" in out.stdout
        pytest.skip(
            "server has no PublishLayerVersion route (POST /2018-10-31/layers/{LayerName}/versions)"
        )
    ep = ["--endpoint", server.endpoint, "--stack-name", "samlayer"]
    out = cli("deploy", str(SAM / "layered"), *ep)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "created   CommonLayer" in out.stdout
    cfg = lam.get_function_configuration(FunctionName="samlayer-layered")
    [layer] = cfg["Layers"]
    assert layer["Arn"].endswith(":layer:samlayer-common:1")
    assert invoke(lam, "samlayer-layered")["Body"] == {"layer": "FROM THE LAYER"}
    # Unchanged layer content is not published again.
    again = cli("deploy", str(SAM / "layered"), *ep)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "unchanged CommonLayer" in again.stdout


def test_sam_event_invoke_config(server: Server, lam: Any) -> None:
    if _route_missing(server, "GET", "/2019-09-25/functions/probe/event-invoke-config"):
        pytest.skip(
            "server has no PutFunctionEventInvokeConfig route "
            "(PUT /2019-09-25/functions/{name}/event-invoke-config)"
        )
    out = cli(
        "deploy", str(SAM / "layered"), "--endpoint", server.endpoint, "--stack-name", "sameic"
    )
    assert out.returncode == 0, out.stdout + out.stderr
    config = lam.get_function_event_invoke_config(FunctionName="sameic-async", Qualifier="live")
    assert config["MaximumRetryAttempts"] == 1
    assert config["MaximumEventAgeInSeconds"] == 300
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:sameic-layered"
    )


def test_sam_snapstart_and_provisioned_concurrency_are_applied(server: Server, lam: Any) -> None:
    interpreter_for("python3.12")  # SnapStart's oldest runtime
    out = cli("deploy", str(SAM / "snap" / "template.yaml"), "--endpoint", server.endpoint)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "provisioned concurrency 1" in out.stdout
    assert "not applied SnapFunction SnapStart" not in out.stdout
    assert "not applied SnapFunction ProvisionedConcurrencyConfig" not in out.stdout
    version = lam.get_alias(FunctionName="sam-snap", Name="live")["FunctionVersion"]
    lam.get_waiter("published_version_active").wait(FunctionName="sam-snap", Qualifier=version)
    config = lam.get_function_configuration(FunctionName="sam-snap", Qualifier=version)
    assert config["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}
    wait_status(lam, "sam-snap", "live", "READY")
    response = invoke(lam, "sam-snap", Qualifier="live")
    assert response["Body"] == {"initializationType": "provisioned-concurrency"}
    assert "Init Duration" not in response["Log"]
