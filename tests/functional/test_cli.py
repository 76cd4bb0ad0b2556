"""The ``snaplambda`` command, run as a real subprocess against a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support import FUNCTIONS, Server, free_port


def cli(
    *args: str, timeout: float = 120, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``snaplambda ARGS`` in a subprocess with stdout and stderr captured (pipes, not
    a terminal), in an environment without COLUMNS so rich uses its 80 columns."""
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "snaplambda", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        env={**environ, **(env or {})},
    )


def test_deploy_directory_then_invoke_and_read_logs(server: Server) -> None:
    ep = ["--endpoint", server.endpoint]
    deployed = cli(
        "deploy",
        str(FUNCTIONS / "echo"),
        "--name",
        "cli-fn",
        "--memory",
        "256",
        "--env",
        "GREETING=hi",
        *ep,
    )
    assert deployed.returncode == 0, deployed.stderr
    assert "deployed cli-fn" in deployed.stdout
    invoked = cli("invoke", "cli-fn", "--payload", '{"x": 1}', *ep)
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(invoked.stdout) == {"version": "v1", "greeting": "hi", "event": {"x": 1}}
    assert "REPORT RequestId:" in invoked.stderr
    # Deploying the same directory again updates in place.
    again = cli("deploy", str(FUNCTIONS / "echo"), "--name", "cli-fn", "--timeout", "4", *ep)
    assert again.returncode == 0, again.stderr
    logs = cli("logs", "cli-fn", "--since", "10m", *ep)
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout.count("START RequestId:") >= 1 and "REPORT RequestId:" in logs.stdout
    filtered = cli("logs", "cli-fn", "--filter", "END RequestId", *ep)
    assert "END RequestId" in filtered.stdout and "START RequestId" not in filtered.stdout


def test_cli_errors_are_clear(server: Server, tmp_path: Path) -> None:
    ep = ["--endpoint", server.endpoint]
    missing = cli("deploy", str(tmp_path / "nope"), "--name", "x", *ep)
    assert missing.returncode == 1 and "No directory or zip file" in missing.stderr
    bad_memory = cli("deploy", str(FUNCTIONS / "echo"), "--name", "cli-bad", "--memory", "1", *ep)
    assert bad_memory.returncode == 1
    assert "memorySize" in bad_memory.stderr and "128-10240" in bad_memory.stderr
    unknown = cli("invoke", "no-such-function", *ep)
    assert unknown.returncode == 1 and "ResourceNotFoundException" in unknown.stderr
    down = cli("invoke", "x", "--endpoint", f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 1 and "cannot reach" in down.stderr


def test_function_error_exits_non_zero(server: Server, lam: Any) -> None:
    ep = ["--endpoint", server.endpoint]
    assert cli("deploy", str(FUNCTIONS / "basic"), "--name", "cli-err", *ep).returncode == 0
    out = cli("invoke", "cli-err", "--payload", '{"action": "raise"}', *ep)
    assert out.returncode == 1
    assert json.loads(out.stdout)["errorType"] == "ValueError"


def test_demo_once_shows_cold_and_warm(tmp_path: Path) -> None:
    out = cli("demo", "--once", "--port", str(free_port()), "--state-dir", str(tmp_path / "s"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "START RequestId:" in out.stdout and "END RequestId:" in out.stdout
    assert "Init Duration:" in out.stdout
    assert "Cold versus warm" in out.stdout
    # The example itself ran (its code was found and imported).
    assert "Status: error" not in out.stdout and "Error Type" not in out.stdout
    assert out.stdout.count("warm") >= 5
