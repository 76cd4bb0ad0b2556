"""The platform under test: a ``snaplambda serve`` subprocess on a free loopback port
with its own state directory, started and stopped by the suite."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .client import Connection, ProtocolError, build_request

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class ServerError(Exception):
    """The server did not start, or answered something unexpected."""


class ServeProcess:
    """One ``snaplambda serve``; use as a context manager."""

    def __init__(
        self,
        state_dir: Path,
        log_path: Path,
        env: dict[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.state_dir = state_dir
        self.log_path = log_path
        self.port = free_port()
        self.endpoint = f"http://{HOST}:{self.port}"
        # The bench's own client sends raw unsigned HTTP: authentication is off unless
        # a bench asks for it (bench.auth compares both).  The sandbox is off too: the
        # suite finds environments as the server's children and reads their /proc
        # entries, which the sandbox puts out of its reach; bench.sandbox measures
        # what the sandbox costs, in one run against the same code without it.
        self._env = {
            "SNAPLAMBDA_AUTH": "off",
            "SNAPLAMBDA_SANDBOX": "off",
            **os.environ,
            **(env or {}),
        }
        self._python = python
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise ServerError("server not started")
        return self._proc.pid

    def start(self, timeout_s: float = 30.0) -> None:
        argv = [
            self._python, "-m", "snaplambda", "serve",
            "--host", HOST, "--port", str(self.port), "--state-dir", str(self.state_dir),
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self._env
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ServerError(f"serve exited with {self._proc.returncode}:\n{self.output()}")
            try:
                self.health()
                return
            except (OSError, ProtocolError, ServerError):
                # Polling: uvicorn signals readiness only by accepting connections.
                time.sleep(0.05)
        self.stop()
        raise ServerError(f"serve did not answer /health within {timeout_s} s:\n{self.output()}")

    def health(self) -> dict[str, Any]:
        with Connection(HOST, self.port, timeout=5) as conn:
            response = conn.roundtrip(build_request("GET", "/health"))
        if response.status != 200:
            raise ServerError(f"/health answered {response.status}")
        data: dict[str, Any] = json.loads(response.body)
        return data

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout_s: float = 20.0) -> None:
        """Ctrl-C the server (it stops its environments), then kill if it hangs."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> ServeProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
