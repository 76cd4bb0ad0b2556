"""Auto scaling decisions of provisioned concurrency (pure, clock injected)."""

from __future__ import annotations

from snaplambda.capacity.autoscaling.tracking import TargetTracking


def test_scales_out_toward_the_target_with_cooldown() -> None:
    policy = TargetTracking(target=0.5, scale_out_cooldown_s=60)
    assert policy.desired(2, 1.0, now=0, bounds=(1, 10)) == 4
    assert policy.desired(4, 1.0, now=30, bounds=(1, 10)) == 4  # cooling down
    assert policy.desired(4, 1.0, now=61, bounds=(1, 10)) == 8
    assert policy.desired(8, 1.0, now=200, bounds=(1, 10)) == 10  # the maximum


def test_scales_in_only_after_a_whole_low_window_and_cooldown() -> None:
    policy = TargetTracking(target=0.5, scale_in_cooldown_s=100, window=3)
    assert policy.desired(8, 0.1, now=0, bounds=(1, 10)) == 8  # one low sample is not enough
    assert policy.desired(8, 0.1, now=10, bounds=(1, 10)) == 8
    assert policy.desired(8, 0.25, now=20, bounds=(1, 10)) == 4  # peak 0.25 of 8 -> 4 at 0.5
    assert policy.desired(4, 0.0, now=50, bounds=(1, 10)) == 4  # cooling down
    assert policy.desired(4, 0.0, now=60, bounds=(1, 10)) == 4
    assert policy.desired(4, 0.0, now=130, bounds=(1, 10)) == 1  # the minimum


def test_simulated_daily_load_tracks_target() -> None:
    """A day of load (busy environments wanted) sampled every minute: capacity
    follows it, utilization stays under 100 % except while scaling out."""
    import math

    policy = TargetTracking(target=0.7, window=5)
    capacity = 1
    saturated = 0
    for minute in range(24 * 60):
        demand = 10 + 8 * math.sin(minute / (24 * 60) * 2 * math.pi)
        utilization = min(1.0, demand / capacity)
        saturated += utilization >= 1.0
        capacity = policy.desired(capacity, utilization, now=minute * 60.0, bounds=(1, 50))
    assert 8 <= capacity <= 20
    assert saturated < 30
