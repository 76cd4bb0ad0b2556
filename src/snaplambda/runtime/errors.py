"""Lambda's error document for an exception: what the caller receives and the log
shows when a handler, an init or a SnapStart hook fails.

The stack trace reads as it would on Lambda: the runtime's own leading frames are
left out, and files are named where Lambda keeps them (``/var/task`` for the
function's code, ``/opt`` for its layers, ``/var/lang/lib/pythonX.Y`` for the
standard library, ``/var/runtime`` for the runtime), not where this host keeps them.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs every cold start
if TYPE_CHECKING:
    from typing import Any

_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"

_layers: tuple[str, ...] = ()
_prefixes: list[tuple[str, str]] | None = None
"""(host directory + "/", Lambda's directory + "/"), longest host directory first."""
_runtime_dir = ""


def set_layers(directories: list[str]) -> None:
    """The host directories of the function's layers, which Lambda shows as ``/opt``
    (the bootstrap calls this before any user code runs)."""
    global _layers, _prefixes
    _layers = tuple(d for d in directories if d)
    _prefixes = None


def _layout() -> list[tuple[str, str]]:
    global _prefixes, _runtime_dir
    if _prefixes is None:
        # Both are reserved variables: a function's configuration cannot change them.
        task_root = os.environ.get("LAMBDA_TASK_ROOT", "")
        _runtime_dir = os.environ.get("LAMBDA_RUNTIME_DIR", "")
        stdlib = os.path.dirname(os.__file__)
        version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        pairs = [
            (task_root, "/var/task"),
            (_runtime_dir, "/var/runtime"),
            (stdlib, f"/var/lang/lib/{version}"),
            *((layer, "/opt") for layer in _layers),
        ]
        _prefixes = sorted(
            ((host.rstrip("/") + "/", lam + "/") for host, lam in pairs if host),
            key=lambda pair: -len(pair[0]),
        )
    return _prefixes


def lambda_path(filename: str) -> str:
    """``filename`` as Lambda would name it (unchanged outside the known directories)."""
    for host, lam in _layout():
        if filename.startswith(host):
            return lam + filename[len(host) :]
    return filename


def _in_runtime(filename: str) -> bool:
    _layout()
    return bool(_runtime_dir) and filename.startswith(_runtime_dir.rstrip("/") + "/")


def stack_trace(tb: Any) -> list[str]:
    """Lambda's ``stackTrace`` for a traceback: one ``  File "...", line N, in name``
    entry per frame, with its source line (no column markers, as Lambda's runtime
    formats frames without them), after the runtime's own leading frames."""
    import traceback  # only failures pay for it

    frames = traceback.extract_tb(tb)
    start = 0
    while start < len(frames) and _in_runtime(frames[start].filename):
        start += 1
    entries = []
    for frame in frames[start:]:
        entry = f'  File "{lambda_path(frame.filename)}", line {frame.lineno}, in {frame.name}\n'
        if frame.line:
            entry += f"    {frame.line.strip()}\n"
        entries.append(entry)
    return entries


def error_document(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """Lambda's error shape for an exception, without the request id."""
    if isinstance(exc, SyntaxError) and error_type == _SYNTAX_ERROR:
        # Lambda reports where the syntax is wrong, not how the import got there.
        text = exc.text if exc.text is not None else ""
        trace = [f'  File "{lambda_path(exc.filename or "")}" Line {exc.lineno}\n    {text}']
    else:
        trace = stack_trace(exc.__traceback__)
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": trace,
    }
