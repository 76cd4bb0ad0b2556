"""The control plane through boto3, as a user would drive it: create functions and
force cold starts.  Never used on a measured hot path except the boto3 latency figure."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config as BotoConfig  # type: ignore[import-untyped]

ROLE = "arn:aws:iam::123456789012:role/bench"


class LambdaControl:
    """A boto3 Lambda client pointed at the server under test."""

    def __init__(self, endpoint: str) -> None:
        self._lam: Any = boto3.client(
            "lambda",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            config=BotoConfig(
                retries={"total_max_attempts": 1}, read_timeout=120, connect_timeout=5
            ),
        )

    def deploy(
        self,
        name: str,
        code: bytes,
        memory_mb: int = 128,
        timeout_s: int = 30,
        runtime: str = "python3.11",
        snap_start: bool = False,
        handler: str = "app.handler",
        variables: dict[str, str] | None = None,
    ) -> None:
        """Create ``name`` from a zip (replacing any function of that name)."""
        with contextlib.suppress(self._lam.exceptions.ResourceNotFoundException):
            self._lam.delete_function(FunctionName=name)
        extra: dict[str, Any] = {}
        if snap_start:
            extra["SnapStart"] = {"ApplyOn": "PublishedVersions"}
        if variables:
            extra["Environment"] = {"Variables": variables}
        self._lam.create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=ROLE,
            Handler=handler,
            Code={"ZipFile": code},
            MemorySize=memory_mb,
            Timeout=timeout_s,
            **extra,
        )

    def publish_and_wait(self, name: str, timeout_s: float = 180.0) -> str:
        """Publish a version of ``name`` and wait until it is Active (its SnapStart
        snapshot built); returns the version number."""
        version = str(self._lam.publish_version(FunctionName=name)["Version"])
        deadline = time.monotonic() + timeout_s
        while True:
            cfg = self._lam.get_function_configuration(FunctionName=name, Qualifier=version)
            if cfg["State"] == "Active":
                return version
            if cfg["State"] == "Failed" or time.monotonic() > deadline:
                raise RuntimeError(f"{name}:{version} is {cfg['State']}: {cfg.get('StateReason')}")
            time.sleep(0.05)  # polling: the API has no wait for a state change

    def retire_environments(self, name: str, generation: int) -> None:
        """Change the configuration, so the platform retires every environment of
        ``name`` and the next invoke is a cold start (as on Lambda)."""
        self._lam.update_function_configuration(
            FunctionName=name, Environment={"Variables": {"BENCH_GENERATION": str(generation)}}
        )

    def timed_invoke(self, name: str, payload: Any) -> float:
        """One boto3 Invoke; its wall time in milliseconds (the payload is read)."""
        body = json.dumps(payload).encode()
        start = time.perf_counter_ns()
        response = self._lam.invoke(FunctionName=name, Payload=body)
        response["Payload"].read()
        elapsed_ms = (time.perf_counter_ns() - start) / 1e6
        if response["StatusCode"] != 200 or "FunctionError" in response:
            raise RuntimeError(f"boto3 invoke of {name} failed: {response}")
        return elapsed_ms
