"""Pure validation of function configuration as sent to Lambda's API.

Every failure names the field, the value and what is allowed.  Constraint
violations of the API model are ``ValidationException`` (as AWS answers them);
semantic ones are ``InvalidParameterValueException``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from . import handlers, inert, quotas
from .arns import parse_layer_version_arn
from .errors import InvalidParameterValue
from .errors import constraint_violation as _constraint

# Applied with ``fullmatch``: an anchored ``$`` would let a trailing newline through.
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_ENV_KEY = re.compile(r"[a-zA-Z]([a-zA-Z0-9_])+")
_ROLE = re.compile(r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")


def _int_in_range(field: str, value: object, low: int, high: int, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _constraint(field, value, f"Member must be an integer from {low} to {high} {unit}")
    if value < low:
        raise _constraint(
            field,
            value,
            f"Member must have value greater than or equal to {low} (allowed: {low}-{high} {unit})",
        )
    if value > high:
        raise _constraint(
            field,
            value,
            f"Member must have value less than or equal to {high} (allowed: {low}-{high} {unit})",
        )
    return value


def validate_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise _constraint(
            "functionName",
            name,
            "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]{1,64} "
            "(1-64 letters, digits, hyphens or underscores)",
        )
    return name


def validate_runtime(runtime: object) -> str:
    if runtime not in quotas.SUPPORTED_RUNTIMES:
        raise InvalidParameterValue(
            f"Value '{runtime}' at 'runtime' is not supported: snaplambda runs "
            f"{', '.join(quotas.SUPPORTED_RUNTIMES)}"
        )
    assert isinstance(runtime, str)
    return runtime


def validate_handler(handler: object) -> str:
    return handlers.validate_handler(handler)


def validate_memory(value: object) -> int:
    return _int_in_range("memorySize", value, quotas.MEMORY_MIN_MB, quotas.MEMORY_MAX_MB, "MB")


def validate_timeout(value: object) -> int:
    return _int_in_range("timeout", value, quotas.TIMEOUT_MIN_S, quotas.TIMEOUT_MAX_S, "seconds")


def validate_ephemeral(value: object) -> int:
    size = value.get("Size") if isinstance(value, Mapping) else value
    return _int_in_range(
        "ephemeralStorage.size", size, quotas.EPHEMERAL_MIN_MB, quotas.EPHEMERAL_MAX_MB, "MB"
    )


#: Beyond AWS: the variable that chooses a function's network in the sandbox,
#: ``host`` (the default, as Lambda without a VPC) or ``none``.
NETWORK_VARIABLE = "SNAPLAMBDA_NETWORK"
NETWORK_MODES = ("host", "none")


def validate_environment(value: object) -> dict[str, str]:
    """Check ``Environment`` (``{"Variables": {...}}``) and return the variables."""
    if value is None:
        return {}
    variables = value.get("Variables", {}) if isinstance(value, Mapping) else None
    if not isinstance(variables, Mapping):
        raise InvalidParameterValue(
            f"Value '{value}' at 'environment' is not allowed: expected "
            '{"Variables": {"NAME": "value", ...}}'
        )
    size = 0
    for key, val in variables.items():
        if not isinstance(key, str) or not _ENV_KEY.fullmatch(key):
            raise _constraint(
                "environment.variables",
                key,
                "Member must have keys that start with a letter followed by letters, "
                "digits or underscores",
            )
        if not isinstance(val, str):
            raise InvalidParameterValue(
                f"Value '{val}' of environment variable '{key}' is not allowed: values "
                "must be strings"
            )
        size += len(key.encode()) + len(val.encode())
    network = variables.get(NETWORK_VARIABLE)
    if network is not None and network not in NETWORK_MODES:
        raise InvalidParameterValue(
            f"Value '{network}' of environment variable '{NETWORK_VARIABLE}' is not "
            f"allowed: it must be one of {', '.join(NETWORK_MODES)} (beyond AWS: the "
            "function's network in the sandbox)"
        )
    reserved = sorted(k for k in variables if k in quotas.RESERVED_ENV_KEYS)
    if reserved:
        raise InvalidParameterValue(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided contains reserved keys that are "
            f"currently not supported for modification. Reserved keys used in this request: "
            f"{', '.join(reserved)}"
        )
    if size > quotas.ENV_VARS_MAX_BYTES:
        raise InvalidParameterValue(
            f"Lambda was unable to configure your environment variables because the "
            f"environment variables you have provided exceeded the 4KB limit. "
            f"String measured: {size} bytes (allowed: {quotas.ENV_VARS_MAX_BYTES})"
        )
    return dict(variables)


def validate_role(value: object) -> str:
    """``Role``: an IAM role ARN (kept and returned; snaplambda assumes no role)."""
    if not isinstance(value, str) or len(value) > 10000 or not _ROLE.fullmatch(value):
        raise _constraint(
            "role",
            value,
            f"Member must satisfy regular expression pattern: {_ROLE.pattern} "
            "(an IAM role ARN, like arn:aws:iam::123456789012:role/my-role)",
        )
    return value


def validate_description(value: object) -> str:
    if not isinstance(value, str) or len(value) > quotas.DESCRIPTION_MAX_LEN:
        raise _constraint(
            "description",
            value,
            f"Member must have length less than or equal to {quotas.DESCRIPTION_MAX_LEN}",
        )
    return value


def validate_layers(value: object) -> tuple[str, ...]:
    """``Layers``: at most five layer version ARNs, one version per layer.  Whether
    they exist is checked by :class:`~.layers.LayerService`."""
    if not isinstance(value, list):
        raise InvalidParameterValue(
            f"Value '{value}' at 'layers' is not allowed: expected a list of layer version ARNs"
        )
    if len(value) > quotas.MAX_LAYERS:
        raise InvalidParameterValue(
            f"Cannot reference more than {quotas.MAX_LAYERS} layers (got {len(value)}: "
            f"{', '.join(map(str, value))})"
        )
    names: set[str] = set()
    for arn in value:
        name, _ = parse_layer_version_arn(arn)
        if name in names:
            raise InvalidParameterValue(
                f"Two different versions of the same layer are not allowed: '{arn}' "
                f"(layer '{name}' is listed twice)"
            )
        names.add(name)
    return tuple(value)


#: The oldest Python runtime Lambda offers SnapStart for.
SNAP_START_MIN_PYTHON = (3, 12)


def _enum_member(
    value: object, member: str, default: str, field: str, allowed: tuple[str, ...]
) -> str:
    """``value[member]`` (``default`` when absent, ``value`` itself when not a dict),
    which must be one of ``allowed``."""
    chosen = value.get(member, default) if isinstance(value, dict) else value
    if chosen not in allowed:
        raise _constraint(
            field, chosen, f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    return str(chosen)


def validate_snap_start(value: object) -> str:
    """``SnapStart``: ``{"ApplyOn": "PublishedVersions" | "None"}``."""
    return _enum_member(
        value, "ApplyOn", "None", "snapStart.applyOn", ("PublishedVersions", "None")
    )


def check_snap_start(runtime: str, snap_start: str) -> None:
    """SnapStart needs python3.12 or later (as on Lambda)."""
    if snap_start != "PublishedVersions":
        return
    major, _, minor = runtime.removeprefix("python").partition(".")
    if not (major.isdigit() and minor.isdigit()) or (int(major), int(minor)) < (
        SNAP_START_MIN_PYTHON
    ):
        raise InvalidParameterValue(
            f"SnapStart is not supported for runtime '{runtime}': it needs python3.12 or "
            "later (set SnapStart ApplyOn to None, or change the runtime)"
        )


_LOG_GROUP = re.compile(r"[\.\-_/#A-Za-z0-9]{1,512}")
_LOG_ENUMS = {
    "LogFormat": ("log_format", ("JSON", "Text")),
    "ApplicationLogLevel": (
        "application_log_level",
        ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"),
    ),
    "SystemLogLevel": ("system_log_level", ("DEBUG", "INFO", "WARN")),
}


def validate_logging_config(value: object) -> dict[str, str]:
    """``LoggingConfig`` -> the model fields it sets (only the members given;
    ``LogFormat: Text`` also clears the log levels, which only JSON has)."""
    if not isinstance(value, dict):
        raise _constraint("loggingConfig", value, "Member must be a structure")
    changes: dict[str, str] = {}
    for member, (model_field, allowed) in _LOG_ENUMS.items():
        if value.get(member) is None:
            continue
        if value[member] not in allowed:
            raise _constraint(
                f"loggingConfig.{member[0].lower()}{member[1:]}",
                value[member],
                f"Member must satisfy enum value set: [{', '.join(allowed)}]",
            )
        changes[model_field] = value[member]
    if changes.get("log_format") == "Text":
        for level in ("application_log_level", "system_log_level"):
            if level in changes:
                raise InvalidParameterValue(
                    "ApplicationLogLevel and SystemLogLevel require LogFormat JSON "
                    f"(got LogFormat Text with {changes[level]!r})"
                )
            changes[level] = ""
    group = value.get("LogGroup")
    if group is not None:
        if not isinstance(group, str) or not _LOG_GROUP.fullmatch(group):
            raise _constraint(
                "loggingConfig.logGroup",
                group,
                "Member must have length between 1 and 512 and satisfy regular expression "
                "pattern: [\\.\\-_/#A-Za-z0-9]+",
            )
        changes["log_group"] = group
    return changes


def check_logging(log_format: str, application_level: str, system_level: str) -> None:
    """Log levels are a JSON-format setting (as on Lambda)."""
    if log_format != "JSON" and (application_level or system_level):
        raise InvalidParameterValue(
            "ApplicationLogLevel and SystemLogLevel require LogFormat JSON: set "
            "LoggingConfig.LogFormat to JSON"
        )


def validate_tracing_config(value: object) -> str:
    """``TracingConfig``: ``{"Mode": "Active" | "PassThrough"}``."""
    return _enum_member(
        value, "Mode", "PassThrough", "tracingConfig.mode", ("Active", "PassThrough")
    )


#: API field -> (model field, validator)
_FIELDS: dict[str, tuple[str, Any]] = {
    "Runtime": ("runtime", validate_runtime),
    "Handler": ("handler", validate_handler),
    "MemorySize": ("memory_size", validate_memory),
    "Timeout": ("timeout", validate_timeout),
    "EphemeralStorage": ("ephemeral_storage", validate_ephemeral),
    "Environment": ("environment", validate_environment),
    "Description": ("description", validate_description),
    "Role": ("role", validate_role),
    "Layers": ("layers", validate_layers),
    "SnapStart": ("snap_start", validate_snap_start),
    "TracingConfig": ("tracing_mode", validate_tracing_config),
}


def config_changes(body: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the configuration fields present in a request body.

    Returns model-field -> value for each field given; absent fields are left out.
    """
    changes: dict[str, Any] = {}
    for api_field, (model_field, validator) in _FIELDS.items():
        if api_field in body and body[api_field] is not None:
            changes[model_field] = validator(body[api_field])
    if "Architectures" in body and body["Architectures"] is not None:
        arch = body["Architectures"]
        if arch not in (["x86_64"], ["arm64"]):
            raise _constraint("architectures", arch, "Member must be ['x86_64'] or ['arm64']")
        changes["architectures"] = tuple(arch)
    if body.get("LoggingConfig") is not None:
        changes.update(validate_logging_config(body["LoggingConfig"]))
    changes.update(inert.config_changes(body))
    return changes


#: Request members of CreateFunction / UpdateFunctionConfiguration / UpdateFunctionCode
#: for features snaplambda does not have, with what they would need.
_UNSUPPORTED: dict[str, str] = {
    "CodeSigningConfigArn": "code signing configurations",
    "ImageConfig": "container images (PackageType Image)",
    "PublishTo": "publishing to $LATEST.PUBLISHED (Lambda Managed Instances)",
    "TenancyConfig": "tenant isolation mode",
    "CapacityProviderConfig": "capacity providers (Lambda Managed Instances)",
    "DurableConfig": "durable functions",
    "RuntimeConfig": "customer-managed runtimes",
    "AcceleratorConfig": "accelerators",
}


def refuse_unsupported(body: Mapping[str, Any]) -> None:
    """Refuse, naming the member, any member of ``body`` that asks for a feature
    snaplambda does not have.  Absent, null and empty values ask for nothing."""
    for member, feature in _UNSUPPORTED.items():
        value = body.get(member)
        if value is None or value in ("", {}, []):
            continue
        raise InvalidParameterValue(
            f"Value '{value}' at '{member[0].lower()}{member[1:]}' is not supported: "
            f"snaplambda has no {feature}; leave {member} out"
        )


def decode_zip(code: object) -> bytes:
    """The zip bytes of a ``Code`` (or ``ZipFile``) value, base64 in JSON as boto3 sends."""
    zipped = code
    if isinstance(code, Mapping):
        zipped = code.get("ZipFile")
        others = sorted(k for k, v in code.items() if k != "ZipFile" and v not in (None, ""))
        if zipped is None:
            raise InvalidParameterValue(
                f"Code must contain 'ZipFile' (got {', '.join(others) or 'nothing'}); "
                "snaplambda does not read code from S3 buckets or image URIs"
            )
        if others:
            raise InvalidParameterValue(
                f"Code members {', '.join(others)} are not supported alongside ZipFile: "
                "snaplambda takes the zip itself (no S3 objects, image URIs or source KMS keys)"
            )
    if not isinstance(zipped, str):
        raise InvalidParameterValue("Value at 'code.zipFile' must be a base64 string")
    try:
        return base64.b64decode(zipped, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidParameterValue(f"Value at 'code.zipFile' is not valid base64: {exc}") from exc
