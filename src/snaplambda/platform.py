"""The platform: one object that owns the control plane, code store, environments
and logs of a process, with an explicit start and stop.  The API and the CLI's
embedded mode both drive it."""

from __future__ import annotations

import base64
import binascii
import contextlib
import random
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from . import runtime as runtime_pkg
from .config import Config
from .control.aliases import AliasService
from .control.arns import FunctionRef
from .control.errors import InvalidParameterValue
from .control.functions import FunctionService
from .control.limits import SYNC_PAYLOAD_MAX_BYTES, UNZIPPED_MAX_BYTES, ZIP_MAX_BYTES
from .control.models import LATEST, FunctionConfig
from .control.store import SqliteStore
from .control.versions import VersionService
from .errors import AwsError
from .execution.environment import InvokeRequest, InvokeResult
from .execution.limits import make_limiter
from .execution.pool import EnvironmentPool
from .execution.runtimes import RuntimeResolver
from .execution.scheduler import FixedKeepAlive
from .execution.spawn import FreshProcessSpawner
from .observability.logstore import LogStore
from .observability.tracing import trace_header
from .packaging.codestore import CodeStore


class PayloadError(AwsError):
    """The request payload is not acceptable (size or JSON)."""

    def __init__(self, aws_type: str, status: int, message: str) -> None:
        super().__init__(message, aws_type, status)


@dataclass(frozen=True, slots=True)
class Invocation:
    """The outcome of one synchronous invoke, as the API returns it."""

    result: InvokeResult
    executed_version: str
    cold: bool
    request_id: str


def _install_runtime(runtime_dir: Path) -> None:
    """Expose the stdlib-only runtime package to function interpreters as the
    top-level ``snaplambda_runtime`` package (a symlink, so it is never stale)."""
    runtime_dir.mkdir(parents=True, exist_ok=True)
    link = runtime_dir / "snaplambda_runtime"
    source = Path(runtime_pkg.__file__).resolve().parent
    if link.is_symlink() and link.resolve() == source:
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link)
    link.symlink_to(source, target_is_directory=True)


def parse_client_context(value: str | None) -> dict[str, Any] | None:
    """Decode ``X-Amz-Client-Context`` (base64 JSON)."""
    if not value:
        return None
    try:
        decoded = orjson.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise InvalidParameterValue(
            f"X-Amz-Client-Context must be base64-encoded JSON: {exc}"
        ) from exc
    if not isinstance(decoded, dict):
        raise InvalidParameterValue("X-Amz-Client-Context must encode a JSON object")
    return decoded


class Platform:
    """Composition root of a snaplambda process."""

    def __init__(self, config: Config) -> None:
        self.config = config
        config.state_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(config.scratch_dir, ignore_errors=True)
        config.scratch_dir.mkdir(parents=True)
        _install_runtime(config.runtime_dir)
        self.store = SqliteStore(config.db_path)
        self.code = CodeStore(config.code_dir, ZIP_MAX_BYTES, UNZIPPED_MAX_BYTES)
        self.functions = FunctionService(self.store, self.code, config.region, config.account_id)
        self.versions = VersionService(self.store, self.functions)
        self.aliases = AliasService(self.store, self.versions)
        self._random = random.Random()
        self.logs = LogStore(config.logs_db_path)
        self.limiter = make_limiter(config.memory_limiter, config.cpu_limiter)
        self.resolver = RuntimeResolver(config.interpreters)
        self.pool = EnvironmentPool(
            config,
            self.resolver,
            self.limiter,
            FreshProcessSpawner(),
            FixedKeepAlive(config.keep_alive_s),
            self.logs.append,
        )
        self.functions.subscribe(self._on_function_change)
        self.versions.subscribe(self.pool.retire)
        for cfg in self.functions.list():
            reserved = self.functions.reserved_concurrency(cfg.name)
            if reserved is not None:
                self.pool.set_reserved(cfg.name, reserved)

    def _on_function_change(self, cfg: FunctionConfig | None, name: str) -> None:
        if cfg is not None:
            # Only $LATEST changes: published versions' environments stay warm.
            self.pool.retire(name, LATEST)
            return
        self.pool.retire(name)
        self.pool.set_reserved(name, None)

    async def close(self) -> None:
        """Stop all environments, flush logs, release cgroups."""
        await self.pool.close()
        self.logs.close()
        with contextlib.suppress(Exception):
            self.store.close()

    def resolve(self, ref: FunctionRef) -> FunctionConfig:
        """The configuration an invoke of ``ref`` runs: $LATEST, a version, or an
        alias's version (chosen at random per invoke when the alias routes)."""
        return self.aliases.resolve(ref.name, ref.qualifier, self._random.random)

    @staticmethod
    def check_payload(payload: bytes) -> bytes:
        """Enforce the 6 MB limit and that the payload is JSON; empty means ``{}``."""
        if len(payload) > SYNC_PAYLOAD_MAX_BYTES:
            raise PayloadError(
                "RequestEntityTooLargeException",
                413,
                f"Request must be smaller than {SYNC_PAYLOAD_MAX_BYTES} bytes for the "
                "InvokeFunction operation",
            )
        if not payload.strip():
            return b"{}"
        try:
            orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise PayloadError(
                "InvalidRequestContentException",
                400,
                f"Could not parse request body into json: {exc}",
            ) from exc
        return payload

    async def invoke(
        self,
        ref: FunctionRef,
        payload: bytes,
        client_context: str | None = None,
        trace: str | None = None,
    ) -> Invocation:
        """Synchronous invoke (RequestResponse)."""
        cfg = self.resolve(ref)
        payload = self.check_payload(payload)
        request_id = str(uuid.uuid4())
        request = InvokeRequest(
            request_id=request_id,
            payload=payload,
            invoked_arn=cfg.arn(self.config.region, self.config.account_id)
            + (f":{ref.qualifier}" if ref.qualifier else ""),
            trace_id=trace_header(trace),
            client_context=parse_client_context(client_context),
        )
        result, cold = await self.pool.invoke(cfg, request)
        return Invocation(result, cfg.version, cold, request_id)
