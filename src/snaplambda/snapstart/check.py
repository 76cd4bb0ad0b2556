"""``snaplambda snapstart check PATH``: will this function's code snapshot and restore
well?  Runs its init and before-snapshot hooks in its runtime's interpreter (no
server needed) and turns what the probe (``runtime/snapcheck.py``) saw into
findings: errors that would make the version ``Failed``, warnings about state that
every restored environment would share; then adds the static hazards
(``static.py``) of its import-time code, with file and line."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..control import validation
from ..execution.runtimes import RuntimeResolver
from .static import scan_package

_PROBE = (
    "import sys;sys.path.insert(0,{dir!r});from snaplambda_runtime.snapcheck import main;main()"
)


@dataclass(frozen=True)
class Finding:
    level: str
    """``error`` (the snapshot would fail) or ``warning``."""
    message: str


def findings(report: dict[str, Any]) -> list[Finding]:
    """What a probe report means for SnapStart."""
    out: list[Finding] = []
    for key in ("init_error", "hook_error"):
        doc = report.get(key)
        if doc:
            out.append(Finding("error", f"{doc['errorType']}: {doc['errorMessage']}"))
    if report.get("init_error"):
        return out
    if report.get("threads"):
        out.append(
            Finding(
                "error",
                "threads still run at snapshot time (they do not survive a restore): "
                f"{', '.join(report['threads'])}; stop them in a before-snapshot hook",
            )
        )
    reopen = "" if report.get("after_hooks") else " (no after-restore hook is registered)"
    for sock in report.get("sockets", []):
        out.append(
            Finding(
                "warning",
                f"socket open at snapshot time ({sock}): every restored environment shares "
                f"this one connection; reopen it in an after-restore hook{reopen}",
            )
        )
    for path in report.get("files", []):
        out.append(
            Finding(
                "warning",
                f"file open at snapshot time ({path}): restored environments share its "
                "offset; reopen it in an after-restore hook if they read or write it",
            )
        )
    return out


def check(
    path: Path,
    handler: str,
    runtime: str,
    interpreters: Mapping[str, str] | None = None,
    timeout_s: float = 130.0,
    sdk_cache: Path | None = None,
    environment: Mapping[str, str] | None = None,
) -> tuple[list[Finding], str]:
    """Probe the code at ``path``; returns (findings, the function's output).  With
    ``sdk_cache``, its init finds the AWS SDK as a deployed function's does;
    ``environment`` adds variables (the region and the SDK's endpoint)."""
    from ..execution import sdk
    from ..execution.runtimefiles import install_runtime

    validation.check_snap_start(runtime, "PublishedVersions")
    interpreter = RuntimeResolver(interpreters or {}).resolve(runtime)
    with tempfile.TemporaryDirectory(prefix="snaplambda-check-") as tmp:
        runtime_dir = Path(tmp, "runtime")
        install_runtime(runtime_dir)
        if sdk_cache is not None:
            sdk.provide(runtime_dir, sdk_cache, runtimes=(runtime,))
        out_path = Path(tmp, "report.json")
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "TMPDIR": tmp,
            "LAMBDA_TASK_ROOT": str(path.resolve()),
            "LAMBDA_RUNTIME_DIR": str(runtime_dir),
            "_HANDLER": handler,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
            "AWS_LAMBDA_FUNCTION_NAME": path.resolve().name,
            "AWS_LAMBDA_FUNCTION_VERSION": "1",
            **(environment or {}),
            "_SNAPLAMBDA_CHECK_OUT": str(out_path),
        }
        proc = subprocess.run(
            [interpreter.path, "-S", "-c", _PROBE.format(dir=str(runtime_dir))],
            env=env,
            cwd=path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
        output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        if not out_path.exists():
            reason = f"the probe exited with status {proc.returncode} before reporting"
            return [Finding("error", reason)], output
        report = json.loads(out_path.read_text())
    hooked = bool(report.get("after_hooks"))  # registered by init, wherever from
    static = [Finding("warning", str(hazard)) for hazard in scan_package(path, hooked)]
    return findings(report) + static, output
