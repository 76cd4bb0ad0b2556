"""Reading one property of a template as the type the plan needs, or a
:class:`~.template.TemplateError` naming where it is (``Resource Fn, property
Timeout``) and what was expected.  Pure, but for checking that code paths exist."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .model import CodeSource, EventInvokeConfig
from .template import TemplateError

#: SAM's ``Tracing`` -> ``TracingConfig.Mode`` (Lambda has no "off": PassThrough
#: traces only what a caller asks to be sampled).
_TRACING = {"Active": "Active", "PassThrough": "PassThrough", "Disabled": "PassThrough"}
LOGGING_KEYS = ("LogFormat", "ApplicationLogLevel", "SystemLogLevel", "LogGroup")


def where_in(logical_id: str, prop: str) -> str:
    return f"Resource {logical_id}, property {prop}"


def as_int(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise TemplateError(f"{where}: expected an integer, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise TemplateError(f"{where}: expected an integer, not {value!r}")


def as_str(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TemplateError(f"{where}: expected a string, not {value!r}")


def as_str_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TemplateError(f"{where}: expected a list, not {value!r}")
    return tuple(as_str(v, f"{where}[{i}]") for i, v in enumerate(value))


def code_path(base: Path, value: Any, where: str) -> CodeSource:
    """A ``CodeUri`` / ``ContentUri``: a directory or ``.zip`` relative to the template."""
    if isinstance(value, dict) or (isinstance(value, str) and value.startswith("s3://")):
        raise TemplateError(
            f"{where}: code in S3 ({value!r}) is not supported; point it at a local "
            "directory or .zip"
        )
    if not isinstance(value, str) or not value:
        raise TemplateError(f"{where}: expected a directory or .zip path, not {value!r}")
    path = (base / value).resolve()
    if not path.exists():
        raise TemplateError(f"{where}: no directory or .zip at {path}")
    if path.is_file() and path.suffix.lower() != ".zip":
        raise TemplateError(f"{where}: {path} is a file but not a .zip")
    return CodeSource(path=path)


def tracing_mode(value: Any, where: str) -> str:
    """SAM's ``Tracing`` as ``TracingConfig.Mode``."""
    mode = as_str(value, where)
    if mode not in _TRACING:
        raise TemplateError(f"{where}: '{mode}' must be Active, PassThrough or Disabled")
    return _TRACING[mode]


def logging_config(value: Any, where: str) -> dict[str, str]:
    """``LoggingConfig`` as written; its values are checked by the API."""
    if not isinstance(value, dict):
        raise TemplateError(f"{where}: expected a mapping")
    unknown = sorted(set(value) - set(LOGGING_KEYS))
    if unknown:
        raise TemplateError(
            f"{where}: {', '.join(unknown)} is not a LoggingConfig member (members: "
            f"{', '.join(LOGGING_KEYS)})"
        )
    return {key: as_str(v, f"{where}.{key}") for key, v in value.items()}


def tags(value: Any, where: str) -> dict[str, str]:
    """``Tags``: a mapping of keys to string values."""
    if not isinstance(value, dict):
        raise TemplateError(f"{where}: expected a mapping of tag keys to values")
    return {str(key): as_str(v, f"{where}.{key}") for key, v in value.items()}


def event_invoke_config(
    value: Any, where: str, function_arn_prefix: str, ignored: Callable[[str], None]
) -> EventInvokeConfig | None:
    """``EventInvokeConfig``; a ``Type: Lambda`` destination given as a function name
    becomes ``function_arn_prefix`` + name; ``ignored`` hears of members skipped."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TemplateError(f"{where}: expected a mapping")
    for member in sorted(
        set(value) - {"MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"}
    ):
        ignored(member)
    retries = value.get("MaximumRetryAttempts")
    age = value.get("MaximumEventAgeInSeconds")
    destinations = value.get("DestinationConfig") or {}
    if not isinstance(destinations, dict):
        raise TemplateError(f"{where}.DestinationConfig: expected a mapping")
    targets: dict[str, str | None] = {"OnSuccess": None, "OnFailure": None}
    for key, dest in destinations.items():
        if key not in targets:
            raise TemplateError(f"{where}.DestinationConfig.{key}: expected OnSuccess or OnFailure")
        if not isinstance(dest, dict) or "Destination" not in dest:
            raise TemplateError(
                f"{where}.DestinationConfig.{key}: a Destination ARN is required "
                "(snaplambda does not create SQS queues or SNS topics for you)"
            )
        arn = as_str(dest["Destination"], f"{where}.DestinationConfig.{key}.Destination")
        if dest.get("Type") == "Lambda" and not arn.startswith("arn:"):
            arn = function_arn_prefix + arn
        targets[key] = arn
    return EventInvokeConfig(
        maximum_retry_attempts=(
            None if retries is None else as_int(retries, f"{where}.MaximumRetryAttempts")
        ),
        maximum_event_age_s=None
        if age is None
        else as_int(age, f"{where}.MaximumEventAgeInSeconds"),
        on_success=targets["OnSuccess"],
        on_failure=targets["OnFailure"],
    )
