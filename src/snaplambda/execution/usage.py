"""Per function and qualifier: the numbers to decide keep-alive and provisioned
concurrency with (beyond AWS).  Counting only; the pool and fleet feed it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..control.models import LATEST


def gb_seconds(seconds: float, memory_mb: int) -> float:
    """Environment time in Lambda's billing unit: seconds times memory in GB."""
    return seconds * memory_mb / 1024


@dataclass
class _Counts:
    invocations: int = 0
    cold_starts: int = 0
    provisioned: int = 0


@dataclass
class Usage:
    """Invocations, cold starts and idle environment time, by (function, qualifier)."""

    _counts: dict[tuple[str, str], _Counts] = field(default_factory=dict)
    _idle_gb_s: dict[tuple[str, str], float] = field(default_factory=dict)

    def invoke(self, function: str, qualifier: str | None, cold: bool, provisioned: bool) -> None:
        counts = self._counts.setdefault((function, qualifier or LATEST), _Counts())
        counts.invocations += 1
        counts.cold_starts += cold
        counts.provisioned += provisioned

    def idle(self, function: str, version: str, seconds: float, memory_mb: int) -> None:
        """An on-demand environment of ``function:version`` was idle ``seconds``."""
        key = (function, version)
        self._idle_gb_s[key] = self._idle_gb_s.get(key, 0.0) + gb_seconds(seconds, memory_mb)

    def forget(self, function: str) -> None:
        for table in (self._counts, self._idle_gb_s):
            for key in [k for k in table if k[0] == function]:
                del table[key]

    def report(self, function: str, idle_now: dict[str, float]) -> dict[str, dict[str, Any]]:
        """By qualifier: ``Invocations``, ``ColdStarts``, ``ColdStartRate``,
        ``ProvisionedInvocations``, ``IdleGBSeconds`` (on-demand environments of a
        version, ``idle_now`` adding those idle at this moment)."""
        out: dict[str, dict[str, Any]] = {}
        for (name, qualifier), c in self._counts.items():
            if name == function:
                out[qualifier] = {
                    "Invocations": c.invocations,
                    "ColdStarts": c.cold_starts,
                    "ColdStartRate": round(c.cold_starts / c.invocations, 4)
                    if c.invocations
                    else 0.0,
                    "ProvisionedInvocations": c.provisioned,
                }
        versions = {v for (n, v) in self._idle_gb_s if n == function} | set(idle_now)
        for version in versions:
            gb_s = self._idle_gb_s.get((function, version), 0.0) + idle_now.get(version, 0.0)
            row = out.setdefault(
                version,
                {
                    "Invocations": 0,
                    "ColdStarts": 0,
                    "ColdStartRate": 0.0,
                    "ProvisionedInvocations": 0,
                },
            )
            row["IdleGBSeconds"] = round(gb_s, 3)
        return out
