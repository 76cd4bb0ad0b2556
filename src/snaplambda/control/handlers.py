"""The rule for a function's ``Handler``: AWS's model, and what snaplambda adds so the
runtime can only import it from the function's package and layers.

AWS's model allows any 1-128 characters without whitespace (``[^\\s]+``).  The Python
runtime imports ``module.function``, where the module path may use ``/`` for
packages (``dir/module.function`` imports ``dir.module``), from the task root and the
layers.  snaplambda also refuses, before anything runs:

- NUL and other control characters (the handler travels to the runtime in an
  environment variable, which cannot hold a NUL);
- ``\\`` (not a path separator for the runtime, so never a module that exists);
- an absolute path, and empty, ``.`` or ``..`` parts of the module path (a leading
  ``.`` or ``..`` would be a relative import: the only way a module path could
  point outside the directories the runtime imports from).
"""

from __future__ import annotations

import re

from .errors import ValidationError
from .quotas import HANDLER_MAX_LEN

_PATTERN = r"[^\s]+"
_AWS = re.compile(_PATTERN)  # applied with fullmatch
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SHOWN = 160


def _shown(value: object) -> str:
    text = str(value)
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _refused(value: object, constraint: str, raw: bool = False) -> ValidationError:
    shown = value if raw else _shown(value)
    return ValidationError(
        f"1 validation error detected: Value '{shown}' at 'handler' failed to "
        f"satisfy constraint: {constraint}"
    )


def _module_parts_ok(spec: str) -> bool:
    module, _, function = spec.rpartition(".")
    if not module or not function:
        return True  # left to the runtime: Runtime.MalformedHandlerName, as on AWS
    return all(part not in ("", ".", "..") for part in re.split(r"[/.]", module))


def validate_handler(handler: object) -> str:
    """``handler`` if allowed, else a ``ValidationException`` naming the constraint."""
    if not isinstance(handler, str) or not _AWS.fullmatch(handler):
        # Quoted as AWS quotes it, whitespace and all.
        pattern = f"Member must satisfy regular expression pattern: {_PATTERN}"
        raise _refused(handler, pattern, raw=True)
    if len(handler) > HANDLER_MAX_LEN:
        length = f"Member must have length less than or equal to {HANDLER_MAX_LEN}"
        raise _refused(handler, length, raw=True)
    if _CONTROL.search(handler):
        raise _refused(
            handler,
            f"Member must satisfy regular expression pattern: {_PATTERN} and contain no NUL "
            "or other control characters (snaplambda's rule)",
        )
    if "\\" in handler or not _module_parts_ok(handler):
        raise _refused(
            handler,
            "Member must name a module inside the function's package or layers: "
            "'module.function' or 'dir/module.function', without '\\', an absolute path, "
            "or empty, '.' or '..' parts (snaplambda's rule)",
        )
    return handler
