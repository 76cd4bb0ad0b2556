"""Running rules and schedules: one asyncio task that sleeps until the next fire
of any job (waking when a job changes), asks the job's source what to deliver for
that fire, hands each delivery to ``deliver`` (the platform's durable async
queue) and records the fire with the source.

Fires missed while the platform was down are not replayed one by one (AWS never
replays either): a job whose fires were missed fires once, at once, for the latest
of them, then keeps its schedule.  The same holds when the loop itself falls
behind.  Deliveries are stored in the async queue before the fire is recorded, so
a crash between the two fires it again rather than never (at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from ..scheduling import Expression

log = logging.getLogger(__name__)

#: Slack below ``StartDate`` so a fire exactly at it counts.
_EPSILON = 1e-3


@dataclass(frozen=True, slots=True)
class Job:
    """What the runner needs of a rule or schedule to know when it fires."""

    key: str
    """``rule/NAME`` or ``schedule/GROUP/NAME``; the part before ``/`` names its source."""
    expression: Expression
    anchor: float
    """When a ``rate()`` started counting."""
    since: float
    """Fires at or before this are done (its last fire, or when it was last set)."""
    enabled: bool = True
    start: float | None = None
    end: float | None = None


def upcoming(job: Job, after: float) -> float | None:
    """The job's first fire strictly after ``after`` within its window."""
    if not job.enabled:
        return None
    lower = after if job.start is None else max(after, job.start - _EPSILON)
    fire = job.expression.next_after(lower, job.anchor)
    if fire is None or (job.end is not None and fire > job.end):
        return None
    return fire


def first_due(job: Job, now: float) -> float | None:
    """When the job fires next, seen at ``now``: the latest fire missed since
    ``since`` (at most one catch-up), else its next one."""
    if not job.enabled:
        return None
    lower = job.since if job.start is None else max(job.since, job.start - _EPSILON)
    upper = now if job.end is None else min(now, job.end)
    missed = job.expression.last_in(lower, upper, job.anchor) if upper > lower else None
    return missed if missed is not None else upcoming(job, now)


Delivery = tuple[str, bytes]
"""A target's ARN and the payload to send it."""


class Source(Protocol):
    """A service whose jobs the runner fires."""

    def deliveries(self, key: str, when: float) -> list[Delivery]:
        """What the fire of ``key`` at ``when`` sends, and to which targets."""
        ...

    def fired(self, key: str, when: float) -> Job | None:
        """Record the fire durably; the job as it now is (``None``: it is gone)."""
        ...


class ScheduleRunner:
    """Owns the timer task; ``start`` and ``stop`` explicitly."""

    def __init__(
        self,
        deliver: Callable[[str, bytes], Awaitable[object]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._deliver = deliver
        self.clock = clock
        self._sources: dict[str, Source] = {}
        self._due: dict[str, float] = {}
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.fires = 0
        """Fires delivered since start (for ``/health``)."""

    def add_source(self, prefix: str, source: Source) -> None:
        self._sources[prefix] = source

    def plan(self, job: Job) -> None:
        """(Re)compute when ``job`` fires next and wake the timer."""
        when = first_due(job, self.clock())
        if when is None:
            self._due.pop(job.key, None)
        else:
            self._due[job.key] = when
        self._poke()

    def forget(self, key: str) -> None:
        self._due.pop(key, None)
        self._poke()

    def next_fire(self, key: str) -> float | None:
        """When ``key`` fires next (``None``: never, or disabled)."""
        return self._due.get(key)

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="schedules")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            now = self.clock()
            for key, when in sorted(self._due.items(), key=lambda item: item[1]):
                if when <= now and self._due.get(key) == when:
                    await self._fire(key, when)
            upcoming_at = min(self._due.values(), default=None)
            timeout = None if upcoming_at is None else max(0.0, upcoming_at - self.clock())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _fire(self, key: str, when: float) -> None:
        # The entry stays while the fire is delivered (it is what next_fire shows);
        # a plan() or forget() meanwhile replaces or removes it, and wins.
        source = self._sources[key.split("/", 1)[0]]
        try:
            for arn, payload in source.deliveries(key, when):
                try:
                    await self._deliver(arn, payload)
                    self.fires += 1
                except Exception:  # one target must not stop the others
                    log.exception("scheduled fire of %s to %s could not be queued", key, arn)
            job = source.fired(key, when)
        except Exception:
            log.exception("scheduled fire of %s failed", key)
            job = None
        if self._due.get(key) != when:
            return  # changed or removed while delivering
        if job is None:
            del self._due[key]
        else:
            self.plan(job)
