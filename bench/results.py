"""The outcome of one run: the figures, the targets they are held to, and the JSON
file (:mod:`bench.table` prints them)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .scenarios.coldstart import ColdStartResult
from .scenarios.latency import LatencyResult
from .scenarios.memory import MemoryResult
from .scenarios.snapstart import SnapStartResult
from .scenarios.throughput import ThroughputResult
from .settings import Settings
from .stats import Summary


@dataclass(frozen=True)
class Target:
    """One goal from the issue, and whether this run met it."""

    name: str
    measured: float
    bound: float
    unit: str
    at_least: bool = False
    """True for a floor (throughput), False for a ceiling."""

    @property
    def met(self) -> bool:
        return self.measured >= self.bound if self.at_least else self.measured <= self.bound


@dataclass
class SuiteResult:
    meta: dict[str, Any]
    settings: Settings
    cold_start: list[ColdStartResult]
    warm_latency: LatencyResult
    fastapi_warm_ms: Summary
    throughput: list[ThroughputResult]
    memory_idle: list[MemoryResult]
    memory_after_load: list[MemoryResult]
    foreign_cpu_percent: dict[str, float]
    """Share of the machine's CPU other processes used during each step."""
    wall_time_s: float
    snapstart: SnapStartResult | None = None

    def targets(self, heavy_function: str) -> list[Target]:
        heavy = next(c for c in self.cold_start if c.function == heavy_function)
        warm = self.warm_latency.end_to_end_ms
        best = max(t.load.invocations_per_s for t in self.throughput)
        return [
            Target("cold start / baseline (as specified), p50", heavy.ratio_p50, 1.15, "x"),
            Target("cold start / baseline (as specified), p95", heavy.ratio_p95, 1.15, "x"),
            # Paired per round: the ratio of medians drifts with the machine's speed.
            Target(
                "cold start / import only (stricter), paired p50",
                heavy.paired_strict_ratio_p50,
                1.15,
                "x",
            ),
            Target("cold start / import only (stricter), p95", heavy.strict_ratio_p95, 1.15, "x"),
            Target("warm invoke p50", warm.p50, 1.0, "ms"),
            Target("warm invoke p99", warm.p99, 5.0, "ms"),
            Target("warm throughput (best run)", best, 1500, "/s", at_least=True),
            *self.snapstart_targets(),
        ]

    def snapstart_targets(self) -> list[Target]:
        snap = self.snapstart
        if snap is None:
            return []
        targets: list[Target] = []
        ratios = [("", snap.restores, snap.ratio_fresh_restore_p50)]
        if snap.primed is not None and snap.ratio_fresh_primed_p50 is not None:
            ratios.append((" (primed)", snap.primed, snap.ratio_fresh_primed_p50))
        for label, r, fresh_ratio in ratios:
            targets += [
                Target(f"SnapStart restore{label}, end to end p50", r.restore_ms.p50, 10.0, "ms"),
                Target(f"SnapStart restore{label}, end to end p99", r.restore_ms.p99, 25.0, "ms"),
                Target(f"fresh cold / restore{label}, p50", fresh_ratio, 30.0, "x", at_least=True),
                Target(
                    f"restore{label} / bare fork floor, p50", r.ratio_restore_floor_p50, 3.0, "x"
                ),
                Target(
                    f"restored env{label} PSS / fresh env RSS",
                    r.restored_pss_mb / snap.fresh_rss_mb,
                    1 / 3,
                    "x",
                ),
            ]
        return targets

    def to_json(self, heavy_function: str) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["targets"] = [
            {**dataclasses.asdict(t), "met": t.met} for t in self.targets(heavy_function)
        ]
        return data


def write_json(result: SuiteResult, heavy_function: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json(heavy_function), indent=2) + "\n")
