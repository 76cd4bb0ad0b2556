"""Weighted alias routing: the pure version choice and RoutingConfig validation."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from snaplambda.control.errors import InvalidParameterValue, ValidationError
from snaplambda.control.routing import choose_version, parse_routing


def draws(*values: float) -> Any:
    """A random source returning ``values`` in turn."""
    it: Iterator[float] = iter(values)
    return lambda: next(it)


def test_no_routing_is_the_primary_without_drawing() -> None:
    def never() -> float:
        raise AssertionError("drew a number without routing")

    assert choose_version("3", {}, never) == "3"


@pytest.mark.parametrize(
    ("draw", "expected"),
    [(0.0, "2"), (0.2999, "2"), (0.3, "1"), (0.9999, "1")],
)
def test_the_additional_version_takes_the_slice_below_its_weight(
    draw: float, expected: str
) -> None:
    assert choose_version("1", {"2": 0.3}, draws(draw)) == expected


def test_weight_one_always_and_zero_never() -> None:
    assert {choose_version("1", {"2": 1.0}, draws(d)) for d in (0.0, 0.5, 0.999999)} == {"2"}
    assert {choose_version("1", {"2": 0.0}, draws(d)) for d in (0.0, 0.5, 0.999999)} == {"1"}


def test_one_draw_per_choice() -> None:
    source = draws(0.1, 0.9)
    assert [choose_version("1", {"2": 0.5}, source) for _ in range(2)] == ["2", "1"]


def test_shares_follow_the_weights() -> None:
    rng = random.Random(1234)
    counts = Counter(choose_version("1", {"2": 0.25}, rng.random) for _ in range(20_000))
    assert abs(counts["2"] / 20_000 - 0.25) < 0.02


@pytest.mark.parametrize(
    "value", [None, {}, {"AdditionalVersionWeights": {}}, {"AdditionalVersionWeights": None}]
)
def test_absent_or_empty_routing_is_none(value: object) -> None:
    assert parse_routing(value, "1") == {}


def test_valid_routing_parses_to_floats() -> None:
    assert parse_routing({"AdditionalVersionWeights": {"2": 1}}, "1") == {"2": 1.0}
    assert parse_routing({"AdditionalVersionWeights": {"10": 0.05}}, "9") == {"10": 0.05}


@pytest.mark.parametrize(
    ("weights", "primary", "error", "needle"),
    [
        ({"2": 0.1, "3": 0.1}, "1", InvalidParameterValue, "cannot be greater than 1"),
        ({"2": 1.01}, "1", ValidationError, "1.01"),
        ({"2": -0.1}, "1", ValidationError, "-0.1"),
        ({"2": "0.5"}, "1", ValidationError, "0.5"),
        ({"2": True}, "1", ValidationError, "True"),
        ({"1": 0.5}, "1", InvalidParameterValue, "already included"),
        ({"2": 0.5}, "$LATEST", InvalidParameterValue, "$LATEST is not supported"),
        ({"$LATEST": 0.5}, "1", ValidationError, "[0-9]+"),
        ({"beta": 0.5}, "1", ValidationError, "beta"),
        ({"2\n": 0.5}, "1", ValidationError, "[0-9]+"),
    ],
)
def test_invalid_routing_names_the_problem(
    weights: dict[str, Any], primary: str, error: type[Exception], needle: str
) -> None:
    with pytest.raises(error) as info:
        parse_routing({"AdditionalVersionWeights": weights}, primary)
    assert needle in str(info.value)


@pytest.mark.parametrize("value", ["2", ["2"], {"AdditionalVersionWeights": ["2"]}])
def test_malformed_routing_config(value: object) -> None:
    with pytest.raises(InvalidParameterValue):
        parse_routing(value, "1")
