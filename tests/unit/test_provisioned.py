"""Pure decisions of provisioned concurrency: splitting by weight, planning starts
and stops, keeping released environments, counters and status, limit checks."""

from __future__ import annotations

import random

import pytest

from snaplambda.execution.fleet_rules import (
    Plan,
    Status,
    counters,
    fits_reservation,
    fits_reserved,
    fits_unreserved,
    keep_on_release,
    plan,
    split_by_weight,
    unreserved_minimum,
)


def test_split_by_weight() -> None:
    assert split_by_weight(10, "1", {}) == {"1": 10}
    assert split_by_weight(10, "1", {"2": 0.25}) == {"1": 7, "2": 3}
    assert split_by_weight(2, "1", {"2": 0.5}) == {"1": 1, "2": 1}
    assert split_by_weight(1, "1", {"2": 0.1}) == {"1": 1}  # 0.1 rounds to none
    assert split_by_weight(1, "1", {"2": 0.9}) == {"2": 1}


@pytest.mark.parametrize("seed", range(50))
def test_split_always_sums_to_requested(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 500)
    shares = split_by_weight(n, "1", {"2": rng.random()})
    assert sum(shares.values()) == n
    assert all(v > 0 for v in shares.values())


def test_plan_starts_what_is_missing_counting_those_starting() -> None:
    assert plan(3, idle=0, busy=0, starting=0) == Plan(start=3)
    assert plan(3, idle=1, busy=0, starting=1) == Plan(start=1)
    assert plan(3, idle=1, busy=1, starting=1) == Plan()


def test_plan_sheds_idle_first_and_never_kills_busy() -> None:
    assert plan(1, idle=2, busy=1, starting=0) == Plan(stop_idle=2)
    assert plan(1, idle=0, busy=3, starting=0) == Plan()
    assert plan(0, idle=1, busy=2, starting=0) == Plan(stop_idle=1)
    # Environments still starting are not stopped mid-init.
    assert plan(0, idle=0, busy=0, starting=2) == Plan()


@pytest.mark.parametrize("seed", range(100))
def test_plan_converges(seed: int) -> None:
    """Simulated: applying plans (busy ones retiring on release, starts arriving)
    always ends at the desired count, and busy ones are never stopped."""
    rng = random.Random(seed)
    idle, busy, starting = rng.randint(0, 5), rng.randint(0, 5), rng.randint(0, 3)
    desired = rng.randint(0, 8)
    for _ in range(50):
        step = plan(desired, idle, busy, starting)
        assert step.stop_idle <= idle
        idle -= step.stop_idle
        starting += step.start
        if starting and rng.random() < 0.5:  # an init completes
            starting -= 1
            if keep_on_release(desired, idle + busy + starting + 1):
                idle += 1
        if busy and rng.random() < 0.5:  # an invocation ends
            busy -= 1
            if keep_on_release(desired, idle + busy + starting + 1):
                idle += 1
    for _ in range(20):  # let everything in flight land
        step = plan(desired, idle, busy, starting)
        idle -= step.stop_idle
        starting += step.start
        idle, starting, busy = idle + starting + busy, 0, 0
    assert plan(desired, idle, busy, starting) == Plan()
    assert idle == desired


def test_keep_on_release() -> None:
    assert keep_on_release(2, 2)
    assert not keep_on_release(1, 2)
    assert not keep_on_release(0, 1)


def test_counters_and_status() -> None:
    c = counters(2, ready=0, busy=0, failed=False)
    assert (c.requested, c.allocated, c.available, c.status) == (2, 0, 0, Status.IN_PROGRESS)
    c = counters(2, ready=1, busy=1, failed=False)
    assert (c.allocated, c.available, c.status) == (2, 1, Status.READY)
    c = counters(2, ready=3, busy=0, failed=False)  # surplus shedding: capped
    assert (c.allocated, c.available, c.status) == (2, 2, Status.READY)
    c = counters(2, ready=1, busy=0, failed=True)
    assert c.status is Status.FAILED
    assert counters(1, ready=1, busy=0, failed=True).status is Status.READY


def test_limits() -> None:
    assert unreserved_minimum(1000) == 100
    assert unreserved_minimum(200) == 20
    assert fits_reservation(880, 20, 1000)
    assert not fits_reservation(880, 21, 1000)
    assert fits_reserved(3, 2, 5)
    assert not fits_reserved(4, 2, 5)
    assert fits_unreserved(880, 0, 1000, 20)
    assert not fits_unreserved(881, 0, 1000, 20)
    assert fits_unreserved(400, 500, 1000, 0)
    assert not fits_unreserved(401, 500, 1000, 0)
