"""The adaptive (hybrid histogram) keep-alive policy: histogram, decisions and
fallbacks, and simulated against the fixed policy on synthetic workloads."""

from __future__ import annotations

import random

import pytest

from snaplambda.execution.keepalive import (
    FixedKeepAlive,
    HybridHistogramKeepAlive,
    IdleHistogram,
    make_policy,
    simulate,
)

MIN = 60.0


def feed(policy: HybridHistogramKeepAlive, gaps: list[float], duration: float = 1.0) -> None:
    now = 0.0
    for gap in gaps:
        policy.observe_invoke("f", now)
        policy.observe_end("f", now + duration)
        now += duration + gap


def test_histogram_buckets_percentiles_and_out_of_bounds() -> None:
    hist = IdleHistogram.empty(MIN, 4 * 3600)
    assert len(hist.buckets) == 240
    for idle in (30, 90, 95, 150, 5 * 3600):
        hist.add(idle)
    assert hist.buckets[:3] == [1, 2, 1]
    assert hist.out_of_bounds == 1
    assert hist.samples == 5
    assert hist.percentile(50) == 2 * MIN  # the bucket [60, 120) holds the median
    assert hist.percentile(99) == 3 * MIN
    assert hist.head_edge(5) == 0.0


def test_too_few_samples_fall_back_to_fixed() -> None:
    policy = HybridHistogramKeepAlive(600)
    feed(policy, [20 * MIN] * 5)
    decision = policy.decision("f")
    assert (decision.source, decision.keep_alive_s, decision.prewarm_s) == ("fixed", 600, 0)
    assert policy.idle_timeout("f") == 600
    assert policy.idle_timeout("never-seen") == 600


def test_concentrated_idle_times_give_head_and_tail_windows() -> None:
    policy = HybridHistogramKeepAlive(600)
    feed(policy, [20 * MIN + 10] * 30)  # always ~20 minutes apart
    decision = policy.decision("f")
    assert decision.source == "histogram"
    # Head: the bucket [20, 21) min, less 10 %; tail: its upper edge plus 10 %.
    assert decision.prewarm_s == pytest.approx(20 * MIN * 0.9)
    assert decision.keep_alive_s == pytest.approx(21 * MIN * 1.1)
    assert policy.idle_timeout("f") == decision.keep_alive_s


def test_flat_distribution_falls_back() -> None:
    rng = random.Random(1)
    policy = HybridHistogramKeepAlive(600)
    feed(policy, [rng.uniform(0, 4 * 3600) for _ in range(2000)])
    assert policy.decision("f").source == "fixed"


def test_mostly_out_of_range_falls_back() -> None:
    policy = HybridHistogramKeepAlive(600)
    feed(policy, [5 * 3600] * 20 + [60] * 5)
    assert policy.decision("f").source == "fixed"


def test_overlapping_invocations_are_not_idle_time() -> None:
    policy = HybridHistogramKeepAlive(600, min_samples=1)
    policy.observe_invoke("f", 0)
    policy.observe_invoke("f", 1)  # the first still runs: no idle sample
    policy.observe_end("f", 2)
    policy.observe_end("f", 3)
    policy.observe_invoke("f", 3 + 5 * MIN)
    assert policy._functions["f"].histogram.samples == 1
    assert policy._functions["f"].histogram.buckets[5] == 1


def test_make_policy() -> None:
    assert isinstance(make_policy("fixed", 5), FixedKeepAlive)
    assert isinstance(make_policy("adaptive", 5), HybridHistogramKeepAlive)
    with pytest.raises(ValueError):
        make_policy("sometimes", 5)


def periodic(
    period: float, jitter: float, hours: float, seed: int = 0
) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    out, t = [], 0.0
    while t < hours * 3600:
        out.append((t, 1.0))
        t += period + rng.uniform(-jitter, jitter)
    return out


def test_simulated_periodic_workload() -> None:
    """A timer-like function every ~20 minutes: a 10-minute fixed keep-alive misses
    every time; the adaptive policy learns and then stays warm; with pre-warming it
    also leaves the environment unloaded for most of each gap."""
    arrivals = periodic(20 * MIN, MIN, hours=48)
    fixed = simulate(FixedKeepAlive(600), "f", arrivals)
    adaptive = simulate(HybridHistogramKeepAlive(600), "f", arrivals)
    prewarmed = simulate(HybridHistogramKeepAlive(600), "f", arrivals, prewarm=True)
    assert fixed.cold_starts == fixed.invocations
    assert adaptive.cold_starts <= 12  # the first samples, then warm
    assert prewarmed.cold_starts <= 12
    assert prewarmed.idle_seconds < adaptive.idle_seconds / 4
    # A fixed keep-alive long enough to stay warm wastes far more idle time.
    long_fixed = simulate(FixedKeepAlive(4 * 3600), "f", arrivals)
    assert long_fixed.cold_starts == 1
    assert prewarmed.idle_seconds < long_fixed.idle_seconds / 4


def test_simulated_rare_workload_matches_fixed() -> None:
    """Invocations hours apart, beyond the histogram: the fallback behaves as fixed."""
    arrivals = periodic(6 * 3600, 600, hours=24 * 7)
    fixed = simulate(FixedKeepAlive(600), "f", arrivals)
    adaptive = simulate(HybridHistogramKeepAlive(600), "f", arrivals)
    assert (adaptive.cold_starts, adaptive.idle_seconds) == (fixed.cold_starts, fixed.idle_seconds)


def test_prewarm_plan() -> None:
    from snaplambda.execution.keepalive import prewarm_plan

    assert prewarm_plan(FixedKeepAlive(600), "f") is None
    policy = HybridHistogramKeepAlive(600)
    assert prewarm_plan(policy, "f") is None  # nothing learned: keep loaded
    feed(policy, [20 * MIN + 10] * 30)
    plan = prewarm_plan(policy, "f")
    assert plan is not None
    unloaded, kept = plan
    assert unloaded == pytest.approx(20 * MIN * 0.9)
    assert unloaded + kept == pytest.approx(21 * MIN * 1.1)
    busy = HybridHistogramKeepAlive(600)
    feed(busy, [5.0] * 30)  # back to back: the head is bucket 0, no unloading
    assert busy.decision("f").source == "histogram"
    assert prewarm_plan(busy, "f") is None
    small = make_policy("adaptive", 600, bucket_s=0.25)
    assert isinstance(small, HybridHistogramKeepAlive)
    assert small.range_s == 60.0
