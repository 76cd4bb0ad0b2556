"""The edit-and-run loop: ``snaplambda deploy DIR --watch`` redeploys on save."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support import FUNCTIONS, Server, invoke


def _wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached")


def test_saving_a_file_redeploys_latest(server: Server, lam: Any, tmp_path: Path) -> None:
    code = tmp_path / "watched"
    shutil.copytree(FUNCTIONS / "echo", code)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "snaplambda",
            "deploy",
            str(code),
            "--name",
            "watched",
            "--watch",
            "--endpoint",
            server.endpoint,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(lambda: _exists(lam, "watched"))
        assert invoke(lam, "watched")["Body"]["version"] == "v1"
        app = code / "app.py"
        source = app.read_text()
        app.write_text(source.replace('"v1"', '"v2"'))
        _wait_for(lambda: invoke(lam, "watched")["Body"]["version"] == "v2")
        # A save with a syntax error deploys and fails at init; the loop goes on.
        app.write_text(source + "\ndef broken(:\n")
        _wait_for(
            lambda: invoke(lam, "watched")["Body"].get("errorType") == "Runtime.UserCodeSyntaxError"
        )
        app.write_text(source.replace('"v1"', '"v3"'))
        _wait_for(lambda: invoke(lam, "watched")["Body"].get("version") == "v3")
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert "watching" in out and out.count("redeployed watched") >= 3


def _exists(lam: Any, name: str) -> bool:
    try:
        lam.get_function(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        return False
    return True
