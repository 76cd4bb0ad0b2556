"""Every CreateFunction / UpdateFunctionConfiguration member is either kept and
returned in Lambda's shapes or refused by name, through boto3 and the AWS CLI against
a real server; what is kept but not acted on is listed by ``GET /health``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import Server, create, invoke, zip_function

VPC = {"SubnetIds": ["subnet-0a1b2c3d", "subnet-0e1f"], "SecurityGroupIds": ["sg-0123abcd"]}
VPC_BACK = {**VPC, "VpcId": "", "Ipv6AllowedForDualStack": False}
DLQ = "arn:aws:sqs:us-east-1:123456789012:failed-events"
KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EFS = {
    "Arn": "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0",
    "LocalMountPath": "/mnt/data",
}


@pytest.fixture(scope="module")
def raw_lam(server: Server) -> Any:
    return server.client(validate=False)


def error_of(call: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]  # type: ignore[no-any-return]


def stored(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        k: doc.get(k) for k in ("VpcConfig", "DeadLetterConfig", "KMSKeyArn", "FileSystemConfigs")
    }


def test_stored_fields_come_back_from_every_read(lam: Any, server: Server) -> None:
    created = create(
        lam,
        "cfg-stored",
        zip_function("echo"),
        VpcConfig=VPC,
        DeadLetterConfig={"TargetArn": DLQ},
        KMSKeyArn=KMS,
        FileSystemConfigs=[EFS],
    )
    expected = {
        "VpcConfig": VPC_BACK,
        "DeadLetterConfig": {"TargetArn": DLQ},
        "KMSKeyArn": KMS,
        "FileSystemConfigs": [EFS],
    }
    assert stored(created) == expected
    assert stored(lam.get_function_configuration(FunctionName="cfg-stored")) == expected
    assert stored(lam.get_function(FunctionName="cfg-stored")["Configuration"]) == expected
    listed = [f for f in lam.list_functions()["Functions"] if f["FunctionName"] == "cfg-stored"]
    assert stored(listed[0]) == expected
    # Kept, but nothing here joins a VPC, sends to SQS, decrypts with KMS or mounts EFS.
    assert server.health()["notEnforced"]["cfg-stored"] == [
        "DeadLetterConfig",
        "FileSystemConfigs",
        "KMSKeyArn",
        "VpcConfig",
    ]
    assert invoke(lam, "cfg-stored")["StatusCode"] == 200


def test_functions_that_set_nothing_are_not_listed(lam: Any, server: Server) -> None:
    created = create(lam, "cfg-plain", zip_function("echo"))
    assert stored(created) == dict.fromkeys(stored(created))  # AWS leaves them out
    assert "cfg-plain" not in server.health()["notEnforced"]


def test_updates_change_clear_and_keep_as_aws_does(lam: Any, server: Server) -> None:
    create(lam, "cfg-update", zip_function("echo"), DeadLetterConfig={"TargetArn": DLQ})
    updated = lam.update_function_configuration(
        FunctionName="cfg-update",
        VpcConfig={"SubnetIds": ["subnet-9"], "SecurityGroupIds": ["sg-9"]},
        KMSKeyArn=KMS,
        DeadLetterConfig={},  # names no target: AWS keeps the one there is
    )
    assert updated["VpcConfig"] == {
        "SubnetIds": ["subnet-9"],
        "SecurityGroupIds": ["sg-9"],
        "VpcId": "",
        "Ipv6AllowedForDualStack": False,
    }
    assert updated["DeadLetterConfig"] == {"TargetArn": DLQ}
    assert updated["KMSKeyArn"] == KMS
    # Only the fields given change.
    lam.update_function_configuration(FunctionName="cfg-update", Timeout=9)
    again = lam.get_function_configuration(FunctionName="cfg-update")
    assert again["KMSKeyArn"] == KMS and again["VpcConfig"]["SubnetIds"] == ["subnet-9"]

    cleared = lam.update_function_configuration(
        FunctionName="cfg-update",
        VpcConfig={"SubnetIds": [], "SecurityGroupIds": []},
        KMSKeyArn="",
        DeadLetterConfig={"TargetArn": ""},
        FileSystemConfigs=[],
    )
    # Out of its VPC a function still shows VpcConfig, empty, as on AWS.
    assert cleared["VpcConfig"] == {
        "SubnetIds": [],
        "SecurityGroupIds": [],
        "VpcId": "",
        "Ipv6AllowedForDualStack": False,
    }
    assert "KMSKeyArn" not in cleared and "DeadLetterConfig" not in cleared
    assert "FileSystemConfigs" not in cleared
    assert "cfg-update" not in server.health()["notEnforced"]


def test_published_versions_capture_the_stored_fields(lam: Any, server: Server) -> None:
    create(lam, "cfg-version", zip_function("echo"), KMSKeyArn=KMS)
    assert lam.publish_version(FunctionName="cfg-version")["KMSKeyArn"] == KMS
    # A change of a stored field is a change worth publishing.
    lam.update_function_configuration(FunctionName="cfg-version", KMSKeyArn="")
    two = lam.publish_version(FunctionName="cfg-version")
    assert two["Version"] == "2" and "KMSKeyArn" not in two
    one = lam.get_function_configuration(FunctionName="cfg-version", Qualifier="1")
    assert one["KMSKeyArn"] == KMS
    # The version still holds it, so the function is still listed.
    assert server.health()["notEnforced"]["cfg-version"] == ["KMSKeyArn"]
    lam.delete_function(FunctionName="cfg-version", Qualifier="1")
    assert "cfg-version" not in server.health()["notEnforced"]


def test_stored_fields_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = Server(state).start()
    try:
        created = create(
            first.client(),
            "cfg-durable",
            zip_function("echo"),
            VpcConfig=VPC,
            DeadLetterConfig={"TargetArn": DLQ},
            KMSKeyArn=KMS,
            FileSystemConfigs=[EFS],
        )
    finally:
        first.stop()
    second = Server(state).start()
    try:
        config = second.client().get_function_configuration(FunctionName="cfg-durable")
        assert stored(config) == stored(created)
        assert "cfg-durable" in second.health()["notEnforced"]
    finally:
        second.stop()


@pytest.mark.parametrize(
    ("overrides", "code", "needles"),
    [
        (
            {"VpcConfig": {"SubnetIds": ["net-1"], "SecurityGroupIds": []}},
            "ValidationException",
            ["vpcConfig.subnetIds", "net-1", "subnet-[0-9a-z]*"],
        ),
        (
            {"VpcConfig": {"SubnetIds": [], "SecurityGroupIds": ["group-1"]}},
            "ValidationException",
            ["vpcConfig.securityGroupIds", "group-1", "sg-[0-9a-zA-Z]*"],
        ),
        (
            {"VpcConfig": {"SubnetIds": [f"subnet-{i}" for i in range(17)]}},
            "ValidationException",
            ["vpcConfig.subnetIds", "16"],
        ),
        (
            {"VpcConfig": {"SecurityGroupIds": [f"sg-{i}" for i in range(6)]}},
            "ValidationException",
            ["vpcConfig.securityGroupIds", "5"],
        ),
        (
            {"DeadLetterConfig": {"TargetArn": "my-queue"}},
            "ValidationException",
            ["deadLetterConfig.targetArn", "my-queue"],
        ),
        (
            {"DeadLetterConfig": {"TargetArn": "arn:aws:lambda:us-east-1:123456789012:function:f"}},
            "InvalidParameterValueException",
            ["deadLetterConfig.targetArn", "function:f", "SQS queue or SNS topic"],
        ),
        ({"KMSKeyArn": "my-key"}, "ValidationException", ["kmsKeyArn", "my-key"]),
        (
            {"KMSKeyArn": "arn:aws:s3:::bucket"},
            "InvalidParameterValueException",
            ["kmsKeyArn", "arn:aws:s3:::bucket", "KMS key"],
        ),
        (
            {"FileSystemConfigs": [EFS, EFS]},
            "ValidationException",
            ["fileSystemConfigs", "less than or equal to 1"],
        ),
        (
            {"FileSystemConfigs": [{**EFS, "LocalMountPath": "/data"}]},
            "ValidationException",
            ["localMountPath", "/data", "/mnt/"],
        ),
        (
            {"FileSystemConfigs": [{**EFS, "Arn": "arn:aws:s3:::bucket"}]},
            "ValidationException",
            ["fileSystemConfigs.1.member.arn", "arn:aws:s3:::bucket"],
        ),
        ({"Role": "r1"}, "ValidationException", ["'role'", "r1", "arn:(aws[a-zA-Z-]*)?:iam::"]),
    ],
)
def test_bad_stored_fields_name_field_value_and_rule(
    raw_lam: Any, overrides: dict[str, Any], code: str, needles: list[str]
) -> None:
    args: dict[str, Any] = {
        "FunctionName": "cfg-invalid",
        "Runtime": "python3.11",
        "Role": "arn:aws:iam::123456789012:role/x",
        "Handler": "app.handler",
        "Code": {"ZipFile": zip_function("echo")},
        **overrides,
    }
    error = error_of(raw_lam.create_function, **args)
    assert error["Code"] == code
    for needle in needles:
        assert needle in error["Message"], (needle, error["Message"])
    with pytest.raises(raw_lam.exceptions.ResourceNotFoundException):
        raw_lam.get_function(FunctionName="cfg-invalid")
    create(raw_lam, "cfg-invalid-update", zip_function("echo"))
    body = {k: v for k, v in overrides.items()}
    error = error_of(
        raw_lam.update_function_configuration, FunctionName="cfg-invalid-update", **body
    )
    assert error["Code"] == code


@pytest.mark.parametrize(
    ("member", "value"),
    [
        (
            "CodeSigningConfigArn",
            "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdefg",
        ),
        ("ImageConfig", {"Command": ["app.handler"]}),
        ("TenancyConfig", {"TenantIsolationMode": "PER_TENANT"}),
        (
            "CapacityProviderConfig",
            {
                "LambdaManagedInstancesCapacityProviderConfig": {
                    "CapacityProviderArn": "arn:aws:lambda:us-east-1:123456789012:capacity-provider:p"
                }
            },
        ),
        ("DurableConfig", {"RetentionPeriodInDays": 7}),
        ("PublishTo", "LATEST_PUBLISHED"),
        ("AcceleratorConfig", {"AcceleratorMemorySize": 16}),
        (
            "RuntimeConfig",
            {
                "RuntimeArn": "arn:aws:lambda:us-east-1:123456789012:runtime/my-runtime-x",
                "RuntimeAlias": "live",
            },
        ),
    ],
)
def test_members_for_missing_features_are_refused_by_name(
    raw_lam: Any, member: str, value: Any
) -> None:
    error = error_of(
        raw_lam.create_function,
        FunctionName="cfg-refused",
        Runtime="python3.11",
        Role="arn:aws:iam::123456789012:role/x",
        Handler="app.handler",
        Code={"ZipFile": zip_function("echo")},
        **{member: value},
    )
    assert error["Code"] == "InvalidParameterValueException"
    assert f"at '{member[0].lower()}{member[1:]}'" in error["Message"]
    assert "not supported" in error["Message"]
    with pytest.raises(raw_lam.exceptions.ResourceNotFoundException):
        raw_lam.get_function(FunctionName="cfg-refused")


def test_update_configuration_refuses_them_too(raw_lam: Any) -> None:
    create(raw_lam, "cfg-refused-update", zip_function("echo"))
    error = error_of(
        raw_lam.update_function_configuration,
        FunctionName="cfg-refused-update",
        DurableConfig={"RetentionPeriodInDays": 7},
        Timeout=30,
    )
    assert error["Code"] == "InvalidParameterValueException" and "durableConfig" in error["Message"]
    config = raw_lam.get_function_configuration(FunctionName="cfg-refused-update")
    assert config["Timeout"] == 3


def test_code_from_elsewhere_next_to_the_zip_is_refused(raw_lam: Any) -> None:
    error = error_of(
        raw_lam.create_function,
        FunctionName="cfg-code",
        Runtime="python3.11",
        Role="arn:aws:iam::123456789012:role/x",
        Handler="app.handler",
        Code={"ZipFile": zip_function("echo"), "SourceKMSKeyArn": KMS},
    )
    assert error["Code"] == "InvalidParameterValueException"
    assert "SourceKMSKeyArn" in error["Message"]
    create(raw_lam, "cfg-code", zip_function("echo"))
    error = error_of(
        raw_lam.update_function_code,
        FunctionName="cfg-code",
        ZipFile=zip_function("basic"),
        S3Bucket="bucket",
        S3Key="code.zip",
    )
    assert "S3Bucket" in error["Message"] and "S3Key" in error["Message"]


def test_update_code_takes_architectures_and_dry_run(lam: Any, server: Server) -> None:
    created = create(lam, "cfg-arch", zip_function("echo"))
    changed = lam.update_function_code(
        FunctionName="cfg-arch", ZipFile=zip_function("echo"), Architectures=["arm64"]
    )
    assert changed["Architectures"] == ["arm64"]
    assert lam.get_function_configuration(FunctionName="cfg-arch")["Architectures"] == ["arm64"]
    import platform

    if platform.machine() in ("x86_64", "AMD64"):
        # arm64 is kept, but the function runs on this x86_64 machine.
        assert server.health()["notEnforced"]["cfg-arch"] == ["Architectures"]

    dry = lam.update_function_code(
        FunctionName="cfg-arch", ZipFile=zip_function("basic"), DryRun=True
    )
    assert dry["CodeSha256"] != created["CodeSha256"]
    after = lam.get_function_configuration(FunctionName="cfg-arch")
    assert after["CodeSha256"] == created["CodeSha256"]
    assert after["RevisionId"] == changed["RevisionId"]


def test_aws_cli_sets_and_reads_vpc_config(server: Server) -> None:
    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("the AWS CLI is not installed in this environment")
    create(server.client(), "cfg-cli", zip_function("echo"))
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }
    base = [str(aws), "lambda", "--endpoint-url", server.endpoint, "--output", "json"]
    out = subprocess.run(
        [
            *base,
            "update-function-configuration",
            "--function-name",
            "cfg-cli",
            "--vpc-config",
            "SubnetIds=subnet-1,SecurityGroupIds=sg-1",
            "--kms-key-arn",
            KMS,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["VpcConfig"]["SubnetIds"] == ["subnet-1"]
    out = subprocess.run(
        [*base, "get-function-configuration", "--function-name", "cfg-cli"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    config = json.loads(out.stdout)
    assert config["VpcConfig"]["SecurityGroupIds"] == ["sg-1"] and config["KMSKeyArn"] == KMS


def test_publish_version_refuses_publish_to(raw_lam: Any) -> None:
    create(raw_lam, "cfg-publish-to", zip_function("echo"))
    error = error_of(
        raw_lam.publish_version, FunctionName="cfg-publish-to", PublishTo="LATEST_PUBLISHED"
    )
    assert error["Code"] == "InvalidParameterValueException" and "publishTo" in error["Message"]
    assert raw_lam.list_versions_by_function(FunctionName="cfg-publish-to")["Versions"][1:] == []
