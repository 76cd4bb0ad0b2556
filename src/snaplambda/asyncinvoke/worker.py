"""The asynchronous-invocation worker: an asyncio task that takes due events from
the durable queue and runs them through the same path as synchronous invokes (so
concurrency limits apply), then records each event's outcome.

It sleeps on an :class:`asyncio.Event` set whenever an event is queued or a run
ends, with a timeout at the next retry's due time, so it never polls.  An event is
deleted only after its outcome (destination event or dead letter) is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import orjson

from ..control.arns import parse_function_ref
from ..control.errors import ResourceNotFound
from ..errors import AwsError
from ..execution.errors import PlatformStopping, Throttled
from . import policy
from .destinations import destination_record
from .eventconfig import EventInvokeConfig
from .queue import Event, EventQueue

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one run of an event returned."""

    payload: bytes
    error_type: str | None
    executed_version: str


Runner = Callable[[str, str | None, bytes, str], Awaitable[Attempt]]
"""Runs ``(function, qualifier, payload, request_id)`` like a synchronous invoke."""


class AsyncWorker:
    """Owns the queue's consumer task; ``start``, ``drain`` and ``stop`` explicitly."""

    def __init__(
        self,
        queue: EventQueue,
        run: Runner,
        settings: Callable[[str, str | None], EventInvokeConfig],
        arn: Callable[[str, str], str],
        retry_delays: tuple[float, ...],
        throttle_backoff: tuple[float, float],
        max_inflight: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.queue = queue
        self._run = run
        self._settings = settings
        self._arn = arn
        self._retry_delays = retry_delays
        self._throttle_backoff = throttle_backoff
        self._max_inflight = max(1, max_inflight)
        self._clock = clock
        self._wake = asyncio.Event()
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._accepting = False
        self.on_start: Callable[[str, str | None, float], None] | None = None
        """Called with (function, qualifier, age in seconds) as an event's run starts."""
        self.on_dead_letter_error: Callable[[str, str | None], None] | None = None
        """Called when an event's outcome cannot be stored (destination or dead letter)."""

    # -- producing -------------------------------------------------------------

    def enqueue(
        self, function: str, qualifier: str | None, payload: bytes, request_id: str | None = None
    ) -> str:
        """Store an event durably and wake the worker; returns its request id."""
        now = self._clock()
        event_id = request_id or str(uuid.uuid4())
        self.queue.put(Event(event_id, function, qualifier, payload, now, now))
        self._wake.set()
        return event_id

    async def submit(self, function: str, qualifier: str | None, payload: bytes) -> str:
        """:meth:`enqueue` with the durable write (an fsync) off the event loop."""
        now = self._clock()
        event = Event(str(uuid.uuid4()), function, qualifier, payload, now, now)
        await asyncio.to_thread(self.queue.put, event)
        self._wake.set()
        return event.id

    def redrive(self, ids: list[str] | None) -> list[str]:
        found = self.queue.redrive(ids, self._clock())
        self._wake.set()
        return found

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._accepting = True
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="async-worker")

    async def drain(self, timeout: float) -> bool:
        """Stop taking events and wait up to ``timeout`` for the running ones;
        whether all finished.  Events still queued stay on disk for the next start."""
        self._accepting = False
        self._wake.set()
        running = list(self._inflight.values())
        if not running:
            return True
        _, pending = await asyncio.wait(running, timeout=timeout)
        return not pending

    async def stop(self, timeout: float = 5.0) -> None:
        """Drain, then cancel what is still running (those events stay queued and
        run again after a restart)."""
        await self.drain(timeout)
        tasks = [*self._inflight.values(), *([self._task] if self._task else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._task = None

    @property
    def running(self) -> int:
        return len(self._inflight)

    # -- consuming -------------------------------------------------------------

    async def _loop(self) -> None:
        while self._accepting:
            self._wake.clear()
            now = self._clock()
            exclude = set(self._inflight)
            free = self._max_inflight - len(self._inflight)
            for event in self.queue.due(now, exclude, free):
                task = asyncio.get_running_loop().create_task(self._handle(event))
                self._inflight[event.id] = task
                task.add_done_callback(functools.partial(self._finished, event.id))
            timeout: float | None = None
            if len(self._inflight) < self._max_inflight:
                next_due = self.queue.next_due(set(self._inflight))
                if next_due is not None:
                    timeout = max(0.0, next_due - self._clock())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _finished(self, event_id: str, _task: object = None) -> None:
        self._inflight.pop(event_id, None)
        self._wake.set()

    async def _handle(self, event: Event) -> None:
        try:
            await self._attempt(event)
        except PlatformStopping:
            return  # stays queued for the next start
        except Exception:
            log.exception(
                "asynchronous event %s of %s could not be handled", event.id, event.function
            )
            # Not straight back into the loop: try again after the first retry delay.
            with contextlib.suppress(Exception):
                due = self._clock() + max(policy.retry_delay(0, self._retry_delays), 1.0)
                self.queue.reschedule(event.id, due, event.attempts, event.throttles)

    async def _attempt(self, event: Event) -> None:
        settings = self._settings(event.function, event.qualifier)
        now = self._clock()
        if policy.is_expired(event.enqueued_at, now, settings.max_event_age_s):
            self._final(event, settings, "EventAgeExceeded", None, event.attempts)
            return
        if self.on_start is not None:
            self.on_start(event.function, event.qualifier, max(0.0, now - event.enqueued_at))
        try:
            attempt = await self._run(event.function, event.qualifier, event.payload, event.id)
        except Throttled:
            throttles = event.throttles + 1
            due = now + policy.throttle_delay(throttles, self._throttle_backoff)
            self.queue.reschedule(event.id, due, event.attempts, throttles)
            return
        except ResourceNotFound as exc:
            self.queue.bury(event, self._clock(), "ResourceNotFound", exc.message)
            return
        except PlatformStopping:
            raise
        except AwsError as exc:
            # The platform could not run it (e.g. no interpreter for the runtime):
            # counted as a failed attempt, so it is retried and then dead-lettered.
            error = {"errorType": exc.aws_type, "errorMessage": exc.message}
            version = event.qualifier or "$LATEST"
            attempt = Attempt(orjson.dumps(error), exc.aws_type, version)
        attempts = event.attempts + 1
        decision = policy.after_attempt(
            attempt.error_type is not None,
            attempts,
            settings.max_retry_attempts,
            self._retry_delays,
            self._clock(),
        )
        if isinstance(decision, policy.Retry):
            self.queue.reschedule(event.id, decision.due_at, attempts, 0)
            return
        self._final(event, settings, decision.condition, attempt, attempts)

    def _final(
        self,
        event: Event,
        settings: EventInvokeConfig,
        condition: policy.Condition,
        attempt: Attempt | None,
        attempts: int,
    ) -> None:
        try:
            self._store_outcome(event, settings, condition, attempt, attempts)
        except Exception:
            # Not stored: the event stays queued (``_handle`` reschedules it).
            if self.on_dead_letter_error is not None:
                self.on_dead_letter_error(event.function, event.qualifier)
            raise

    def _store_outcome(
        self,
        event: Event,
        settings: EventInvokeConfig,
        condition: policy.Condition,
        attempt: Attempt | None,
        attempts: int,
    ) -> None:
        destination = settings.on_success if condition == "Success" else settings.on_failure
        if destination is None:
            if condition == "Success":
                self.queue.delete(event.id)
            else:
                error = attempt.payload.decode("utf-8", "replace") if attempt else None
                self.queue.bury(replace(event, attempts=attempts), self._clock(), condition, error)
            return
        version = attempt.executed_version if attempt else (event.qualifier or "$LATEST")
        record = destination_record(
            request_id=event.id,
            function_arn=self._arn(event.function, version),
            condition=condition,
            invoke_count=attempts,
            request_payload=event.payload,
            executed_version=attempt.executed_version if attempt else None,
            response_payload=attempt.payload if attempt else None,
            function_error=attempt.error_type if attempt else None,
            now=self._clock(),
        )
        target = parse_function_ref(destination)
        # The destination event is stored before the source event is deleted, so a
        # crash in between delivers the record twice rather than never.
        self.enqueue(target.name, target.qualifier, orjson.dumps(record))
        self.queue.delete(event.id)
