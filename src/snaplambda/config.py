"""One typed, frozen configuration object for a platform process.

Explicit arguments (the CLI) win over environment variables, which win over the
defaults defined here and only here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

MemoryLimiter = Literal["auto", "cgroup", "rlimit", "off"]
CpuLimiter = Literal["shares", "quota", "off"]
KeepAlivePolicyName = Literal["fixed", "adaptive"]

DEFAULT_PORT = 9070


@dataclass(frozen=True)
class Config:
    """Settings of one platform process.

    >>> Config(state_dir=Path("/tmp/sl")).endpoint
    'http://127.0.0.1:9070'
    """

    state_dir: Path = Path(".snaplambda")
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    region: str = "us-east-1"
    account_id: str = "123456789012"
    #: Idle time after which an on-demand environment is shut down (scale to zero).
    keep_alive_s: float = 600.0
    #: ``fixed`` keeps idle environments ``keep_alive_s``; ``adaptive`` learns each
    #: function's idle times (hybrid histogram) and falls back to ``keep_alive_s``.
    keep_alive_policy: KeepAlivePolicyName = "fixed"
    #: The adaptive policy's histogram bucket (240 of them): a minute, as in the
    #: paper; smaller for experiments and tests.
    keep_alive_bucket_s: float = 60.0
    #: Platform-wide limit on concurrent executions (AWS's default account limit).
    max_concurrency: int = 1000
    #: Limit for on-demand init (the function's own import time), as on Lambda.
    init_timeout_s: float = 10.0
    memory_limiter: MemoryLimiter = "auto"
    #: ``shares`` weights CPU by memory (1,769 MB = one vCPU's weight) but lets an idle
    #: machine's CPU be used; ``quota`` caps it hard, as Lambda does.
    cpu_limiter: CpuLimiter = "shares"
    #: Explicit interpreters per runtime, e.g. {"python3.12": "/opt/py312/bin/python3"}.
    interpreters: Mapping[str, str] = field(default_factory=dict)
    #: Bytes of one invocation's log output kept; the rest is counted and dropped.
    max_log_bytes_per_invoke: int = 1 << 20
    #: Waits before the retries of an asynchronous event whose function failed
    #: (Lambda waits about one, then two minutes); the last repeats if needed.
    async_retry_delays_s: tuple[float, ...] = (60.0, 120.0)
    #: First and largest wait before retrying a throttled asynchronous event
    #: (doubling in between).
    async_throttle_backoff_s: tuple[float, float] = (1.0, 300.0)
    #: A SnapStart snapshot whose version is not invoked for this long is dropped
    #: (its holder stopped) and rebuilt on the next cold start: 14 days, as on Lambda.
    snapshot_ttl_s: float = 14 * 24 * 3600.0
    #: Beyond Lambda: modules that restored environments import only after their
    #: restore (lazily, on a first request) are imported into the snapshot, and the
    #: pages a first request writes are copied ahead in the spare, so later restores
    #: have both already.
    snapstart_preload: bool = True
    #: Beyond Lambda: the snapshot's code, classes and constant values are made
    #: immortal (CPython 3.12+), so restored environments do not copy the pages
    #: they lie on just to count references to them (see runtime/immortal.py).
    snapstart_immortal: bool = True
    #: How often Application Auto Scaling evaluates scheduled actions and
    #: target-tracking policies of provisioned concurrency (smaller in tests).
    autoscaling_period_s: float = 60.0
    #: An OpenTelemetry collector (OTLP/HTTP) that stored traces are exported to,
    #: e.g. ``http://127.0.0.1:4318``; ``None``: traces stay local.
    otlp_endpoint: str | None = None
    #: Size cap of logs.db in MiB: past it, the oldest log events are deleted.
    log_max_mb: float = 1024.0
    #: Offer functions the AWS SDK (boto3, botocore and their dependencies) on every
    #: python runtime, as Lambda does; off, ``import boto3`` finds only a copy the
    #: function or its layers ship.
    sdk: bool = True
    #: Where installed SDK releases are kept, one directory per release, shared by
    #: every platform of this user (``$XDG_CACHE_HOME/snaplambda/sdk`` by default).
    sdk_cache_dir: Path = field(default_factory=lambda: default_sdk_cache())

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.state_dir / "snaplambda.db"

    @property
    def logs_db_path(self) -> Path:
        return self.state_dir / "logs.db"

    @property
    def events_db_path(self) -> Path:
        return self.state_dir / "events.db"

    @property
    def code_dir(self) -> Path:
        return self.state_dir / "code"

    @property
    def runtime_dir(self) -> Path:
        return self.state_dir / "runtime"

    @property
    def scratch_dir(self) -> Path:
        return self.state_dir / "tmp"

    def with_overrides(self, **changes: object) -> Config:
        """A copy with the given fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]


def default_sdk_cache(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/snaplambda/sdk``, else ``~/.cache/snaplambda/sdk``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "snaplambda" / "sdk"


def _floats(value: str) -> tuple[float, ...]:
    """``"0.2,0.4"`` as ``(0.2, 0.4)``."""
    return tuple(float(part) for part in value.split(",") if part.strip())


def _flag(name: str, env: Mapping[str, str]) -> bool:
    value = env[name].strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{name}={env[name]!r}: expected 1/true/yes/on or 0/false/no/off")


def from_environ(environ: Mapping[str, str] | None = None) -> Config:
    """Defaults overlaid with ``SNAPLAMBDA_*`` variables."""
    env = os.environ if environ is None else environ
    cfg = Config()
    changes: dict[str, object] = {}
    if "SNAPLAMBDA_STATE_DIR" in env:
        changes["state_dir"] = Path(env["SNAPLAMBDA_STATE_DIR"])
    if "SNAPLAMBDA_PORT" in env:
        changes["port"] = int(env["SNAPLAMBDA_PORT"])
    if "SNAPLAMBDA_KEEP_ALIVE" in env:
        changes["keep_alive_s"] = float(env["SNAPLAMBDA_KEEP_ALIVE"])
    if "SNAPLAMBDA_KEEP_ALIVE_POLICY" in env:
        changes["keep_alive_policy"] = env["SNAPLAMBDA_KEEP_ALIVE_POLICY"]
    if "SNAPLAMBDA_KEEP_ALIVE_BUCKET" in env:
        changes["keep_alive_bucket_s"] = float(env["SNAPLAMBDA_KEEP_ALIVE_BUCKET"])
    if "SNAPLAMBDA_MAX_CONCURRENCY" in env:
        changes["max_concurrency"] = int(env["SNAPLAMBDA_MAX_CONCURRENCY"])
    if "SNAPLAMBDA_INIT_TIMEOUT" in env:
        changes["init_timeout_s"] = float(env["SNAPLAMBDA_INIT_TIMEOUT"])
    if "SNAPLAMBDA_MEMORY_LIMITER" in env:
        changes["memory_limiter"] = env["SNAPLAMBDA_MEMORY_LIMITER"]
    if "SNAPLAMBDA_ASYNC_RETRY_DELAYS" in env:
        changes["async_retry_delays_s"] = _floats(env["SNAPLAMBDA_ASYNC_RETRY_DELAYS"])
    if "SNAPLAMBDA_ASYNC_THROTTLE_BACKOFF" in env:
        first, largest = _floats(env["SNAPLAMBDA_ASYNC_THROTTLE_BACKOFF"])
        changes["async_throttle_backoff_s"] = (first, largest)
    if "SNAPLAMBDA_SNAPSHOT_TTL" in env:
        changes["snapshot_ttl_s"] = float(env["SNAPLAMBDA_SNAPSHOT_TTL"])
    if "SNAPLAMBDA_SNAPSTART_PRELOAD" in env:
        changes["snapstart_preload"] = _flag("SNAPLAMBDA_SNAPSTART_PRELOAD", env)
    if "SNAPLAMBDA_SNAPSTART_IMMORTAL" in env:
        changes["snapstart_immortal"] = _flag("SNAPLAMBDA_SNAPSTART_IMMORTAL", env)
    if "SNAPLAMBDA_AUTOSCALING_PERIOD" in env:
        changes["autoscaling_period_s"] = float(env["SNAPLAMBDA_AUTOSCALING_PERIOD"])
    if env.get("SNAPLAMBDA_OTLP_ENDPOINT"):
        changes["otlp_endpoint"] = env["SNAPLAMBDA_OTLP_ENDPOINT"]
    if "SNAPLAMBDA_LOG_MAX_MB" in env:
        changes["log_max_mb"] = float(env["SNAPLAMBDA_LOG_MAX_MB"])
    if "SNAPLAMBDA_SDK" in env:
        changes["sdk"] = _flag("SNAPLAMBDA_SDK", env)
    changes["sdk_cache_dir"] = (
        Path(env["SNAPLAMBDA_SDK_CACHE"])
        if env.get("SNAPLAMBDA_SDK_CACHE")
        else default_sdk_cache(env)
    )
    interpreters = {
        f"python3.{key.rsplit('_', 1)[-1]}": value
        for key, value in env.items()
        if key.startswith("SNAPLAMBDA_PYTHON3_")
    }
    if interpreters:
        changes["interpreters"] = interpreters
    return cfg.with_overrides(**changes)
