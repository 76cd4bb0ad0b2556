"""One typed, frozen configuration object for a platform process.

Explicit arguments (the CLI) win over environment variables, which win over the
defaults defined here and only here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

MemoryLimiter = Literal["auto", "cgroup", "rlimit", "off"]
CpuLimiter = Literal["shares", "quota", "off"]
KeepAlivePolicyName = Literal["fixed", "adaptive"]
SandboxMode = Literal["auto", "bwrap", "off"]
AuthMode = Literal["on", "off"]

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
    #: ``auto`` runs every environment in a bubblewrap sandbox where bubblewrap works
    #: here (and says why not otherwise); ``bwrap`` refuses to start without it;
    #: ``off`` runs environments as plain child processes (docs/security.md).
    sandbox: SandboxMode = "auto"
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
    #: Beyond AWS, for tests and demos: the seconds a minute of a ``rate()`` schedule
    #: (EventBridge rules, Scheduler) lasts, so ``rate(1 minute)`` can fire every
    #: second.  ``cron()`` and ``at()`` keep the wall clock.
    schedule_minute_s: float = 60.0
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
    #: A client's request line and headers must arrive within this time, and its
    #: body within ``http_body_timeout_s`` after them (slow clients are cut, 408).
    http_head_timeout_s: float = 10.0
    http_body_timeout_s: float = 120.0
    #: ``on``: every API request must carry a SigV4 signature of a key in
    #: ``<state>/credentials`` or ``keys.json``, and its policy must allow it;
    #: ``off`` (single-user laptops) serves everyone as the account root.
    auth: AuthMode = "on"

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


def _pair(value: str) -> tuple[float, float]:
    first, largest = _floats(value)
    return first, largest


def _flag(value: str) -> bool:
    value = value.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected 1/true/yes/on or 0/false/no/off")


def _on_off(value: str) -> str:
    value = value.strip().lower()
    if value not in ("on", "off"):
        raise ValueError("expected on or off")
    return value


def _account_id(value: str) -> str:
    if not (len(value) == 12 and value.isascii() and value.isdigit()):
        raise ValueError("expected 12 digits")
    return value


def _text_or_unset(value: str) -> str | None:
    return value or None


#: Each ``SNAPLAMBDA_*`` variable: the field it sets and how its text is read.
_VARIABLES: dict[str, tuple[str, Callable[[str], object]]] = {
    "SNAPLAMBDA_STATE_DIR": ("state_dir", Path),
    "SNAPLAMBDA_HOST": ("host", str),
    "SNAPLAMBDA_PORT": ("port", int),
    "SNAPLAMBDA_ACCOUNT_ID": ("account_id", _account_id),
    "SNAPLAMBDA_KEEP_ALIVE": ("keep_alive_s", float),
    "SNAPLAMBDA_KEEP_ALIVE_POLICY": ("keep_alive_policy", str),
    "SNAPLAMBDA_KEEP_ALIVE_BUCKET": ("keep_alive_bucket_s", float),
    "SNAPLAMBDA_MAX_CONCURRENCY": ("max_concurrency", int),
    "SNAPLAMBDA_INIT_TIMEOUT": ("init_timeout_s", float),
    "SNAPLAMBDA_MEMORY_LIMITER": ("memory_limiter", str),
    "SNAPLAMBDA_CPU_LIMITER": ("cpu_limiter", str),
    "SNAPLAMBDA_SANDBOX": ("sandbox", str),
    "SNAPLAMBDA_ASYNC_RETRY_DELAYS": ("async_retry_delays_s", _floats),
    "SNAPLAMBDA_ASYNC_THROTTLE_BACKOFF": ("async_throttle_backoff_s", _pair),
    "SNAPLAMBDA_SNAPSHOT_TTL": ("snapshot_ttl_s", float),
    "SNAPLAMBDA_SNAPSTART_PRELOAD": ("snapstart_preload", _flag),
    "SNAPLAMBDA_SNAPSTART_IMMORTAL": ("snapstart_immortal", _flag),
    "SNAPLAMBDA_AUTOSCALING_PERIOD": ("autoscaling_period_s", float),
    "SNAPLAMBDA_SCHEDULE_MINUTE": ("schedule_minute_s", float),
    "SNAPLAMBDA_OTLP_ENDPOINT": ("otlp_endpoint", _text_or_unset),
    "SNAPLAMBDA_LOG_MAX_MB": ("log_max_mb", float),
    "SNAPLAMBDA_SDK": ("sdk", _flag),
    "SNAPLAMBDA_HTTP_HEAD_TIMEOUT": ("http_head_timeout_s", float),
    "SNAPLAMBDA_HTTP_BODY_TIMEOUT": ("http_body_timeout_s", float),
    "SNAPLAMBDA_AUTH": ("auth", _on_off),
}


def from_environ(environ: Mapping[str, str] | None = None) -> Config:
    """Defaults overlaid with ``SNAPLAMBDA_*`` variables (see ``_VARIABLES``, and
    ``SNAPLAMBDA_PYTHON3_<minor>`` for an interpreter path per runtime)."""
    env = os.environ if environ is None else environ
    changes: dict[str, object] = {}
    for name, (attribute, parse) in _VARIABLES.items():
        if name in env:
            try:
                changes[attribute] = parse(env[name])
            except ValueError as exc:
                raise ValueError(f"{name}={env[name]!r}: {exc}") from exc
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
    return Config().with_overrides(**changes)
