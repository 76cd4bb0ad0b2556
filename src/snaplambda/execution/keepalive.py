"""Keep-alive policies for on-demand environments: pure decisions, no I/O, with the
clock passed in, so they can be unit-tested and simulated.

``fixed`` keeps every idle environment for the same time (Lambda-like).  ``adaptive``
is the hybrid histogram policy of *Serverless in the Wild* (Shahrad et al., USENIX
ATC 2020): per function, a histogram of idle times (the gap between the end of the
last invocation and the start of the next, when none was running) in one-minute
buckets up to four hours.  When it holds enough samples, few of them beyond the
range, and its shape is representative (the bucket counts' coefficient of variation
is high, i.e. idle times concentrate), the policy takes

* a **pre-warm window**: the head (5th) percentile less a 10 % margin: the function
  is not expected again sooner, so its environment could be unloaded after use and
  started again just before then;
* a **keep-alive window**: the tail (99th) percentile plus a 10 % margin, measured
  from the end of the last invocation.

Otherwise it falls back to the fixed keep-alive.  ``idle_timeout`` is the whole
keep-alive window (an environment that stays loaded); :func:`prewarm_plan` tells the
pool when to unload after use and pre-warm instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol


class KeepAlivePolicy(Protocol):
    """Decides how long an idle environment is kept before it is shut down."""

    name: str

    def idle_timeout(self, function: str) -> float: ...

    def observe_invoke(self, function: str, now: float) -> None: ...

    def observe_end(self, function: str, now: float) -> None: ...


@dataclass
class FixedKeepAlive:
    """Keep every idle environment for the same time (Lambda-like scale to zero)."""

    seconds: float
    name: str = "fixed"

    def idle_timeout(self, function: str) -> float:
        return self.seconds

    def observe_invoke(self, function: str, now: float) -> None:
        pass

    def observe_end(self, function: str, now: float) -> None:
        pass


PolicyName = Literal["fixed", "adaptive"]


@dataclass(frozen=True, slots=True)
class Decision:
    """How to treat one function's environments after an invocation: unload them
    if ``prewarm_s`` > 0 and start one again ``prewarm_s`` after the invocation
    ended; keep it until ``keep_alive_s`` after the end.  ``source`` says whether
    the histogram or the fixed fallback decided."""

    prewarm_s: float
    keep_alive_s: float
    source: Literal["histogram", "fixed"]


@dataclass
class IdleHistogram:
    """Idle times of one function in ``bucket_s`` buckets up to ``range_s``."""

    bucket_s: float
    buckets: list[int]
    out_of_bounds: int = 0

    @classmethod
    def empty(cls, bucket_s: float, range_s: float) -> IdleHistogram:
        return cls(bucket_s, [0] * max(1, math.ceil(range_s / bucket_s)))

    @property
    def samples(self) -> int:
        return sum(self.buckets) + self.out_of_bounds

    def add(self, idle_s: float) -> None:
        index = int(max(0.0, idle_s) // self.bucket_s)
        if index < len(self.buckets):
            self.buckets[index] += 1
        else:
            self.out_of_bounds += 1

    def percentile(self, pct: float) -> float:
        """The upper edge (seconds) of the bucket holding the ``pct`` percentile of
        the in-range samples (0 if there are none)."""
        total = sum(self.buckets)
        if total == 0:
            return 0.0
        wanted = total * pct / 100.0
        seen = 0
        for index, count in enumerate(self.buckets):
            seen += count
            if seen >= wanted and count:
                return (index + 1) * self.bucket_s
        return len(self.buckets) * self.bucket_s

    def head_edge(self, pct: float) -> float:
        """The lower edge of the bucket holding the ``pct`` percentile: idle times
        below it are (nearly) never seen."""
        edge = self.percentile(pct)
        return max(0.0, edge - self.bucket_s)

    def coefficient_of_variation(self) -> float:
        """Standard deviation over mean of the bucket counts (0 for no samples)."""
        n = len(self.buckets)
        mean = sum(self.buckets) / n
        if mean == 0:
            return 0.0
        var = sum((c - mean) ** 2 for c in self.buckets) / n
        return math.sqrt(var) / mean


@dataclass
class _FunctionState:
    histogram: IdleHistogram
    in_flight: int = 0
    last_end: float | None = None
    cached: Decision | None = None


@dataclass
class HybridHistogramKeepAlive:
    """The adaptive policy; see the module's documentation."""

    fixed_s: float
    bucket_s: float = 60.0
    range_s: float = 4 * 3600.0
    min_samples: int = 10
    head_pct: float = 5.0
    tail_pct: float = 99.0
    margin: float = 0.10
    cv_threshold: float = 2.0
    """Below this coefficient of variation the histogram is too flat to predict."""
    max_out_of_bounds: float = 0.5
    """Above this share of idle times beyond the range, fall back."""
    name: str = "adaptive"
    _functions: dict[str, _FunctionState] = field(default_factory=dict)

    def _state(self, function: str) -> _FunctionState:
        state = self._functions.get(function)
        if state is None:
            state = _FunctionState(IdleHistogram.empty(self.bucket_s, self.range_s))
            self._functions[function] = state
        return state

    # -- observations (the pool calls these) -------------------------------------

    def observe_invoke(self, function: str, now: float) -> None:
        """An invocation starts: if none was running, the gap since the last end is
        one idle time."""
        state = self._state(function)
        if state.in_flight == 0 and state.last_end is not None:
            state.histogram.add(now - state.last_end)
            state.cached = None
        state.in_flight += 1

    def observe_end(self, function: str, now: float) -> None:
        state = self._state(function)
        state.in_flight = max(0, state.in_flight - 1)
        if state.in_flight == 0:
            state.last_end = now

    def forget(self, function: str) -> None:
        self._functions.pop(function, None)

    # -- decisions ------------------------------------------------------------------

    def decision(self, function: str) -> Decision:
        state = self._functions.get(function)
        if state is None:
            return Decision(0.0, self.fixed_s, "fixed")
        if state.cached is None:
            state.cached = self._decide(state.histogram)
        return state.cached

    def _decide(self, hist: IdleHistogram) -> Decision:
        fixed = Decision(0.0, self.fixed_s, "fixed")
        samples = hist.samples
        if samples < self.min_samples:
            return fixed
        if hist.out_of_bounds / samples > self.max_out_of_bounds:
            return fixed  # the paper predicts these with a time-series model instead
        if hist.coefficient_of_variation() < self.cv_threshold:
            return fixed
        head = hist.head_edge(self.head_pct) * (1.0 - self.margin)
        tail = hist.percentile(self.tail_pct) * (1.0 + self.margin)
        return Decision(head, max(tail, self.bucket_s), "histogram")

    def idle_timeout(self, function: str) -> float:
        """Without pre-warming, the environment stays for the whole keep-alive."""
        return self.decision(function).keep_alive_s


def prewarm_plan(policy: KeepAlivePolicy, function: str) -> tuple[float, float] | None:
    """``(unloaded for, then kept for)`` seconds after an invocation of ``function``
    ends, when ``policy`` predicts from its histogram that the next invoke comes no
    sooner than a pre-warm window; None to keep the environment loaded as usual."""
    decision = getattr(policy, "decision", None)
    if decision is None:
        return None
    choice: Decision = decision(function)
    if choice.source != "histogram" or choice.prewarm_s <= 0:
        return None
    if choice.keep_alive_s <= choice.prewarm_s:
        return None
    return choice.prewarm_s, choice.keep_alive_s - choice.prewarm_s


def make_policy(name: str, fixed_s: float, bucket_s: float = 60.0) -> KeepAlivePolicy:
    """The platform's keep-alive policy by name (``fixed`` or ``adaptive``, whose
    histogram has 240 buckets of ``bucket_s``)."""
    if name == "fixed":
        return FixedKeepAlive(fixed_s)
    if name == "adaptive":
        return HybridHistogramKeepAlive(fixed_s, bucket_s=bucket_s, range_s=240 * bucket_s)
    raise ValueError(f"unknown keep-alive policy {name!r}: use 'fixed' or 'adaptive'")


@dataclass(frozen=True, slots=True)
class SimulationResult:
    invocations: int
    cold_starts: int
    idle_seconds: float
    """Seconds environments spent loaded but idle (multiply by memory for GB-s)."""

    @property
    def cold_rate(self) -> float:
        return self.cold_starts / self.invocations if self.invocations else 0.0


def simulate(
    policy: KeepAlivePolicy,
    function: str,
    arrivals: Iterable[tuple[float, float]],
    prewarm: bool = False,
) -> SimulationResult:
    """Replay ``(start, duration)`` invocations of one function, one at a time, on a
    single environment kept as ``policy`` says.  With ``prewarm`` and a policy that
    decides pre-warm windows, the environment is unloaded after use and loaded
    again when the window ends (a cold start is one that finds it not loaded)."""
    cold = invocations = 0
    idle = 0.0
    loaded_until: float | None = None  # the environment exists until then
    loaded_from = 0.0  # ... and from then on (a pre-warm)
    last_end: float | None = None
    for start, duration in sorted(arrivals):
        invocations += 1
        warm = loaded_until is not None and loaded_from <= start <= loaded_until
        if last_end is not None and loaded_until is not None:
            idle_end = start if warm else loaded_until
            idle += max(0.0, min(idle_end, loaded_until) - max(last_end, loaded_from))
        if not warm:
            cold += 1
        policy.observe_invoke(function, start)
        end = start + duration
        policy.observe_end(function, end)
        last_end = end
        decide = getattr(policy, "decision", None)
        if prewarm and decide is not None:
            choice: Decision = decide(function)
            loaded_from = end + choice.prewarm_s
            loaded_until = end + choice.keep_alive_s
        else:
            loaded_from = end
            loaded_until = end + policy.idle_timeout(function)
    return SimulationResult(invocations, cold, idle)
