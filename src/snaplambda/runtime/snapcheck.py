"""Probe for ``snaplambda snapstart check``: in the function's interpreter, run init
and the before-snapshot hooks as a snapshot would, then describe what a snapshot
would carry that does not survive or should not be shared by a restore.

Writes a JSON report to the path in ``_SNAPLAMBDA_CHECK_OUT``: ``init_error`` (an
error document or null), ``hook_error``, ``threads``, ``sockets``, ``files``,
``before_hooks`` and ``after_hooks`` (how many were registered).
"""

from __future__ import annotations

import json
import os
import sys

from . import errortypes as types
from .bootstrap import InitError, _set_sys_path, load_handler
from .errors import error_document
from .hooks import other_threads, registry, run_before_snapshot

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs every cold start
if TYPE_CHECKING:
    from typing import Any


def open_descriptors() -> tuple[list[str], list[str]]:
    """(sockets, regular files) this process holds beyond stdin/stdout/stderr."""
    sockets: list[str] = []
    files: list[str] = []
    fd_dir = "/proc/self/fd"
    for name in os.listdir(fd_dir):
        if int(name) <= 2:
            continue
        try:
            target = os.readlink(os.path.join(fd_dir, name))
        except OSError:
            continue  # the directory listing's own descriptor, closed by now
        if target.startswith("socket:"):
            sockets.append(f"fd {name}: {target}")
        elif target.startswith("/") and not target.startswith(("/dev/", "/proc/")):
            files.append(f"fd {name}: {target}")
    return sockets, files


def main() -> None:
    out_path = os.environ.pop("_SNAPLAMBDA_CHECK_OUT")
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    os.chdir(task_root)
    _set_sys_path([task_root], os.environ["LAMBDA_RUNTIME_DIR"])
    report: dict[str, Any] = {"init_error": None, "hook_error": None}
    try:
        load_handler(os.environ["_HANDLER"])
    except InitError as exc:
        report["init_error"] = exc.doc
    else:
        report["before_hooks"] = len(registry("get_before_snapshot"))
        report["after_hooks"] = len(registry("get_after_restore"))
        try:
            run_before_snapshot()
        except Exception as exc:
            report["hook_error"] = error_document(exc, types.BEFORE_SNAPSHOT_ERROR)
        report["threads"] = other_threads()
        report["sockets"], report["files"] = open_descriptors()
    with open(out_path, "w") as f:
        json.dump(report, f)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # threads the function started must not keep the probe alive
