"""The function model: one immutable record per function version, and aliases."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .arns import function_arn
from .quotas import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, EPHEMERAL_MIN_MB

LATEST = "$LATEST"


def aws_timestamp(epoch: float | None = None) -> str:
    """Lambda's ``LastModified`` format, e.g. ``2026-11-26T18:01:02.345+0000``."""
    epoch = time.time() if epoch is None else epoch
    millis = int(epoch * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{millis:03d}+0000"


@dataclass(frozen=True)
class FunctionConfig:
    """Configuration and code identity of one function version."""

    name: str
    runtime: str
    handler: str
    code_key: str
    """Hex SHA-256 of the zip: the key of the extracted code in the code store."""
    code_sha256: str
    """Base64 SHA-256 of the zip, as Lambda reports ``CodeSha256``."""
    code_size: int
    version: str = LATEST
    memory_size: int = DEFAULT_MEMORY_MB
    timeout: int = DEFAULT_TIMEOUT_S
    ephemeral_storage: int = EPHEMERAL_MIN_MB
    environment: dict[str, str] = field(default_factory=dict)
    description: str = ""
    role: str = "arn:aws:iam::123456789012:role/snaplambda"
    architectures: tuple[str, ...] = ("x86_64",)
    last_modified: str = field(default_factory=aws_timestamp)
    revision_id: str = ""
    state: str = "Active"
    last_update_status: str = "Successful"
    published_from: str = ""
    """For a published version, the fingerprint of the $LATEST it was published from
    (see :func:`~.versions.fingerprint`); empty for $LATEST."""
    layers: tuple[str, ...] = ()
    """Layer version ARNs, in the order their content is searched."""
    layer_sizes: tuple[int, ...] = ()
    """Zipped size of each of ``layers``, for ``Layers[].CodeSize``."""
    snap_start: str = "None"
    """SnapStart ``ApplyOn``: ``PublishedVersions`` or ``None``."""
    state_reason: str = ""
    state_reason_code: str = ""
    log_format: str = "Text"
    """``LoggingConfig.LogFormat``: ``Text`` or ``JSON``."""
    application_log_level: str = ""
    """``LoggingConfig.ApplicationLogLevel`` (JSON only; empty: INFO)."""
    system_log_level: str = ""
    """``LoggingConfig.SystemLogLevel`` (JSON only; empty: INFO)."""
    log_group: str = ""
    """``LoggingConfig.LogGroup``; empty: ``/aws/lambda/<name>``."""
    tracing_mode: str = "PassThrough"
    """``TracingConfig.Mode``: ``Active`` samples every invocation for X-Ray."""
    vpc_config: dict[str, Any] | None = None
    """``VpcConfig`` as Lambda returns it (``SubnetIds``, ``SecurityGroupIds``,
    ``VpcId``, ``Ipv6AllowedForDualStack``); None until one is given. Stored only."""
    dead_letter_target: str = ""
    """``DeadLetterConfig.TargetArn`` (an SQS queue or SNS topic); stored only."""
    kms_key_arn: str = ""
    """``KMSKeyArn``; stored only."""
    file_system_configs: tuple[dict[str, str], ...] = ()
    """``FileSystemConfigs`` (``Arn``, ``LocalMountPath``); stored only."""

    @property
    def log_group_name(self) -> str:
        """The log group the function's logs go to."""
        return self.log_group or f"/aws/lambda/{self.name}"

    def logging_config(self) -> dict[str, str]:
        """The ``LoggingConfig`` shape of Lambda's API."""
        doc = {"LogFormat": self.log_format, "LogGroup": self.log_group_name}
        if self.log_format == "JSON":
            doc["ApplicationLogLevel"] = self.application_log_level or "INFO"
            doc["SystemLogLevel"] = self.system_log_level or "INFO"
        return doc

    def to_doc(self) -> dict[str, Any]:
        """A JSON-ready dict for the store."""
        doc = asdict(self)
        doc["architectures"] = list(self.architectures)
        doc["layers"] = list(self.layers)
        doc["layer_sizes"] = list(self.layer_sizes)
        doc["file_system_configs"] = [dict(fs) for fs in self.file_system_configs]
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> FunctionConfig:
        known = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        known["architectures"] = tuple(known.get("architectures", ("x86_64",)))
        known["layers"] = tuple(known.get("layers", ()))
        known["layer_sizes"] = tuple(known.get("layer_sizes", ()))
        known["file_system_configs"] = tuple(known.get("file_system_configs", ()))
        return cls(**known)

    def differs_only_in_revision(self, other: FunctionConfig) -> bool:
        """Whether ``other`` is this configuration with another ``RevisionId`` (as
        tagging gives $LATEST): environments of one can serve the other."""
        return replace(self, revision_id=other.revision_id) == other

    def arn(self, region: str, account: str, qualified: bool = False) -> str:
        return function_arn(region, account, self.name, self.version if qualified else None)

    def to_aws(self, region: str, account: str) -> dict[str, Any]:
        """The ``FunctionConfiguration`` shape of Lambda's API."""
        doc: dict[str, Any] = {
            "FunctionName": self.name,
            "FunctionArn": self.arn(region, account, qualified=self.version != LATEST),
            "Runtime": self.runtime,
            "Role": self.role,
            "Handler": self.handler,
            "CodeSize": self.code_size,
            "Description": self.description,
            "Timeout": self.timeout,
            "MemorySize": self.memory_size,
            "LastModified": self.last_modified,
            "CodeSha256": self.code_sha256,
            "Version": self.version,
            "Environment": {"Variables": dict(self.environment)},
            "TracingConfig": {"Mode": self.tracing_mode},
            "RevisionId": self.revision_id,
            "State": self.state,
            "LastUpdateStatus": self.last_update_status,
            "PackageType": "Zip",
            "Architectures": list(self.architectures),
            "EphemeralStorage": {"Size": self.ephemeral_storage},
            "LoggingConfig": self.logging_config(),
            "SnapStart": {
                "ApplyOn": self.snap_start,
                "OptimizationStatus": "On"
                if self.snap_start == "PublishedVersions" and self.version != LATEST
                else "Off",
            },
        }
        if self.state_reason_code:
            doc["StateReason"] = self.state_reason
            doc["StateReasonCode"] = self.state_reason_code
        if self.vpc_config is not None:
            doc["VpcConfig"] = dict(self.vpc_config)
        if self.dead_letter_target:
            doc["DeadLetterConfig"] = {"TargetArn": self.dead_letter_target}
        if self.kms_key_arn:
            doc["KMSKeyArn"] = self.kms_key_arn
        if self.file_system_configs:
            doc["FileSystemConfigs"] = [dict(fs) for fs in self.file_system_configs]
        if self.layers:
            doc["Layers"] = [
                {"Arn": arn, "CodeSize": size}
                for arn, size in zip(self.layers, self.layer_sizes, strict=True)
            ]
        return doc


@dataclass(frozen=True)
class Alias:
    """A named pointer to a function version, optionally splitting traffic with a
    second version (``routing``: additional version -> weight, 0.0-1.0)."""

    function: str
    name: str
    function_version: str
    description: str = ""
    routing: dict[str, float] = field(default_factory=dict)
    revision_id: str = ""

    def to_doc(self) -> dict[str, Any]:
        """A JSON-ready dict for the store."""
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Alias:
        known = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def arn(self, region: str, account: str) -> str:
        return function_arn(region, account, self.function, self.name)

    def to_aws(self, region: str, account: str) -> dict[str, Any]:
        """The ``AliasConfiguration`` shape of Lambda's API."""
        doc: dict[str, Any] = {
            "AliasArn": self.arn(region, account),
            "Name": self.name,
            "FunctionVersion": self.function_version,
            "Description": self.description,
            "RevisionId": self.revision_id,
        }
        if self.routing:
            doc["RoutingConfig"] = {"AdditionalVersionWeights": dict(self.routing)}
        return doc
