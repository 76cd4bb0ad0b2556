"""Target tracking of provisioned concurrency, as Application Auto Scaling does it for
Lambda: a pure decision with the clock passed in (driven by ``snaplambda.capacity.autoscaling``,
which also applies the scheduled actions).

It keeps the utilization (busy share of the provisioned environments, Lambda's
``ProvisionedConcurrencyUtilization``) near a target:
``desired = ceil(current * utilization / target)``, clamped to the scalable target's
[min, max] (passed with each sample); scaling out waits ``scale_out_cooldown_s``
after the last change, scaling in ``scale_in_cooldown_s`` and only when every
sample of the last window is low.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass
class TargetTracking:
    """One target-tracking policy; feed it samples with :meth:`desired`."""

    target: float = 0.7
    scale_out_cooldown_s: float = 60.0
    scale_in_cooldown_s: float = 300.0
    window: int = 5
    """Samples that must all be low before scaling in."""
    _last_change: float = field(default=-math.inf)
    _samples: deque[float] = field(default_factory=deque)

    def desired(self, current: int, utilization: float, now: float, bounds: tuple[int, int]) -> int:
        """The capacity to set now, given the current one (within ``bounds``, the
        scalable target's (min, max) capacity) and this sample."""
        self._samples.append(utilization)
        while len(self._samples) > self.window:
            self._samples.popleft()
        low, high = bounds[0], max(bounds)
        wanted = min(high, max(low, math.ceil(current * utilization / self.target)))
        if wanted > current and now - self._last_change >= self.scale_out_cooldown_s:
            self._last_change = now
            return wanted
        if (
            wanted < current
            and len(self._samples) == self.window
            and now - self._last_change >= self.scale_in_cooldown_s
        ):
            peak = max(self._samples)
            wanted = min(high, max(low, math.ceil(current * peak / self.target)))
            if wanted < current:
                self._last_change = now
                return wanted
        return current
