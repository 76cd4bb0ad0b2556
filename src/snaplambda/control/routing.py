"""Weighted alias routing: validating ``RoutingConfig`` and choosing the version an
invoke runs.  Pure: no store, no clock; randomness comes in as a function.

An alias points to a primary version and may send a share of its invokes to one
additional version: ``{"AdditionalVersionWeights": {"2": 0.1}}`` runs version 2 for
about 10% of invokes and the primary for the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .errors import InvalidParameterValue, ValidationError
from .models import LATEST

MAX_ADDITIONAL_VERSIONS = 1
_VERSION_NUMBER = re.compile(r"[0-9]{1,1024}")  # applied with fullmatch

RandomSource = Callable[[], float]
"""Returns a float in [0.0, 1.0), like :func:`random.random`."""


def _weights_error(key: object, value: object, constraint: str) -> ValidationError:
    return ValidationError(
        f"1 validation error detected: Value '{{{key}={value}}}' at "
        f"'routingConfig.additionalVersionWeights' failed to satisfy constraint: {constraint}"
    )


def parse_routing(value: object, primary: str) -> dict[str, float]:
    """Validate a ``RoutingConfig`` for an alias whose primary version is ``primary``.

    Returns additional version -> weight; empty when ``value`` is absent, ``{}`` or
    has no weights (which clears routing).  At most one additional version, a
    published version number other than ``primary``, weighted 0.0-1.0; an alias on
    $LATEST cannot route.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidParameterValue(
            f"Value '{value}' at 'routingConfig' is not allowed: expected "
            '{"AdditionalVersionWeights": {"<version>": <weight 0.0-1.0>}}'
        )
    weights = value.get("AdditionalVersionWeights") or {}
    if not isinstance(weights, Mapping):
        raise InvalidParameterValue(
            f"Value '{weights}' at 'routingConfig.additionalVersionWeights' is not allowed: "
            'expected {"<version>": <weight 0.0-1.0>}'
        )
    if len(weights) > MAX_ADDITIONAL_VERSIONS:
        raise InvalidParameterValue(
            f"Number of items in AdditionalVersionWeights cannot be greater than "
            f"{MAX_ADDITIONAL_VERSIONS} (got {len(weights)}: {', '.join(map(str, weights))})"
        )
    parsed: dict[str, float] = {}
    for key, weight in weights.items():
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not 0.0 <= weight <= 1.0
        ):
            raise _weights_error(
                key,
                weight,
                "Map value must satisfy constraint: [Member must have value less than or "
                "equal to 1.0, Member must have value greater than or equal to 0.0]",
            )
        if key == primary:
            raise InvalidParameterValue(
                f"Invalid function version {primary}. Function version {primary} is already "
                "included in routing configuration."
            )
        if primary == LATEST:
            raise InvalidParameterValue(
                "$LATEST is not supported for an alias pointing to more than 1 version"
            )
        if not isinstance(key, str) or not _VERSION_NUMBER.fullmatch(key):
            raise _weights_error(
                key,
                weight,
                "Map keys must satisfy constraint: [Member must satisfy regular expression "
                "pattern: [0-9]+ (a published version number)]",
            )
        parsed[key] = float(weight)
    return parsed


def choose_version(primary: str, weights: Mapping[str, float], random: RandomSource) -> str:
    """The version one invoke of an alias runs.

    One draw from ``random``: each additional version takes the slice of [0, 1) its
    weight covers, the primary the rest.  A weight of 1.0 always wins (draws are
    below 1.0); 0.0 never does.

    >>> choose_version("1", {"2": 0.25}, lambda: 0.1)
    '2'
    >>> choose_version("1", {"2": 0.25}, lambda: 0.25)
    '1'
    """
    if not weights:
        return primary
    draw = random()
    edge = 0.0
    for version, weight in weights.items():
        edge += weight
        if draw < edge:
            return version
    return primary
