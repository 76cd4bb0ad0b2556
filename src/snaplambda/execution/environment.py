"""One execution environment: a bootstrap process serving one invocation at a time.

Lifecycle::

    STARTING --init ok--> IDLE <--> BUSY
        |                  |         |
        +------------------+---------+--> DEAD   (init error, timeout, crash, shutdown)

The environment owns its process, control channel, output pipes and scratch
directory, frames each invocation's log with START/END/REPORT, and turns every way a
function can misbehave into Lambda's error for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import time
from collections.abc import Callable
from enum import Enum
from typing import Any

import orjson

from ..control.quotas import SYNC_PAYLOAD_MAX_BYTES
from ..observability import jsonlogs
from ..observability import platform_lines as lines
from ..runtime import errortypes as types
from ..runtime.frames import encode
from .capture import LogSink, OutputCapture
from .channel import ControlChannel
from .errors import IllegalTransition
from .invocation import InitResult, InitTiming, InvokeRequest, InvokeResult
from .limits import LimitHandle
from .memory import MemoryMeter
from .process import describe_exit
from .spawn import EnvironmentSpec, Spawned


class EnvState(Enum):
    STARTING = "starting"
    IDLE = "idle"
    BUSY = "busy"
    DEAD = "dead"


_ALLOWED = {
    EnvState.STARTING: {EnvState.IDLE, EnvState.DEAD},
    EnvState.IDLE: {EnvState.BUSY, EnvState.DEAD},
    EnvState.BUSY: {EnvState.IDLE, EnvState.DEAD},
    EnvState.DEAD: set(),
}


class Environment:
    """A running (or dead) execution environment of one function version."""

    def __init__(
        self,
        spec: EnvironmentSpec,
        spawned: Spawned,
        limit: LimitHandle,
        log_sink: LogSink,
        loop: asyncio.AbstractEventLoop,
        log_budget: int,
        restore: bool = False,
    ) -> None:
        self.spec = spec
        self.restore = restore
        """Restored from a SnapStart snapshot: RESTORE lines instead of INIT ones."""
        self.id = spec.env_id
        self.function = spec.config
        """The configuration of the function version this environment runs."""
        self.process = spawned.process
        self._spawned = spawned
        self._limit = limit
        self._loop = loop
        self._output = OutputCapture(
            (spawned.stdout, spawned.stderr),
            log_sink,
            spec.log_group,
            spec.log_stream,
            loop,
            log_budget,
        )
        self._control = ControlChannel()
        self._transport: asyncio.Transport | None = None
        self.state = EnvState.STARTING
        self.init_timing: InitTiming | None = None
        self._pending_init_ms: float | None = None
        self._pending_restore_ms: float | None = None
        self.invocations = 0
        self.memory = MemoryMeter(limit, spec.config.memory_size)
        self.idle_since = time.monotonic()
        self.retired = False
        """Set when the function changed: the environment must not be reused."""
        self._timed_out = False
        self._json = spec.config.log_format == "JSON"
        self._system_ok = jsonlogs.system_level_allows(spec.config.system_log_level)
        self.process.exited.add_done_callback(self._on_exit)

    # -- state ---------------------------------------------------------------

    def _to(self, state: EnvState) -> None:
        if state not in _ALLOWED[self.state]:
            raise IllegalTransition(f"environment {self.id}: {self.state.value} -> {state.value}")
        self.state = state

    @property
    def alive(self) -> bool:
        return self.state is not EnvState.DEAD

    def _on_exit(self, exited: asyncio.Future[int]) -> None:
        """The runtime exited: all it sent has arrived and nothing more will, even when
        a child it forked keeps the control socket open.  Take what is left and end
        the channel, so that nothing waits on a dead runtime until its deadline."""
        sock = self._spawned.control
        for _ in range(256):  # bounded: such a child could keep writing
            try:
                data = sock.recv(1 << 16, socket.MSG_DONTWAIT)
            except OSError:  # nothing buffered (EAGAIN), or already closed
                break
            if not data:
                break
            self._control.data_received(data)
        self._control.end()

    # -- logs ----------------------------------------------------------------

    def log(self, message: str) -> None:
        """Write a platform line to this environment's stream (never dropped)."""
        self._output.log(message)

    def _platform(self, text: Callable[[], str], json_event: Callable[[], str]) -> None:
        """Log a platform line: ``text``, or in JSON log format the event (dropped
        when ``SystemLogLevel`` is above INFO).  Both are built only when needed."""
        if not self._json:
            self.log(text())
        elif self._system_ok:
            self.log(json_event())

    # -- init ----------------------------------------------------------------

    async def initialize(self, init_timeout_s: float) -> InitResult:
        """Wait for the bootstrap to load the handler; log INIT lines."""
        interp = self.spec.interpreter
        start_line = lines.restore_start_line if self.restore else lines.init_start_line
        rv, rv_arn = interp.runtime_version, interp.runtime_version_arn(self.spec.region)
        self._platform(
            lambda: start_line(rv, rv_arn),
            lambda: (
                jsonlogs.restore_start(rv, rv_arn)
                if self.restore
                else jsonlogs.init_start(rv, rv_arn, self.spec.initialization_type)
            ),
        )
        transport, _ = await self._loop.create_unix_connection(
            lambda: self._control, sock=self._spawned.control
        )
        self._transport = transport
        waiter = self._control.expect(self._loop)
        timer = self._loop.call_later(init_timeout_s, self._on_deadline)
        try:
            header, body = await waiter
        except ConnectionError:
            header, body = {}, b""
        finally:
            timer.cancel()
        now = time.monotonic_ns()
        sp = self._spawned
        create_ms = (sp.t_created_ns - sp.t_begin_ns) / 1e6
        if header.get("t") in ("init", "restored"):
            timing = InitTiming(
                create_ms,
                (header["t_runtime_ns"] - sp.t_created_ns) / 1e6,
                (header["t_done_ns"] - header["t_runtime_ns"]) / 1e6,
            )
        else:
            timing = InitTiming(create_ms, (now - sp.t_created_ns) / 1e6, 0.0)
        self.init_timing = timing
        if header.get("ok"):
            # Peak memory after init, so a REPORT for an environment that dies before
            # its first answer still shows what it used.
            self.memory.runtime_reported(int(header.get("maxrss_kb", 0)))
            if self.memory.over_limit():
                self._stop_for_memory()
        elif header.get("t") in ("init", "restored") and _is_out_of_memory(header, body):
            self._stop_for_memory()
        if header.get("ok") and not self.memory.stopped:
            if self.restore:
                self._pending_restore_ms = (header["t_done_ns"] - sp.t_begin_ns) / 1e6
                ms = self._pending_restore_ms
                self._platform(
                    lambda: lines.restore_report_line(ms), lambda: jsonlogs.restore_report(ms)
                )
            else:
                self._pending_init_ms = timing.init_duration_ms
            self._to(EnvState.IDLE)
            return InitResult(True, timing)
        if self._timed_out:
            status = "timeout"
            error = {
                "errorType": types.UNKNOWN,
                "errorMessage": f"Init phase timed out after {init_timeout_s:.2f} seconds",
            }
        elif header.get("t") in ("init", "restored") and not self.memory.stopped:
            status, error = "error", _error_document(header, body)
        else:
            status, error = "error", await self._exit_error()
        self._output.drain()
        # Lambda names an error type for failed inits only, not for timed-out ones.
        error_type = error.get("errorType") if status == "error" else None
        if self.restore:
            ms = (now - sp.t_begin_ns) / 1e6
            self._platform(
                lambda: lines.restore_report_line(ms, status),
                lambda: jsonlogs.restore_report(ms, status),
            )
        else:
            ms = timing.init_duration_ms
            self._platform(
                lambda: lines.init_report_line(ms, status, error_type),
                lambda: jsonlogs.init_report(ms, status, error_type),
            )
        await self.shutdown()
        return InitResult(False, timing, error, status)

    async def next_frame(self) -> tuple[dict[str, Any], bytes]:
        """The next control frame the runtime sends unasked (a snapshot holder's
        replies); raises ConnectionError once the channel is closed."""
        return await self._control.expect(self._loop)

    def prewarmed(self) -> None:
        """Initialized ahead of any invoke (provisioned concurrency): no REPORT of
        it carries an Init or Restore Duration."""
        self._pending_init_ms = self._pending_restore_ms = None

    # -- invoke ----------------------------------------------------------------

    def _on_deadline(self) -> None:
        self._timed_out = True
        self.kill()

    async def invoke(
        self, request: InvokeRequest, deadline_ms: int, init_error: InitResult | None = None
    ) -> InvokeResult:
        """Run one invocation; never raises for anything the function does."""
        rid = request.request_id
        cfg = self.function
        self._output.next_phase()
        if self.state is EnvState.IDLE:
            self._to(EnvState.BUSY)
        self.invocations += 1
        self._platform(
            lambda: lines.start_line(rid, cfg.version), lambda: jsonlogs.start(rid, cfg.version)
        )
        t0 = time.perf_counter()
        reusable = True
        if init_error is not None:
            error = dict(init_error.error or {})
            error["requestId"] = rid
            payload = orjson.dumps(error)
            error_type: str | None = error.get("errorType", types.UNKNOWN)
            status: str | None = init_error.status
            reusable = False
            duration_ms = 0.0
        else:
            payload, error_type, status, reusable = await self._run(request, deadline_ms)
            duration_ms = (time.perf_counter() - t0) * 1000
        self._output.drain()
        self._output.report_dropped()  # in this invocation's log, before its END
        if status == "timeout":
            self.log(f"{lines_ts()} {rid} Task timed out after {cfg.timeout:.2f} seconds")
        outcome = status or ("error" if error_type else "success")
        self._platform(lambda: lines.end_line(rid), lambda: jsonlogs.runtime_done(rid, outcome))
        init_ms, self._pending_init_ms = self._pending_init_ms, None
        restore_ms, self._pending_restore_ms = self._pending_restore_ms, None
        if init_error is not None:
            failed = init_error.timing
            if self.restore:  # the whole restore, as RESTORE_REPORT measured it
                restore_ms = failed.create_ms + failed.runtime_ms + failed.function_ms
            else:
                init_ms = failed.init_duration_ms
        report = lines.Report(
            request_id=rid,
            duration_ms=duration_ms,
            memory_size_mb=cfg.memory_size,
            max_memory_used_mb=self.memory.used_mb(error_type == types.OUT_OF_MEMORY),
            init_duration_ms=init_ms,
            status=status,
            error_type=error_type if status else None,
            restore_duration_ms=restore_ms,
            xray=lines.sampled_trace(request.trace_id),
        )
        self._platform(report.line, lambda: jsonlogs.report(report, outcome))
        log_lines = self._output.next_phase()
        if reusable and self.state is EnvState.BUSY:
            self._to(EnvState.IDLE)
            self.idle_since = time.monotonic()
        return InvokeResult(
            payload, error_type, duration_ms, report, log_lines, reusable and self.alive
        )

    async def _run(
        self, request: InvokeRequest, deadline_ms: int
    ) -> tuple[bytes, str | None, str | None, bool]:
        """(payload, error type, REPORT status, reusable)."""
        rid = request.request_id
        header = {
            "t": "invoke",
            "id": rid,
            "deadline_ms": deadline_ms,
            "arn": request.invoked_arn,
            "trace": request.trace_id,
            "client_context": request.client_context,
            "identity": request.identity,
        }
        waiter = self._control.expect(self._loop)
        assert self._transport is not None
        self.memory.invocation_started()
        self._transport.write(encode(header, request.payload))
        timer = self._loop.call_at(
            self._loop.time() + max(0.0, deadline_ms / 1000 - time.time()), self._on_deadline
        )
        try:
            reply, body = await waiter
        except ConnectionError:
            reply, body = {}, b""
        finally:
            timer.cancel()
        if reply.get("t") == "result":
            self.memory.runtime_reported(int(reply.get("maxrss_kb", 0)))
            if self.memory.over_limit() or (reply.get("fatal") and _is_out_of_memory(reply, body)):
                self._stop_for_memory()
                reply = {}
        if reply.get("t") == "result":
            imported = reply.get("imported")
            if imported and self._spawned.on_imports is not None:
                self._spawned.on_imports([str(name) for name in imported])
            pages = reply.get("pages")
            if pages and self._spawned.on_pages is not None:
                self._spawned.on_pages(pages)
            if reply.get("dropped_body", len(body)) > SYNC_PAYLOAD_MAX_BYTES:
                error = {
                    "errorMessage": "Response payload size exceeded maximum allowed payload "
                    f"size ({SYNC_PAYLOAD_MAX_BYTES} bytes).",
                    "errorType": "Function.ResponseSizeTooLarge",
                }
                return orjson.dumps(error), error["errorType"], "error", True
            if reply.get("ok"):
                return body, None, None, True
            error_type = _error_document(reply, body).get("errorType", "Unhandled")
            if reply.get("fatal"):
                await self.shutdown()
                return body, error_type, "error", False
            return body, error_type, None, True
        # The process died or was killed mid-invocation.
        if self._timed_out:
            await self.shutdown()
            error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {rid} Error: Task timed out after "
                f"{self.function.timeout:.2f} seconds",
            }
            return orjson.dumps(error), error["errorType"], "timeout", False
        error = await self._exit_error(rid)
        self.log(f"RequestId: {rid} {error['errorMessage'].split(' ', 2)[-1]}")
        self.log(error["errorType"])
        await self.shutdown()
        return orjson.dumps(error), error["errorType"], "error", False

    def _stop_for_memory(self) -> None:
        """Stop an environment that used more than its MemorySize where no kernel
        mechanism stopped it: the caller gets Lambda's out-of-memory error."""
        self.memory.stopped = True
        self.kill()

    async def _exit_error(self, request_id: str | None = None) -> dict[str, Any]:
        """Lambda's error for a runtime that exited: ExitError or OutOfMemory."""
        try:
            code = await self.process.wait(timeout=2.0)
        except TimeoutError:
            self.kill()
            code = await self.process.wait()
        oom = self.memory.killed_for_memory(code)
        if oom:  # Lambda words every out-of-memory stop as the kill it is
            code = -signal.SIGKILL
        prefix = f"RequestId: {request_id} " if request_id else ""
        reason = (
            "Runtime exited without providing a reason"
            if code == 0 and not oom
            else f"Runtime exited with error: {describe_exit(code)}"
        )
        return {
            "errorType": types.OUT_OF_MEMORY if oom else types.EXIT_ERROR,
            "errorMessage": f"{prefix}Error: {reason}",
        }

    # -- shutdown --------------------------------------------------------------

    def kill(self) -> None:
        """Kill the process, its group and anything else in its cgroup.

        The limit goes first: without cgroups it finds the environment's processes
        as the runtime's descendants, which they stop being once the runtime dies."""
        self._limit.kill_all()
        self.process.kill()

    async def shutdown(self) -> None:
        """Stop the environment and free everything it holds (idempotent)."""
        if self.state is EnvState.DEAD:
            return
        self.state = EnvState.DEAD
        self.kill()
        with contextlib.suppress(TimeoutError):
            await self.process.wait(timeout=5.0)
        self._output.close()
        if self._transport is not None:
            self._transport.close()
        else:
            self._spawned.control.close()
        self.memory.sample()  # the group's peak, before the group goes
        self._limit.release()
        shutil.rmtree(self.spec.scratch_dir, ignore_errors=True)


def _is_out_of_memory(header: dict[str, Any], body: bytes) -> bool:
    """The runtime reported it ran out of memory (a ``MemoryError`` under rlimits)."""
    return bool(
        header.get("ok") is False
        and _error_document(header, body).get("errorType") == types.OUT_OF_MEMORY
    )


def _error_document(header: dict[str, Any], body: bytes) -> dict[str, Any]:
    """The error document a runtime sent, or a stand-in when it is unusable."""
    if "dropped_body" not in header:
        with contextlib.suppress(orjson.JSONDecodeError):
            doc = orjson.loads(body)
            if isinstance(doc, dict):
                return doc
    return {
        "errorType": types.UNKNOWN,
        "errorMessage": "The runtime's error document was not JSON or over "
        f"{SYNC_PAYLOAD_MAX_BYTES} bytes",
    }


def lines_ts() -> str:
    """ISO-8601 UTC timestamp with milliseconds, as Lambda prints before a timeout."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
