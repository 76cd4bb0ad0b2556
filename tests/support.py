"""Test support: a real ``snaplambda serve`` process on a loopback port, and boto3
clients pointed at it."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config as BotoConfig

from snaplambda.execution.errors import RuntimeUnavailable
from snaplambda.execution.runtimes import RuntimeResolver

FUNCTIONS = Path(__file__).parent / "functions"


def interpreter_for(runtime: str) -> str:
    """The interpreter the platform runs ``runtime`` with, found as the platform finds
    it; the calling test is skipped where this machine has none."""
    try:
        return RuntimeResolver({}).resolve(runtime).path
    except RuntimeUnavailable as exc:
        pytest.skip(f"{runtime} is not installed here: {exc}")


def needs_runtime(runtime: str) -> pytest.MarkDecorator:
    """A mark that skips tests needing ``runtime`` where this machine has none."""
    try:
        RuntimeResolver({}).resolve(runtime)
    except RuntimeUnavailable as exc:
        return pytest.mark.skipif(True, reason=f"{runtime} is not installed here: {exc}")
    return pytest.mark.skipif(False, reason="")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def zip_files(files: dict[str, str]) -> bytes:
    """A deployment zip from {path: source}."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in files.items():
            archive.writestr(name, source)
    return buf.getvalue()


def zip_function(case: str) -> bytes:
    """The deployment zip of ``tests/functions/<case>``."""
    from snaplambda.packaging.zipdir import zip_directory

    return zip_directory(FUNCTIONS / case)


class Server:
    """A ``snaplambda serve`` subprocess."""

    def __init__(self, state_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.state_dir = state_dir
        self.port = free_port()
        self.args = args
        # The suite's functions write markers to the test's own directories, which the
        # sandbox hides; it is on where a test (or SNAPLAMBDA_SANDBOX) asks for it.
        # Authentication likewise: tests/functional/test_auth.py starts servers with
        # it on (and every client below signs with the key such a server makes).
        self.env = {
            "SNAPLAMBDA_SANDBOX": "off",
            "SNAPLAMBDA_AUTH": "off",
            **os.environ,
            **(env or {}),
        }
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = state_dir.parent / f"serve-{self.port}.log"

    def start(self, timeout: float = 30.0) -> Server:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "snaplambda",
                "serve",
                "--port",
                str(self.port),
                "--state-dir",
                str(self.state_dir),
                *self.args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited early:\n{self.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.endpoint + "/health", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"serve did not come up:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def health(self) -> dict[str, Any]:
        return httpx.get(self.endpoint + "/health", timeout=5).json()  # type: ignore[no-any-return]

    def stop(self, sig: int = signal.SIGINT) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    @property
    def credentials_file(self) -> Path:
        """The credentials file the server made (with auth on)."""
        return self.state_dir / "credentials"

    def root_key(self) -> tuple[str, str]:
        """The server's root key pair, or dummy keys when it made none (auth off)."""
        import configparser

        if not self.credentials_file.exists():
            return "test", "test"
        parser = configparser.ConfigParser()
        parser.read(self.credentials_file)
        section = parser["snaplambda"]
        return section["aws_access_key_id"], section["aws_secret_access_key"]

    def aws_env(self) -> dict[str, str]:
        """Variables for the AWS CLI or the snaplambda CLI to sign as the root key."""
        key_id, secret = self.root_key()
        return {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}

    def client(
        self,
        service: str = "lambda",
        read_timeout: float = 120,
        validate: bool = True,
        key: tuple[str, str] | None = None,
    ) -> Any:
        """A boto3 client signing with ``key`` (default: the server's root key);
        ``validate=False`` lets out-of-range values reach the server, which must
        refuse them itself."""
        key_id, secret = key or self.root_key()
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=BotoConfig(
                retries={"total_max_attempts": 1},
                read_timeout=read_timeout,
                connect_timeout=5,
                parameter_validation=validate,
            ),
        )


def create(
    lam: Any,
    name: str,
    code: bytes,
    handler: str = "app.handler",
    runtime: str = "python3.11",
    **config: Any,
) -> dict[str, Any]:
    """CreateFunction through boto3, replacing any function of that name."""
    with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
        lam.delete_function(FunctionName=name)
    return lam.create_function(  # type: ignore[no-any-return]
        FunctionName=name,
        Runtime=runtime,
        Role="arn:aws:iam::123456789012:role/test",
        Handler=handler,
        Code={"ZipFile": code},
        **config,
    )


def invoke(lam: Any, name: str, payload: Any = None, **kwargs: Any) -> dict[str, Any]:
    """Invoke with the log tail; returns the response with ``Body`` (parsed JSON) and
    ``Log`` (decoded tail) added."""
    import base64
    import json

    response = lam.invoke(
        FunctionName=name,
        Payload=json.dumps(payload if payload is not None else {}).encode(),
        LogType="Tail",
        **kwargs,
    )
    raw = response["Payload"].read()
    response["Raw"] = raw
    response["Body"] = json.loads(raw) if raw else None
    response["Log"] = base64.b64decode(response.get("LogResult", "")).decode()
    return response


def report_fields(log: str) -> dict[str, str]:
    for line in log.splitlines():
        if line.startswith("REPORT "):
            return dict(p.split(": ", 1) for p in line.split("\t") if ": " in p)
    return {}
