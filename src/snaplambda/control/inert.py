"""Configuration Lambda accepts that snaplambda stores and returns but cannot act on.

``VpcConfig``, ``DeadLetterConfig``, ``KMSKeyArn`` and ``FileSystemConfigs`` are
checked as AWS checks them, kept with the function version and answered back in
Lambda's shapes, so tools that set and read them work; nothing on this platform
puts a function in a VPC, sends to an SQS queue or SNS topic, decrypts with KMS or
mounts EFS.  :func:`not_enforced` names, per configuration, what it holds that is
not in force, for ``GET /health``.

Everything here is pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .errors import InvalidParameterValue
from .errors import constraint_violation as _constraint
from .models import FunctionConfig
from .quotas import EPHEMERAL_MIN_MB

# Applied with ``fullmatch``, as AWS applies its model patterns.
_SUBNET = re.compile(r"subnet-[0-9a-z]*")
_SECURITY_GROUP = re.compile(r"sg-[0-9a-zA-Z]*")
_ID_MAX_LEN = 1024
MAX_SUBNETS = 16
MAX_SECURITY_GROUPS = 5
_ANY_ARN = re.compile(r"arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*")
_ARN_PATTERN_TEXT = (
    "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()"
)
_REGION = r"[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}"
_DLQ_TARGET = re.compile(rf"arn:aws[a-zA-Z-]*:(sqs|sns):{_REGION}:\d{{12}}:[A-Za-z0-9_.-]{{1,256}}")
_KMS_KEY = re.compile(rf"arn:aws[a-zA-Z-]*:kms:{_REGION}:\d{{12}}:(key|alias)/[A-Za-z0-9/_+=.@-]+")
_FS_ARN = re.compile(
    rf"arn:aws[a-zA-Z-]*:elasticfilesystem:(eusc-)?{_REGION}:\d{{12}}:access-point/fsap-[a-f0-9]{{17}}"
    r"|arn:aws[-a-z]*:s3files:[0-9a-z-:]+:file-system/fs-[0-9a-f]{17,40}"
    r"/access-point/fsap-[0-9a-f]{17,40}"
)
_MOUNT_PATH = re.compile(r"/mnt/[a-zA-Z0-9-_.]+")
_MOUNT_PATH_MAX = 160
_DIRECT_S3_READ = ("ENABLED", "DISABLED", "AUTO")


def _id_list(value: object, field: str, pattern: re.Pattern[str], most: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _constraint(field, value, "Member must be a list of strings")
    if len(value) > most:
        raise _constraint(
            field,
            value,
            f"Member must have length less than or equal to {most} (got {len(value)})",
        )
    for item in value:
        if not isinstance(item, str) or len(item) > _ID_MAX_LEN or not pattern.fullmatch(item):
            raise _constraint(
                field,
                value,
                "Member must satisfy constraint: [Member must have length less than or equal "
                f"to {_ID_MAX_LEN}, Member must have length greater than or equal to 0, Member "
                f"must satisfy regular expression pattern: {pattern.pattern}] (offending "
                f"member: {item!r})",
            )
    return list(value)


def validate_vpc_config(value: object) -> dict[str, Any]:
    """``VpcConfig`` -> the ``VpcConfigResponse`` kept and returned.

    The members given replace the whole configuration; empty lists take the function
    out of its VPC (Lambda then answers empty lists and an empty ``VpcId``).
    ``VpcId`` stays empty: AWS reads it from the subnets in EC2, which snaplambda
    has no view of.
    """
    if not isinstance(value, Mapping):
        raise _constraint(
            "vpcConfig", value, "Member must be a structure {SubnetIds, SecurityGroupIds}"
        )
    ipv6 = value.get("Ipv6AllowedForDualStack")
    if ipv6 is not None and not isinstance(ipv6, bool):
        raise _constraint("vpcConfig.ipv6AllowedForDualStack", ipv6, "Member must be a boolean")
    return {
        "SubnetIds": _id_list(value.get("SubnetIds"), "vpcConfig.subnetIds", _SUBNET, MAX_SUBNETS),
        "SecurityGroupIds": _id_list(
            value.get("SecurityGroupIds"),
            "vpcConfig.securityGroupIds",
            _SECURITY_GROUP,
            MAX_SECURITY_GROUPS,
        ),
        "VpcId": "",
        "Ipv6AllowedForDualStack": bool(ipv6),
    }


def validate_dead_letter_config(value: object) -> str | None:
    """``DeadLetterConfig`` -> the target ARN to keep, ``""`` to remove it, or None
    when the structure names no target (``{}``: AWS keeps the current one)."""
    if not isinstance(value, Mapping):
        raise _constraint("deadLetterConfig", value, "Member must be a structure {TargetArn}")
    target = value.get("TargetArn")
    if target is None:
        return None
    if (
        not isinstance(target, str)
        or len(target) > 10000
        or not (target == "" or _ANY_ARN.fullmatch(target))
    ):
        raise _constraint(
            "deadLetterConfig.targetArn",
            target,
            _ARN_PATTERN_TEXT,
        )
    if target and not _DLQ_TARGET.fullmatch(target):
        raise InvalidParameterValue(
            f"Value '{target}' at 'deadLetterConfig.targetArn' is not allowed: a dead-letter "
            "target must be an SQS queue or SNS topic ARN, like "
            'arn:aws:sqs:us-east-1:123456789012:my-queue (or "" to remove it)'
        )
    return target


def validate_kms_key_arn(value: object) -> str:
    """``KMSKeyArn``: a KMS key or alias ARN, or ``""`` to go back to the default key."""
    if (
        not isinstance(value, str)
        or len(value) > 10000
        or not (value == "" or _ANY_ARN.fullmatch(value))
    ):
        raise _constraint(
            "kmsKeyArn",
            value,
            _ARN_PATTERN_TEXT,
        )
    if value and not _KMS_KEY.fullmatch(value):
        raise InvalidParameterValue(
            f"Value '{value}' at 'kmsKeyArn' is not allowed: expected a KMS key or alias ARN, "
            "like arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab "
            '(or "" for the default key)'
        )
    return value


def _file_system(item: object, index: int) -> dict[str, Any]:
    field = f"fileSystemConfigs.{index + 1}.member"
    if not isinstance(item, Mapping):
        raise _constraint(field, item, "Member must be a structure {Arn, LocalMountPath}")
    arn, path = item.get("Arn"), item.get("LocalMountPath")
    if not isinstance(arn, str) or len(arn) > 256 or not _FS_ARN.fullmatch(arn):
        raise _constraint(
            f"{field}.arn",
            arn,
            "Member must be an EFS access point ARN, like arn:aws:elasticfilesystem:"
            "us-east-1:123456789012:access-point/fsap-0123456789abcdef0 (at most 256 characters)",
        )
    if not isinstance(path, str) or len(path) > _MOUNT_PATH_MAX or not _MOUNT_PATH.fullmatch(path):
        raise _constraint(
            f"{field}.localMountPath",
            path,
            f"Member must satisfy regular expression pattern: {_MOUNT_PATH.pattern} "
            f"(at most {_MOUNT_PATH_MAX} characters)",
        )
    doc: dict[str, Any] = {"Arn": arn, "LocalMountPath": path}
    s3 = item.get("S3FilesConfig")
    if s3 is not None:
        read = s3.get("DirectS3Read") if isinstance(s3, Mapping) else s3
        if read is not None and read not in _DIRECT_S3_READ:
            raise _constraint(
                f"{field}.s3FilesConfig.directS3Read",
                read,
                f"Member must satisfy enum value set: [{', '.join(_DIRECT_S3_READ)}]",
            )
        doc["S3FilesConfig"] = {} if read is None else {"DirectS3Read": read}
    return doc


def validate_file_system_configs(value: object) -> tuple[dict[str, Any], ...]:
    """``FileSystemConfigs``: at most one ``{Arn, LocalMountPath}``; ``[]`` removes it."""
    if not isinstance(value, list):
        raise _constraint("fileSystemConfigs", value, "Member must be a list")
    if len(value) > 1:
        raise _constraint(
            "fileSystemConfigs",
            value,
            f"Member must have length less than or equal to 1 (got {len(value)})",
        )
    return tuple(_file_system(item, i) for i, item in enumerate(value))


def config_changes(body: Mapping[str, Any]) -> dict[str, Any]:
    """The model fields the stored-only members of ``body`` set (absent or null
    members, and a ``DeadLetterConfig`` without ``TargetArn``, change nothing)."""
    changes: dict[str, Any] = {}
    if body.get("VpcConfig") is not None:
        changes["vpc_config"] = validate_vpc_config(body["VpcConfig"])
    if body.get("DeadLetterConfig") is not None:
        target = validate_dead_letter_config(body["DeadLetterConfig"])
        if target is not None:
            changes["dead_letter_target"] = target
    if body.get("KMSKeyArn") is not None:
        changes["kms_key_arn"] = validate_kms_key_arn(body["KMSKeyArn"])
    if body.get("FileSystemConfigs") is not None:
        changes["file_system_configs"] = validate_file_system_configs(body["FileSystemConfigs"])
    return changes


def host_architecture(machine: str) -> str:
    """Lambda's name for the architecture ``platform.machine()`` reports."""
    return "arm64" if machine.lower() in ("aarch64", "arm64") else "x86_64"


def not_enforced(config: FunctionConfig, host_arch: str) -> list[str]:
    """The API fields ``config`` sets that this platform keeps but does not act on,
    sorted.  ``host_arch`` (``x86_64`` or ``arm64``) is what functions really run on."""
    fields: list[str] = []
    if config.vpc_config is not None and (
        config.vpc_config["SubnetIds"] or config.vpc_config["SecurityGroupIds"]
    ):
        fields.append("VpcConfig")
    if config.dead_letter_target:
        fields.append("DeadLetterConfig")
    if config.kms_key_arn:
        fields.append("KMSKeyArn")
    if config.file_system_configs:
        fields.append("FileSystemConfigs")
    if config.ephemeral_storage != EPHEMERAL_MIN_MB:
        fields.append("EphemeralStorage")
    if host_arch not in config.architectures:
        fields.append("Architectures")
    return sorted(fields)
