"""What ``sam build`` would do with a function's or layer's code: pure decisions from
the code path and the resource's ``Metadata``; the building itself is :mod:`.build`.

- A function whose ``CodeUri`` is a directory holding ``requirements.txt`` gets those
  requirements installed next to its files.  A ``.zip`` or ``InlineCode`` is shipped
  as it is.
- A layer is built only with ``Metadata: BuildMethod: python3.X`` (as in SAM): its
  directory's files and requirements go under ``python/``.  Without a BuildMethod its
  directory is the layer's content as it stands.
- ``BuildMethod: makefile`` (and any other builder) is refused: nothing here runs
  Makefiles.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .model import BuildSpec, CodeSource, Notice
from .template import TemplateError

REQUIREMENTS = "requirements.txt"
_PYTHON_METHOD = re.compile(r"python3\.\d+")


def _build_method(logical_id: str, metadata: Any) -> str | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise TemplateError(f"Resource {logical_id}: Metadata must be a mapping")
    method = metadata.get("BuildMethod")
    if method is None:
        return None
    if not isinstance(method, str):
        raise TemplateError(
            f"Resource {logical_id}, Metadata BuildMethod: expected a string, not {method!r}"
        )
    if method.lower() == "makefile":
        raise TemplateError(
            f"Resource {logical_id}, Metadata BuildMethod: makefile is not supported by "
            "snaplambda (it runs no Makefiles); use BuildMethod python3.X with a "
            "requirements.txt, or point the code at a directory you built yourself"
        )
    if not _PYTHON_METHOD.fullmatch(method):
        raise TemplateError(
            f"Resource {logical_id}, Metadata BuildMethod: '{method}' is not supported by "
            "snaplambda (supported: python3.X, e.g. python3.12)"
        )
    return method


def _requirements(directory: Path) -> Path | None:
    path = directory / REQUIREMENTS
    return path if path.is_file() else None


def function_build(
    logical_id: str, code: CodeSource, runtime: str, metadata: Any
) -> BuildSpec | None:
    """How a function's code is built, or None when it ships as it is."""
    _build_method(logical_id, metadata)
    if code.path is None or not code.path.is_dir():
        return None
    requirements = _requirements(code.path)
    if requirements is None:
        return None
    return BuildSpec(code.path, runtime, requirements)


def layer_build(
    logical_id: str, code: CodeSource, metadata: Any, notices: list[Notice]
) -> BuildSpec | None:
    """How a layer's content is built, or None when its directory (or zip) is the
    content; a ``requirements.txt`` left unbuilt is reported in ``notices``."""
    method = _build_method(logical_id, metadata)
    assert code.path is not None  # layers always have ContentUri
    if method is None:
        if code.path.is_dir() and _requirements(code.path) is not None:
            notices.append(
                Notice(
                    logical_id,
                    REQUIREMENTS,
                    "not installed: the layer has no Metadata BuildMethod (SAM builds "
                    "layers only with one; add BuildMethod: python3.X)",
                )
            )
        return None
    if not code.path.is_dir():
        raise TemplateError(
            f"Resource {logical_id}, Metadata BuildMethod: {method} builds a directory, "
            f"but ContentUri is the file {code.path}"
        )
    return BuildSpec(code.path, method, _requirements(code.path), prefix="python")
