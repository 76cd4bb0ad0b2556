"""Admission decisions of :class:`ConcurrencyState`, and the fixed keep-alive."""

from __future__ import annotations

import random

import pytest

from snaplambda.execution.admission import ConcurrencyState, ThrottleReason
from snaplambda.execution.keepalive import FixedKeepAlive


def fill(state: ConcurrencyState, function: str, n: int) -> None:
    for _ in range(n):
        assert state.admit(function) is None
        state.begin(function)


def test_reason_values_are_lambdas_wire_strings() -> None:
    assert ThrottleReason.RESERVED.value == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert ThrottleReason.ACCOUNT.value == "ConcurrentInvocationLimitExceeded"


def test_unreserved_functions_share_the_platform_limit() -> None:
    state = ConcurrencyState(limit=3)
    fill(state, "a", 2)
    fill(state, "b", 1)
    assert state.admit("a") is ThrottleReason.ACCOUNT
    assert state.admit("c") is ThrottleReason.ACCOUNT
    state.end("b")
    assert state.admit("c") is None
    assert state.unreserved_in_flight == 2


def test_reserved_function_is_capped_at_its_reservation() -> None:
    state = ConcurrencyState(limit=10)
    state.set_reserved("r", 2)
    fill(state, "r", 2)
    assert state.admit("r") is ThrottleReason.RESERVED
    state.end("r")
    assert state.admit("r") is None


def test_reserved_zero_refuses_everything() -> None:
    state = ConcurrencyState(limit=10)
    state.set_reserved("r", 0)
    assert state.admit("r") is ThrottleReason.RESERVED


def test_reserved_function_is_not_limited_by_unreserved_traffic() -> None:
    state = ConcurrencyState(limit=4)
    state.set_reserved("r", 2)
    fill(state, "a", 2)  # the unreserved capacity, 4 - 2, is used up
    assert state.admit("b") is ThrottleReason.ACCOUNT
    fill(state, "r", 2)  # the reservation is still there for r
    assert state.admit("r") is ThrottleReason.RESERVED


def test_reservations_shrink_unreserved_capacity() -> None:
    state = ConcurrencyState(limit=5)
    state.set_reserved("r1", 2)
    state.set_reserved("r2", 2)
    fill(state, "a", 1)
    assert state.admit("a") is ThrottleReason.ACCOUNT
    # Reserved invocations do not count against the unreserved pool.
    fill(state, "r1", 2)
    assert state.unreserved_in_flight == 1
    state.set_reserved("r2", None)
    assert state.admit("a") is None


def test_setting_a_reservation_moves_in_flight_out_of_the_unreserved_pool() -> None:
    state = ConcurrencyState(limit=4)
    fill(state, "f", 2)
    fill(state, "g", 1)
    assert state.unreserved_in_flight == 3
    state.set_reserved("f", 2)
    assert state.unreserved_in_flight == 1
    assert state.in_flight["f"] == 2
    assert state.admit("f") is ThrottleReason.RESERVED
    # Both of f's invocations end while reserved: the unreserved pool keeps g's count.
    state.end("f")
    state.end("f")
    assert state.unreserved_in_flight == 1
    assert "f" not in state.in_flight


def test_removing_a_reservation_moves_in_flight_back() -> None:
    state = ConcurrencyState(limit=4)
    state.set_reserved("f", 3)
    fill(state, "f", 2)
    assert state.unreserved_in_flight == 0
    state.set_reserved("f", None)
    assert state.unreserved_in_flight == 2
    assert state.admit("g") is None
    fill(state, "g", 2)
    assert state.admit("g") is ThrottleReason.ACCOUNT
    state.end("f")
    state.end("f")
    assert state.unreserved_in_flight == 2


def test_changing_a_reservation_keeps_in_flight_where_it_is() -> None:
    state = ConcurrencyState(limit=10)
    state.set_reserved("f", 3)
    fill(state, "f", 3)
    state.set_reserved("f", 1)
    assert state.in_flight["f"] == 3
    assert state.unreserved_in_flight == 0
    assert state.admit("f") is ThrottleReason.RESERVED
    state.end("f")
    state.end("f")
    assert state.admit("f") is ThrottleReason.RESERVED  # 1 in flight, 1 reserved
    state.end("f")
    assert state.admit("f") is None


def test_end_never_goes_negative() -> None:
    state = ConcurrencyState(limit=3)
    state.end("never-started")
    state.end("never-started")
    assert state.unreserved_in_flight == 0
    assert state.in_flight == {}
    state.set_reserved("r", 1)
    state.end("r")
    assert state.in_flight == {}
    fill(state, "a", 2)
    assert state.admit("a") is ThrottleReason.ACCOUNT


def test_end_of_an_idle_function_does_not_free_another_functions_slot() -> None:
    state = ConcurrencyState(limit=1)
    fill(state, "busy", 1)
    state.end("idle")
    assert state.unreserved_in_flight == 1
    assert state.admit("other") is ThrottleReason.ACCOUNT


@pytest.mark.parametrize("seed", range(20))
def test_random_sequences_keep_the_counts_consistent(seed: int) -> None:
    """Whatever the order of begins, ends and reservation changes, the unreserved
    count equals the in-flight invocations of unreserved functions and no limit is
    ever exceeded by admitted work."""
    rng = random.Random(seed)
    functions = ["a", "b", "c", "d"]
    state = ConcurrencyState(limit=6)
    running: list[str] = []
    for _ in range(300):
        op = rng.random()
        fn = rng.choice(functions)
        if op < 0.5:
            if state.admit(fn) is None:
                state.begin(fn)
                running.append(fn)
        elif op < 0.85:
            if running:
                done = running.pop(rng.randrange(len(running)))
                state.end(done)
        else:
            others = sum(v for k, v in state.reserved.items() if k != fn)
            value = rng.choice([None, 0, 1, 2])
            if value is None or value + others <= state.limit:
                state.set_reserved(fn, value)
        for f in functions:
            assert state.in_flight.get(f, 0) == running.count(f)
        assert state.unreserved_in_flight == sum(1 for f in running if f not in state.reserved)
        assert all(v > 0 for v in state.in_flight.values())


def test_fixed_keep_alive_is_the_same_for_every_function() -> None:
    policy = FixedKeepAlive(7.5)
    policy.observe_invoke("a", 1.0)
    assert policy.idle_timeout("a") == policy.idle_timeout("b") == 7.5
    assert policy.name == "fixed"
