"""What EventBridge's rules and Scheduler's schedules share: their store, the runner
that fires them, the account they belong to, and the clocks they read."""

from __future__ import annotations

import time
from collections.abc import Callable

from .runner import Delivery, Job, ScheduleRunner
from .store import ScheduleStore


class ScheduleSource:
    """A kind of scheduled job kept in ``store`` and fired by ``runner``; subclasses
    name their ``kind`` and read their records in :meth:`_load`."""

    kind = ""

    def __init__(
        self,
        store: ScheduleStore,
        runner: ScheduleRunner,
        region: str,
        account: str,
        minute_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._runner = runner
        self.region = region
        self.account = account
        self._minute_s = minute_s
        """Seconds a ``rate()`` minute lasts (beyond AWS: shorter in tests)."""
        self._clock = clock
        runner.add_source(self.kind, self)
        self._load()

    def _load(self) -> None:
        """Read this kind's records from the store and plan their next fires."""
        raise NotImplementedError

    def deliveries(self, key: str, when: float) -> list[Delivery]:
        """What the fire of ``key`` at ``when`` sends, and to which targets."""
        raise NotImplementedError

    def fired(self, key: str, when: float) -> Job | None:
        """Record the fire durably; the job as it now is (``None``: it is gone)."""
        raise NotImplementedError
