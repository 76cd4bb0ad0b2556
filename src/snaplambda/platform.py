"""The platform: one object that owns the control plane, code store, environments
and logs of a process, with an explicit start and stop.  The API and the CLI's
embedded mode both drive it."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import platform as host
import random
import shutil
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from .asyncinvoke.eventconfig import EventInvokeConfigs
from .asyncinvoke.policy import ASYNC_PAYLOAD_MAX_BYTES
from .asyncinvoke.queue import EventQueue
from .asyncinvoke.worker import AsyncWorker, Attempt
from .auth.keys import KeyStore
from .auth.roles import RolePolicies
from .auth.setup import open_key_store, role_policies
from .capacity.autoscaling import AutoScalingController, AutoScalingService
from .capacity.provisioned import ProvisionedService
from .config import Config
from .control.aliases import AliasService
from .control.arns import FunctionRef, function_arn, parse_function_ref
from .control.codegc import CodeCollector
from .control.errors import InvalidParameterValue
from .control.functions import FunctionService
from .control.inert import host_architecture, not_enforced
from .control.layers import LayerRepository, LayerService
from .control.models import LATEST, FunctionConfig
from .control.payload import check_payload, too_large
from .control.quotas import SUPPORTED_RUNTIMES, UNZIPPED_MAX_BYTES, ZIP_MAX_BYTES
from .control.stacks import SqliteStackStore, StackService
from .control.store import SqliteStore
from .control.tags import TagService
from .control.versions import VersionService
from .eventbridge import RuleService, SchedulerService, ScheduleRunner, SqliteScheduleStore
from .execution.awsenv import credential_environment, sdk_environment
from .execution.errors import Throttled
from .execution.fleet import ProvisionedFleet
from .execution.invocation import InvokeRequest, InvokeResult
from .execution.keepalive import make_policy
from .execution.launcher import EnvironmentLauncher
from .execution.limits import make_limiter
from .execution.pool import EnvironmentPool
from .execution.runtimefiles import install_runtime, runtime_sources
from .execution.runtimes import RuntimeResolver
from .execution.sandbox import detect as detect_sandbox
from .execution.sdk import SdkStatus, compile_for, provide
from .execution.spawn import FreshProcessSpawner
from .execution.specs import EnvironmentSpecs
from .observability.logstore import LogStore
from .observability.metrics import MetricsStore
from .observability.otlp import OtlpExporter
from .observability.traces import TraceStore
from .observability.tracing import trace_header
from .observability.xray import DaemonProtocol, bind_daemon_socket
from .packaging.codestore import CodeStore
from .packaging.precompile import Precompiler
from .snapstart.manager import SnapshotManager


@dataclass(frozen=True, slots=True)
class Invocation:
    """The outcome of one synchronous invoke, as the API returns it."""

    result: InvokeResult
    executed_version: str
    cold: bool
    request_id: str


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
        config.state_dir.chmod(0o700)  # it holds keys, code and functions' variables
        shutil.rmtree(config.scratch_dir, ignore_errors=True)
        config.scratch_dir.mkdir(parents=True)
        install_runtime(config.runtime_dir)
        self.store = SqliteStore(config.db_path)
        self.code = CodeStore(config.code_dir, ZIP_MAX_BYTES, UNZIPPED_MAX_BYTES)
        self.layers = LayerService(
            LayerRepository(config.db_path), self.code, config.region, config.account_id
        )
        self.functions = FunctionService(
            self.store, self.code, config.region, config.account_id, self.layers
        )
        self.versions = VersionService(self.store, self.functions)
        self.aliases = AliasService(self.store, self.versions)
        self.tags = TagService(self.store, self.functions)
        self.stacks = StackService(SqliteStackStore(config.db_path))
        self._random = random.Random()
        self.logs = LogStore(config.logs_db_path, int(config.log_max_mb * 1024 * 1024))
        self.metrics = MetricsStore(config.state_dir / "metrics.db", self.logs.append)
        self.logs.observers.append(self.metrics.observe_logs)
        self.traces = TraceStore(config.state_dir / "traces.db")
        self.otlp: OtlpExporter | None = None
        if config.otlp_endpoint:
            self.otlp = OtlpExporter(config.otlp_endpoint)
            self.traces.observers.append(self.otlp.offer)
        self._xray_sock = bind_daemon_socket()
        self._xray_transport: asyncio.BaseTransport | None = None
        self.xray_address = f"127.0.0.1:{self._xray_sock.getsockname()[1]}"
        self.limiter = make_limiter(config.memory_limiter, config.cpu_limiter)
        self.sandbox, self.sandbox_mechanism = detect_sandbox(config.sandbox)
        """The environment sandbox (None when off) and what is in force, or why not."""
        self.resolver = RuntimeResolver(config.interpreters)
        self.keys: KeyStore | None = None
        """The access keys requests are checked against (``None``: auth off)."""
        self.role_policies: RolePolicies = role_policies(config.state_dir, self._current_role)
        if config.auth == "on":
            self.keys = open_key_store(config.state_dir, config.account_id, self.role_policies)
        self.specs = EnvironmentSpecs(
            self.resolver,
            code_dir=config.code_dir,
            runtime_dir=config.runtime_dir,
            scratch_dir=config.scratch_dir,
            region=config.region,
            layer_dirs=self.layers.directories,
            extra_env={
                "AWS_XRAY_DAEMON_ADDRESS": self.xray_address,
                **sdk_environment(config.host, config.port),
            },
            role_env=self._role_environment if self.keys is not None else None,
        )
        self.snapshots = SnapshotManager(
            self.specs,
            self.limiter,
            self.logs.append,
            self._on_snapshot_state,
            config.max_log_bytes_per_invoke,
            ttl_s=config.snapshot_ttl_s,
            preload=config.snapstart_preload,
            immortal=config.snapstart_immortal,
            confinement=self.sandbox,
        )
        self.launcher = EnvironmentLauncher(
            self.specs,
            self.limiter,
            FreshProcessSpawner(self.sandbox),
            self.logs.append,
            log_budget=config.max_log_bytes_per_invoke,
            init_timeout_s=config.init_timeout_s,
            restores=self.snapshots.spawner_for,
        )
        self.sdk = SdkStatus(None, None, reason="the platform has not started")
        """The AWS SDK functions find; installed and linked by :meth:`start`."""
        self._sdk_bytecode = Precompiler(
            lambda runtime: self.resolver.resolve(runtime).path, compile=compile_for
        )
        self.fleet = ProvisionedFleet(self.launcher, on_use=self.metrics.provisioned)
        self.pool = EnvironmentPool(
            self.launcher,
            make_policy(config.keep_alive_policy, config.keep_alive_s, config.keep_alive_bucket_s),
            config.max_concurrency,
            provisioned=self.fleet,
            on_admit=self.metrics.concurrency,
        )
        self.provisioned = ProvisionedService(
            self.store,
            self.aliases,
            self.fleet,
            config.max_concurrency,
            self.functions.reserved_concurrency,
        )
        self.aliases.subscribe(self.provisioned.on_alias_change)
        self.versions.subscribe(self.provisioned.on_version_deleted)
        self.autoscaling = AutoScalingService(
            self.store,
            self.aliases,
            self.provisioned,
            self.fleet,
            self.logs.append,
            config.region,
            config.account_id,
        )
        self.aliases.subscribe(self.autoscaling.on_alias_change)
        self.versions.subscribe(self.autoscaling.on_version_deleted)
        self.autoscaler = AutoScalingController(
            self.autoscaling.evaluate, config.autoscaling_period_s
        )
        self.precompiler = Precompiler(lambda runtime: self.resolver.resolve(runtime).path)
        self.functions.subscribe(self._on_function_change)
        self.collector = CodeCollector(
            self.store,
            self.layers,
            self.code,
            lambda: [env.function.code_key for env in self.launcher.environments()],
        )
        self.versions.subscribe(self.pool.retire)
        self.versions.subscribe(self.snapshots.forget)
        # After the pool has let go of retired environments: their code can go too.
        self.functions.subscribe(self.sweep_code)
        self.versions.subscribe(self.sweep_code)
        self.versions.on_publish(self._on_publish)
        self.event_configs = EventInvokeConfigs(
            self.store,
            self.aliases.resolve,
            lambda name: (
                [c.version for c in self.versions.list(name)]
                + [a.name for a in self.aliases.list(name)]
            ),
        )
        self.async_worker = AsyncWorker(
            EventQueue(config.events_db_path),
            self._run_event,
            self.event_configs.effective,
            lambda name, version: function_arn(config.region, config.account_id, name, version),
            config.async_retry_delays_s,
            config.async_throttle_backoff_s,
            config.max_concurrency,
        )
        self.async_worker.on_start = self.metrics.event_age
        self.async_worker.on_dead_letter_error = self.metrics.dead_letter_error
        self.schedule_store = SqliteScheduleStore(config.state_dir / "schedules.db")
        self.schedule_runner = ScheduleRunner(self._deliver_scheduled)
        self.rules = RuleService(
            self.schedule_store,
            self.schedule_runner,
            config.region,
            config.account_id,
            config.schedule_minute_s,
        )
        self.schedules = SchedulerService(
            self.schedule_store,
            self.schedule_runner,
            config.region,
            config.account_id,
            config.schedule_minute_s,
        )
        for cfg in self.functions.list():
            reserved = self.functions.reserved_concurrency(cfg.name)
            if reserved is not None:
                self.pool.set_reserved(cfg.name, reserved)
        self.collector.sweep()  # what an earlier run left unreferenced

    def _on_function_change(self, cfg: FunctionConfig | None, name: str) -> None:
        if cfg is not None:
            # Only $LATEST changes: published versions' environments stay warm.
            self.pool.retire(name, LATEST)
            self._precompile(cfg)
            return
        self.pool.retire(name)
        self.provisioned.on_function_deleted(name)
        self.autoscaling.on_function_deleted(name)
        self.pool.usage.forget(name)
        self.pool.set_reserved(name, None)
        self.snapshots.forget(name)

    def sweep_code(self, *_: object) -> None:
        """Remove code nothing references any more (see :mod:`.control.codegc`)."""
        self.collector.sweep()

    def _precompile(self, cfg: FunctionConfig) -> None:
        """Compile new code's bytecode in the background with the function's own
        interpreter, before its first cold start needs it."""
        self.precompiler.submit(self.code.path(cfg.code_key), cfg.runtime)
        self._compile_sdk(cfg.runtime)

    def _compile_sdk(self, runtime: str) -> None:
        """Compile the SDK's bytecode for ``runtime`` in the background, once per
        release and Python (a marker in the shared copy remembers it)."""
        if self.sdk.directory is not None and self.sdk.offered(runtime):
            self._sdk_bytecode.submit(self.sdk.directory, runtime)

    def _on_publish(self, cfg: FunctionConfig) -> None:
        with contextlib.suppress(RuntimeError):  # no loop: the first invoke builds it
            asyncio.get_running_loop()
            self.snapshots.build(cfg)

    def _on_snapshot_state(self, cfg: FunctionConfig, state: str, code: str, reason: str) -> None:
        self.versions.set_state(cfg.name, cfg.version, state, code, reason)

    async def start(self) -> None:
        """Install the SDK functions find, then start the background work (the
        asynchronous-invocation worker)."""
        config = self.config
        # Its first install copies a few thousand files: not on the event loop.
        self.sdk = await asyncio.to_thread(
            provide, config.runtime_dir, config.sdk_cache_dir, config.sdk
        )
        for runtime in SUPPORTED_RUNTIMES:
            for source in runtime_sources(config.runtime_dir):
                self.precompiler.submit(source, runtime)
        self.async_worker.start()
        self.schedule_runner.start()  # fires missed while stopped: once, at once
        for latest in self.functions.list():  # SnapStart versions rebuild their snapshots
            for cfg in self.versions.list(latest.name):
                self._compile_sdk(cfg.runtime)
                self.snapshots.build(cfg)
        self.provisioned.start()  # stored provisioned concurrency fills again
        self.autoscaler.start()
        self._xray_transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: DaemonProtocol(self.traces.put), sock=self._xray_sock
        )

    async def close(self) -> None:
        """Stop the worker (queued events stay on disk), stop all environments,
        flush logs, release cgroups."""
        await self.autoscaler.stop()
        await self.schedule_runner.stop()
        await self.async_worker.stop()
        self.async_worker.queue.close()
        await self.snapshots.close()
        await self.pool.close()
        self.specs.close()
        self.limiter.close()
        self.logs.close()
        self.metrics.close()
        if self._xray_transport is not None:
            self._xray_transport.close()
        else:
            self._xray_sock.close()
        self.traces.close()
        if self.otlp is not None:
            self.otlp.close()
        with contextlib.suppress(Exception):
            self.store.close()
        with contextlib.suppress(Exception):
            self.layers.close()
        with contextlib.suppress(Exception):
            self.stacks.close()
        with contextlib.suppress(Exception):
            self.schedule_store.close()

    def _current_role(self, function_name: str) -> str | None:
        cfg = self.functions.find(function_name)
        return cfg.role if cfg is not None else None

    def _role_environment(self, cfg: FunctionConfig) -> dict[str, str]:
        assert self.keys is not None
        return credential_environment(*self.keys.issue_role_credentials(cfg.name, cfg.role))

    def not_enforced(self) -> dict[str, list[str]]:
        """Function name -> the fields its $LATEST or any published version sets that
        this platform stores but does not act on (functions with none are left out)."""
        arch = host_architecture(host.machine())
        found: dict[str, set[str]] = {}
        for cfg in self.versions.all():
            fields = not_enforced(cfg, arch)
            if fields:
                found.setdefault(cfg.name, set()).update(fields)
        return {name: sorted(fields) for name, fields in found.items()}

    def resolve(self, ref: FunctionRef) -> FunctionConfig:
        """The configuration an invoke of ``ref`` runs: $LATEST, a version, or an
        alias's version (chosen at random per invoke when the alias routes)."""
        return self.aliases.resolve(ref.name, ref.qualifier, self._random.random)

    @staticmethod
    def check_payload(payload: bytes) -> bytes:
        """Enforce the 6 MB limit and that the payload is JSON; empty means ``{}``."""
        return check_payload(payload)

    async def invoke(
        self,
        ref: FunctionRef,
        payload: bytes,
        client_context: str | None = None,
        trace: str | None = None,
        request_id: str | None = None,
    ) -> Invocation:
        """Synchronous invoke (RequestResponse)."""
        cfg = self.resolve(ref)
        payload = self.check_payload(payload)
        request_id = request_id or str(uuid.uuid4())
        request = InvokeRequest(
            request_id=request_id,
            payload=payload,
            invoked_arn=cfg.arn(self.config.region, self.config.account_id)
            + (f":{ref.qualifier}" if ref.qualifier else ""),
            trace_id=trace_header(trace, sampled=cfg.tracing_mode == "Active"),
            client_context=parse_client_context(client_context),
        )
        self.snapshots.touch(cfg)
        metrics = self.metrics
        t_start = time.time()
        try:
            result, cold = await self.pool.invoke(cfg, request, ref.qualifier)
        except Throttled:
            metrics.throttle(cfg.name, ref.qualifier)
            raise
        rep = result.report
        if rep.xray is not None:  # sampled: the platform's own segments
            self.traces.put_platform(
                request.trace_id,
                cfg.name,
                request.invoked_arn,
                cfg.version,
                t_start,
                time.time(),
                result.duration_ms,
                rep.init_duration_ms,
                rep.restore_duration_ms,
                result.error_type,
                request_id,
            )
        metrics.invocation(
            cfg.name,
            ref.qualifier,
            cfg.version,
            result.duration_ms,
            result.error_type is not None,
            cold,
            rep.init_duration_ms,
            rep.restore_duration_ms,
        )
        return Invocation(result, cfg.version, cold, request_id)

    async def invoke_async(self, ref: FunctionRef, payload: bytes) -> str:
        """Asynchronous invoke (Event): check, store the event durably, return its
        request id.  The worker runs it later."""
        self.resolve(ref)
        if len(payload) > ASYNC_PAYLOAD_MAX_BYTES:
            raise too_large(ASYNC_PAYLOAD_MAX_BYTES, event=True)
        payload = self.check_payload(payload)
        return await self.async_worker.submit(ref.name, ref.qualifier, payload)

    async def _deliver_scheduled(self, target_arn: str, payload: bytes) -> str:
        """A scheduled fire: queued durably as an asynchronous invoke of the target.
        A target whose function (or alias) is gone is queued all the same; the worker
        then moves the event to the dead letters as ``ResourceNotFound``."""
        ref = parse_function_ref(target_arn)
        return await self.async_worker.submit(ref.name, ref.qualifier, check_payload(payload))

    async def _run_event(
        self, name: str, qualifier: str | None, payload: bytes, request_id: str
    ) -> Attempt:
        inv = await self.invoke(FunctionRef(name, qualifier), payload, request_id=request_id)
        return Attempt(inv.result.payload, inv.result.error_type, inv.executed_version)
