"""Pure decisions of provisioned concurrency, free of I/O so they can be unit-tested.

A provisioned concurrency configuration asks for ``N`` environments of a function's
alias or published version, initialized ahead of any invoke.  An alias that routes
between two versions gets its ``N`` split by weight.  The fleet (``fleet.py``) asks
these functions how many environments to start or stop, whether a released one is
kept, and what the configuration's counters and status are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


def unreserved_minimum(limit: int) -> int:
    """Executions always left to functions without a reservation (AWS keeps 100; a
    small platform limit keeps a tenth)."""
    return min(100, limit // 10)


class Status(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    READY = "READY"
    FAILED = "FAILED"


def split_by_weight(requested: int, primary: str, routing: Mapping[str, float]) -> dict[str, int]:
    """How many of ``requested`` environments each version of an alias gets: the
    additional versions their weight's share (rounded), the primary the rest.

    >>> split_by_weight(10, "1", {"2": 0.25})
    {'1': 7, '2': 3}
    """
    shares: dict[str, int] = {}
    left = requested
    for version, weight in sorted(routing.items()):
        share = min(left, int(requested * weight + 0.5))
        shares[version] = share
        left -= share
    result = {primary: left} if left else {}
    result.update({v: n for v, n in shares.items() if n})
    return result


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do now for one (configuration, version): start ``start`` environments
    and stop ``stop_idle`` idle ones (surplus busy ones go when released, as
    :func:`keep_on_release` says)."""

    start: int = 0
    stop_idle: int = 0


def plan(desired: int, idle: int, busy: int, starting: int) -> Plan:
    """Reach ``desired`` environments: start what is missing (counting those already
    starting), or shed the surplus, idle environments first and never killing a busy
    one (it is retired when its invocation ends)."""
    live = idle + busy + starting
    if live < desired:
        return Plan(start=desired - live)
    surplus = live - desired
    # Environments still starting are counted as wanted: they cannot be stopped
    # cleanly mid-init, and are shed on arrival if still surplus.
    surplus = min(surplus, idle + busy)
    return Plan(stop_idle=min(surplus, idle))


def keep_on_release(desired: int, live: int) -> bool:
    """Whether an environment that just finished an invocation (or its init) stays
    provisioned: ``live`` counts every live environment of the slot, this one included."""
    return live <= desired


@dataclass(frozen=True, slots=True)
class Counters:
    requested: int
    allocated: int
    available: int
    status: Status


def counters(requested: int, ready: int, busy: int, failed: bool) -> Counters:
    """The configuration's figures at this moment: ``allocated`` environments have
    finished init and are alive (idle or busy, at most ``requested``), ``available``
    of them are idle and would take an invoke now."""
    allocated = min(requested, ready + busy)
    available = min(allocated, ready)
    if failed and allocated < requested:
        status = Status.FAILED
    elif allocated >= requested:
        status = Status.READY
    else:
        status = Status.IN_PROGRESS
    return Counters(requested, allocated, available, status)


def fits_reservation(reserved: int, reserved_elsewhere: int, limit: int) -> bool:
    """A reservation: with every other function's, it leaves the unreserved minimum
    of the platform limit free."""
    return reserved + reserved_elsewhere <= limit - unreserved_minimum(limit)


def fits_reserved(requested: int, other_provisioned: int, reserved: int) -> bool:
    """A function with reserved concurrency: all its provisioned concurrency (this
    configuration's and its other qualifiers') fits in the reservation."""
    return requested + other_provisioned <= reserved


def fits_unreserved(
    requested: int, provisioned_unreserved_elsewhere: int, limit: int, reserved_total: int
) -> bool:
    """A function without reservation: provisioned concurrency of all unreserved
    functions leaves the unreserved minimum of the platform limit free."""
    unreserved = limit - reserved_total
    return requested + provisioned_unreserved_elsewhere <= unreserved - unreserved_minimum(limit)
