"""The deployable plan of a SAM template: typed, resolved, ready to apply."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .events import ScheduleEvent
from .template import Context


@dataclass(frozen=True)
class CodeSource:
    """Where a function's or layer's code comes from: a directory or ``.zip``
    (``path``), or a template's ``InlineCode`` (``inline``, shipped as ``index.py``)."""

    path: Path | None = None
    inline: str | None = None

    def describe(self) -> str:
        return str(self.path) if self.path is not None else "InlineCode"


@dataclass(frozen=True)
class BuildSpec:
    """How ``sam build`` builds a code directory: ``requirements`` installed with
    ``runtime``'s interpreter next to the directory's files, all under ``prefix``
    in the package (``python`` for a layer, as SAM lays layers out)."""

    source: Path
    runtime: str
    requirements: Path | None = None
    prefix: str = ""


@dataclass(frozen=True)
class LayerRef:
    """A ``!Ref`` to a LayerVersion of the same template: its ARN is known once it
    is published."""

    logical_id: str


#: A function's layer: a literal ARN, or a layer of the template.
LayerSpec = str | LayerRef


@dataclass(frozen=True)
class EventInvokeConfig:
    """A function's ``EventInvokeConfig``, applied to its alias (or ``$LATEST``)."""

    maximum_retry_attempts: int | None = None
    maximum_event_age_s: int | None = None
    on_success: str | None = None
    on_failure: str | None = None

    def body(self) -> dict[str, Any]:
        """The PutFunctionEventInvokeConfig request body."""
        body: dict[str, Any] = {}
        if self.maximum_retry_attempts is not None:
            body["MaximumRetryAttempts"] = self.maximum_retry_attempts
        if self.maximum_event_age_s is not None:
            body["MaximumEventAgeInSeconds"] = self.maximum_event_age_s
        destinations: dict[str, Any] = {}
        if self.on_success is not None:
            destinations["OnSuccess"] = {"Destination": self.on_success}
        if self.on_failure is not None:
            destinations["OnFailure"] = {"Destination": self.on_failure}
        if destinations:
            body["DestinationConfig"] = destinations
        return body


@dataclass(frozen=True)
class LayerPlan:
    """An ``AWS::Serverless::LayerVersion`` to publish."""

    logical_id: str
    name: str
    code: CodeSource
    compatible_runtimes: tuple[str, ...] = ()
    compatible_architectures: tuple[str, ...] = ()
    description: str = ""
    license_info: str | None = None
    build: BuildSpec | None = None
    retain: bool = False
    """``RetentionPolicy: Retain``: replaced and deleted versions are kept."""

    def body(self, zip_b64: str) -> dict[str, Any]:
        """The PublishLayerVersion request body, given the content zip in base64."""
        body: dict[str, Any] = {"Content": {"ZipFile": zip_b64}, "Description": self.description}
        if self.compatible_runtimes:
            body["CompatibleRuntimes"] = list(self.compatible_runtimes)
        if self.compatible_architectures:
            body["CompatibleArchitectures"] = list(self.compatible_architectures)
        if self.license_info is not None:
            body["LicenseInfo"] = self.license_info
        return body


@dataclass(frozen=True)
class FunctionPlan:
    """An ``AWS::Serverless::Function`` to create or update (Globals applied)."""

    logical_id: str
    name: str
    code: CodeSource
    handler: str
    runtime: str
    memory_size: int = 128
    timeout: int = 3
    environment: dict[str, str] = field(default_factory=dict)
    layers: tuple[LayerSpec, ...] = ()
    description: str = ""
    ephemeral_storage: int = 512
    architectures: tuple[str, ...] = ("x86_64",)
    auto_publish_alias: str | None = None
    reserved_concurrency: int | None = None
    event_invoke_config: EventInvokeConfig | None = None
    snap_start: str = "None"
    """``SnapStart.ApplyOn``: ``PublishedVersions`` or ``None``."""
    provisioned_concurrency: int | None = None
    """``ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions`` on the alias."""
    tracing: str = "PassThrough"
    """``Tracing``, as ``TracingConfig.Mode``."""
    logging: dict[str, str] = field(default_factory=dict)
    """``LoggingConfig`` as written (LogFormat, ApplicationLogLevel, SystemLogLevel,
    LogGroup)."""
    tags: dict[str, str] = field(default_factory=dict)
    """``Tags`` with SAM's own ``lambda:createdBy``."""
    role: str | None = None
    role_policy: dict[str, Any] | None = None
    """The applicable part of ``Policies``, put as ``role``'s policy before the
    function is deployed (see sam/policies.py)."""
    version_description: str | None = None
    """``VersionDescription`` of the versions ``AutoPublishAlias`` publishes."""
    build: BuildSpec | None = None
    schedules: tuple[ScheduleEvent, ...] = ()
    """Its ``Schedule`` and ``ScheduleV2`` events (see :mod:`.events`)."""

    def logging_config(self) -> dict[str, str]:
        """``LoggingConfig`` with Lambda's defaults for what the template leaves out
        (so a redeploy resets it): Text, ``/aws/lambda/<name>``, INFO levels for JSON."""
        doc = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.name}", **self.logging}
        if doc["LogFormat"] == "JSON":
            doc.setdefault("ApplicationLogLevel", "INFO")
            doc.setdefault("SystemLogLevel", "INFO")
        return doc

    def settings(self, layer_arns: list[str]) -> dict[str, Any]:
        """The CreateFunction / UpdateFunctionConfiguration fields, every one given so
        that a redeploy also resets what the template no longer sets (``Role`` only
        when the template names one)."""
        role = {"Role": self.role} if self.role is not None else {}
        return {
            **role,
            "Runtime": self.runtime,
            "Handler": self.handler,
            "MemorySize": self.memory_size,
            "Timeout": self.timeout,
            "Description": self.description,
            "Environment": {"Variables": dict(self.environment)},
            "EphemeralStorage": {"Size": self.ephemeral_storage},
            "Architectures": list(self.architectures),
            "Layers": layer_arns,
            "SnapStart": {"ApplyOn": self.snap_start},
            "TracingConfig": {"Mode": self.tracing},
            "LoggingConfig": self.logging_config(),
        }


@dataclass(frozen=True)
class Skipped:
    """A resource (or a function's event) that snaplambda does not deploy."""

    logical_id: str
    type: str
    reason: str


@dataclass(frozen=True)
class Notice:
    """A property that was read but is not applied."""

    logical_id: str
    property: str
    message: str


@dataclass(frozen=True)
class OutputSpec:
    """One of the template's ``Outputs``, resolved only after the deploy (it may name
    what exists only then: a layer's version ARN, an alias)."""

    key: str
    value: Any
    description: Any = None


@dataclass(frozen=True)
class DeployPlan:
    """Everything a template deploys, in order: layers first, then functions."""

    stack_name: str
    template: Path
    layers: tuple[LayerPlan, ...] = ()
    functions: tuple[FunctionPlan, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notices: tuple[Notice, ...] = ()
    outputs: tuple[OutputSpec, ...] = ()
    context: Context | None = field(default=None, compare=False)
    """What the template's intrinsics resolved against, for ``outputs``."""
