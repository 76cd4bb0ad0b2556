"""``samconfig.toml``: the deploy settings SAM CLI keeps next to a template.

Read from the template's directory, environment ``default``: ``stack_name`` and
``parameter_overrides`` under ``[default.deploy.parameters]`` (falling back to
``[default.global.parameters]``, as SAM CLI does).  Other keys are SAM CLI's own
(S3 bucket, capabilities, region ...) and mean nothing here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .naming import check_stack_name, default_stack_name
from .template import TemplateError

FILENAME = "samconfig.toml"


@dataclass(frozen=True)
class SamConfig:
    """What a ``samconfig.toml`` says about deploying."""

    path: Path | None = None
    stack_name: str | None = None
    parameter_overrides: tuple[str, ...] = ()


def _parameters(doc: dict[str, Any], env: str, command: str) -> dict[str, Any]:
    section = doc.get(env, {}).get(command, {}).get("parameters", {})
    return section if isinstance(section, dict) else {}


def read_samconfig(directory: Path, env: str = "default") -> SamConfig:
    """The deploy settings of ``directory/samconfig.toml`` (empty without one)."""
    path = directory / FILENAME
    if not path.is_file():
        return SamConfig()
    try:
        doc = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"Cannot read {path}: {exc}") from None
    merged = {**_parameters(doc, env, "global"), **_parameters(doc, env, "deploy")}
    stack = merged.get("stack_name")
    if stack is not None and not isinstance(stack, str):
        raise TemplateError(f"{path}: stack_name must be a string, not {stack!r}")
    overrides = merged.get("parameter_overrides", ())
    if isinstance(overrides, str):
        overrides = (overrides,)
    if not (isinstance(overrides, (list, tuple)) and all(isinstance(o, str) for o in overrides)):
        raise TemplateError(
            f"{path}: parameter_overrides must be a string or a list of strings, not {overrides!r}"
        )
    return SamConfig(path, stack, tuple(overrides))


def choose_stack_name(explicit: str | None, config: SamConfig, template_path: Path) -> str:
    """``--stack-name``, else samconfig.toml's ``stack_name``, else the template
    directory's name."""
    if explicit is not None:
        return check_stack_name(explicit)
    if config.stack_name is not None:
        return check_stack_name(config.stack_name, f"stack_name in {config.path}")
    return default_stack_name(template_path)
