"""Pure admission decisions, free of I/O so they can be simulated.

Concurrency follows Lambda's model: a function with reserved concurrency may run at
most that many invocations at once and no more; all other functions share what the
platform limit leaves unreserved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ThrottleReason(StrEnum):
    RESERVED = "ReservedFunctionConcurrentInvocationLimitExceeded"
    ACCOUNT = "ConcurrentInvocationLimitExceeded"


@dataclass
class ConcurrencyState:
    """In-flight invocations per function, and reservations."""

    limit: int
    in_flight: dict[str, int] = field(default_factory=dict)
    reserved: dict[str, int] = field(default_factory=dict)
    unreserved_in_flight: int = 0

    def admit(self, function: str) -> ThrottleReason | None:
        """Why ``function`` may not start another invocation now, or ``None``."""
        reserved = self.reserved.get(function)
        if reserved is not None:
            return ThrottleReason.RESERVED if self.in_flight.get(function, 0) >= reserved else None
        unreserved_capacity = self.limit - sum(self.reserved.values())
        if self.unreserved_in_flight >= unreserved_capacity:
            return ThrottleReason.ACCOUNT
        return None

    def begin(self, function: str) -> None:
        self.in_flight[function] = self.in_flight.get(function, 0) + 1
        if function not in self.reserved:
            self.unreserved_in_flight += 1

    def end(self, function: str) -> None:
        count = self.in_flight.get(function, 0)
        if count == 0:
            # Nothing of this function is in flight: an unmatched end must not free
            # a slot another function holds in the shared pool.
            return
        if count > 1:
            self.in_flight[function] = count - 1
        else:
            del self.in_flight[function]
        if function not in self.reserved:
            self.unreserved_in_flight = max(0, self.unreserved_in_flight - 1)

    def set_reserved(self, function: str, value: int | None) -> None:
        """Change a reservation; the function's in-flight count moves pools with it."""
        was_reserved = function in self.reserved
        current = self.in_flight.get(function, 0)
        if value is None:
            self.reserved.pop(function, None)
            if was_reserved:
                self.unreserved_in_flight += current
        else:
            self.reserved[function] = value
            if not was_reserved:
                self.unreserved_in_flight = max(0, self.unreserved_in_flight - current)
