"""The configuration snaplambda keeps but does not act on: its checks, its shapes,
its round trip through the store's documents, what a version's fingerprint sees of
it, and the per-function report of what is not in force."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from snaplambda.control import inert, validation
from snaplambda.control.errors import ControlError, InvalidParameterValue, ValidationError
from snaplambda.control.models import FunctionConfig
from snaplambda.control.versions import fingerprint

BASE = FunctionConfig(
    name="f",
    runtime="python3.12",
    handler="app.handler",
    code_key="k",
    code_sha256="s",
    code_size=1,
)
EFS = "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0"
KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def refused(func: Any, value: object) -> ControlError:
    with pytest.raises(ControlError) as info:
        func(value)
    return info.value


def test_vpc_config_becomes_the_response_shape() -> None:
    got = inert.validate_vpc_config(
        {"SubnetIds": ["subnet-1a"], "SecurityGroupIds": ["sg-A1"], "Ipv6AllowedForDualStack": True}
    )
    assert got == {
        "SubnetIds": ["subnet-1a"],
        "SecurityGroupIds": ["sg-A1"],
        "VpcId": "",
        "Ipv6AllowedForDualStack": True,
    }
    assert inert.validate_vpc_config({}) == {
        "SubnetIds": [],
        "SecurityGroupIds": [],
        "VpcId": "",
        "Ipv6AllowedForDualStack": False,
    }


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ({"SubnetIds": ["subnet-UPPER"]}, "vpcConfig.subnetIds"),
        ({"SubnetIds": "subnet-1"}, "vpcConfig.subnetIds"),
        ({"SubnetIds": ["subnet-" + "a" * 1024]}, "1024"),
        ({"SubnetIds": [f"subnet-{i}" for i in range(17)]}, "16"),
        ({"SecurityGroupIds": ["sg_1"]}, "vpcConfig.securityGroupIds"),
        ({"SecurityGroupIds": [f"sg-{i}" for i in range(6)]}, "5"),
        ({"Ipv6AllowedForDualStack": "yes"}, "ipv6AllowedForDualStack"),
        ("subnet-1", "vpcConfig"),
    ],
)
def test_bad_vpc_configs(value: object, needle: str) -> None:
    err = refused(inert.validate_vpc_config, value)
    assert isinstance(err, ValidationError) and needle in err.message


def test_dead_letter_targets() -> None:
    assert inert.validate_dead_letter_config({}) is None
    assert inert.validate_dead_letter_config({"TargetArn": ""}) == ""
    for arn in (
        "arn:aws:sqs:us-east-1:123456789012:q",
        "arn:aws:sns:eu-west-1:123456789012:topic.fifo",
    ):
        assert inert.validate_dead_letter_config({"TargetArn": arn}) == arn
    assert isinstance(
        refused(inert.validate_dead_letter_config, {"TargetArn": "q"}), ValidationError
    )
    err = refused(
        inert.validate_dead_letter_config,
        {"TargetArn": "arn:aws:lambda:us-east-1:123456789012:function:f"},
    )
    assert isinstance(err, InvalidParameterValue) and "SQS queue or SNS topic" in err.message


def test_kms_keys() -> None:
    assert inert.validate_kms_key_arn("") == ""
    assert inert.validate_kms_key_arn(KMS) == KMS
    alias = "arn:aws:kms:us-east-1:123456789012:alias/my-key"
    assert inert.validate_kms_key_arn(alias) == alias
    assert isinstance(refused(inert.validate_kms_key_arn, "key-1"), ValidationError)
    assert isinstance(refused(inert.validate_kms_key_arn, 5), ValidationError)
    err = refused(inert.validate_kms_key_arn, "arn:aws:iam::123456789012:role/r")
    assert isinstance(err, InvalidParameterValue) and "kmsKeyArn" in err.message


def test_file_system_configs() -> None:
    one = {"Arn": EFS, "LocalMountPath": "/mnt/efs"}
    assert inert.validate_file_system_configs([one]) == (one,)
    assert inert.validate_file_system_configs([]) == ()
    with_s3 = {**one, "S3FilesConfig": {"DirectS3Read": "AUTO"}}
    assert inert.validate_file_system_configs([with_s3]) == (with_s3,)
    for bad, needle in (
        ([one, one], "less than or equal to 1"),
        ([{**one, "LocalMountPath": "/mnt/"}], "localMountPath"),
        ([{**one, "LocalMountPath": "/mnt/" + "a" * 160}], "160"),
        ([{"LocalMountPath": "/mnt/x"}], "fileSystemConfigs.1.member.arn"),
        ([{**one, "S3FilesConfig": {"DirectS3Read": "SOMETIMES"}}], "directS3Read"),
        (one, "fileSystemConfigs"),
    ):
        err = refused(inert.validate_file_system_configs, bad)
        assert isinstance(err, ValidationError) and needle in err.message, err.message


def test_config_changes_maps_members_and_skips_what_changes_nothing() -> None:
    assert validation.config_changes(
        {"KMSKeyArn": KMS, "DeadLetterConfig": {}, "VpcConfig": None}
    ) == {"kms_key_arn": KMS}
    assert validation.config_changes({"DeadLetterConfig": {"TargetArn": ""}}) == {
        "dead_letter_target": ""
    }


def test_the_model_round_trips_and_answers_in_lambdas_shapes() -> None:
    cfg = replace(
        BASE,
        vpc_config=inert.validate_vpc_config({"SubnetIds": ["subnet-1"]}),
        dead_letter_target="arn:aws:sqs:us-east-1:123456789012:q",
        kms_key_arn=KMS,
        file_system_configs=({"Arn": EFS, "LocalMountPath": "/mnt/efs"},),
    )
    assert FunctionConfig.from_doc(cfg.to_doc()) == cfg
    doc = cfg.to_aws("us-east-1", "123456789012")
    assert doc["VpcConfig"]["SubnetIds"] == ["subnet-1"]
    assert doc["DeadLetterConfig"] == {"TargetArn": "arn:aws:sqs:us-east-1:123456789012:q"}
    assert doc["KMSKeyArn"] == KMS
    assert doc["FileSystemConfigs"] == [{"Arn": EFS, "LocalMountPath": "/mnt/efs"}]
    plain = BASE.to_aws("us-east-1", "123456789012")
    for member in ("VpcConfig", "DeadLetterConfig", "KMSKeyArn", "FileSystemConfigs"):
        assert member not in plain
    # Documents stored before these fields existed still load.
    old = {k: v for k, v in BASE.to_doc().items() if k != "file_system_configs"}
    assert FunctionConfig.from_doc(old) == BASE


def test_stored_fields_are_part_of_a_versions_fingerprint() -> None:
    assert fingerprint(replace(BASE, kms_key_arn=KMS)) != fingerprint(BASE)
    assert fingerprint(replace(BASE, dead_letter_target="x")) != fingerprint(BASE)
    assert fingerprint(replace(BASE, vpc_config={"SubnetIds": []})) != fingerprint(BASE)
    # At their defaults they leave fingerprints of older versions as they were.
    assert fingerprint(replace(BASE, kms_key_arn="")) == fingerprint(BASE)


def test_differs_only_in_revision() -> None:
    a = replace(BASE, revision_id="1")
    assert a.differs_only_in_revision(replace(a, revision_id="2"))
    assert not a.differs_only_in_revision(replace(a, revision_id="2", timeout=9))
    assert not a.differs_only_in_revision(replace(a, last_modified="then"))


def test_not_enforced_names_what_is_kept_but_not_in_force() -> None:
    assert inert.not_enforced(BASE, "x86_64") == []
    cfg = replace(
        BASE,
        vpc_config=inert.validate_vpc_config({"SecurityGroupIds": ["sg-1"]}),
        dead_letter_target="arn:aws:sqs:us-east-1:123456789012:q",
        kms_key_arn=KMS,
        file_system_configs=({"Arn": EFS, "LocalMountPath": "/mnt/efs"},),
        ephemeral_storage=2048,
    )
    assert inert.not_enforced(cfg, "x86_64") == [
        "DeadLetterConfig",
        "EphemeralStorage",
        "FileSystemConfigs",
        "KMSKeyArn",
        "VpcConfig",
    ]
    # Out of its VPC (empty lists) there is nothing to enforce.
    left = replace(BASE, vpc_config=inert.validate_vpc_config({}))
    assert inert.not_enforced(left, "x86_64") == []
    arm = replace(BASE, architectures=("arm64",))
    assert inert.not_enforced(arm, "x86_64") == ["Architectures"]
    assert inert.not_enforced(arm, "arm64") == []
    assert inert.host_architecture("aarch64") == "arm64"
    assert inert.host_architecture("x86_64") == "x86_64"


def test_members_for_missing_features_are_refused_unless_empty() -> None:
    validation.refuse_unsupported({"ImageConfig": {}, "PublishTo": None, "TenancyConfig": ""})
    with pytest.raises(InvalidParameterValue) as info:
        validation.refuse_unsupported({"ImageConfig": {"Command": ["x"]}})
    assert "'imageConfig'" in info.value.message and "ImageConfig" in info.value.message


@pytest.mark.parametrize(
    "role",
    ["arn:aws:iam::123456789012:role/r", "arn:aws-cn:iam::123456789012:role/path/to/r+x=y,z.@-"],
)
def test_roles(role: str) -> None:
    assert validation.validate_role(role) == role


@pytest.mark.parametrize(
    "role", ["r1", "", "arn:aws:iam::1234:role/r", "arn:aws:iam::123456789012:user/u", None]
)
def test_bad_roles(role: object) -> None:
    err = refused(validation.validate_role, role)
    assert isinstance(err, ValidationError) and "'role'" in err.message
