"""Pure decisions of asynchronous invocation: what happens to an event after an
attempt, when it is too old, and how long a throttled event waits.  No I/O, no
clock: the caller passes ``now``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Largest payload of an asynchronous invoke.
ASYNC_PAYLOAD_MAX_BYTES = 1 << 20

Condition = Literal["Success", "RetriesExhausted", "EventAgeExceeded"]


@dataclass(frozen=True, slots=True)
class Retry:
    """Run the event again at ``due_at``."""

    due_at: float


@dataclass(frozen=True, slots=True)
class Final:
    """The event is done: success or a failure for good."""

    condition: Condition


Decision = Retry | Final


def is_expired(enqueued_at: float, now: float, max_age_s: float) -> bool:
    """Whether an event is older than ``MaximumEventAgeInSeconds``.

    >>> is_expired(0.0, 60.0, 60), is_expired(0.0, 60.5, 60)
    (False, True)
    """
    return now - enqueued_at > max_age_s


def retry_delay(retries_done: int, delays: tuple[float, ...]) -> float:
    """The wait before retry number ``retries_done + 1``; the last delay repeats.

    >>> retry_delay(0, (60.0, 120.0)), retry_delay(1, (60.0, 120.0)), retry_delay(5, (1.0,))
    (60.0, 120.0, 1.0)
    """
    if not delays:
        return 0.0
    return delays[min(retries_done, len(delays) - 1)]


def after_attempt(
    failed: bool,
    attempts: int,
    max_retry_attempts: int,
    delays: tuple[float, ...],
    now: float,
) -> Decision:
    """What follows an attempt that returned: ``attempts`` counts the invocations
    made so far, this one included.

    >>> after_attempt(False, 1, 2, (60.0,), 0.0)
    Final(condition='Success')
    >>> after_attempt(True, 1, 2, (60.0, 120.0), 10.0)
    Retry(due_at=70.0)
    >>> after_attempt(True, 3, 2, (60.0, 120.0), 10.0)
    Final(condition='RetriesExhausted')
    """
    if not failed:
        return Final("Success")
    if attempts > max_retry_attempts:
        return Final("RetriesExhausted")
    return Retry(now + retry_delay(attempts - 1, delays))


def throttle_delay(throttles: int, backoff: tuple[float, float]) -> float:
    """The wait after the ``throttles``-th throttle in a row (1-based), doubling
    from ``backoff[0]`` up to ``backoff[1]``.

    >>> [throttle_delay(n, (1.0, 5.0)) for n in (1, 2, 3, 4)]
    [1.0, 2.0, 4.0, 5.0]
    """
    first, largest = backoff
    return float(min(first * 2 ** min(max(throttles - 1, 0), 32), largest))
