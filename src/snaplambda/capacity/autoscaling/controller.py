"""Evaluating scalable targets: due scheduled actions, the target's bounds, then
target tracking from the provisioned environments' utilization; each change is
applied through the provisioned concurrency service and recorded as an activity
with its cause.  :class:`AutoScalingController` runs an evaluation every period."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from ...errors import AwsError
from ...execution.fleet import ProvisionedFleet
from ..provisioned import ProvisionedService
from .model import DIMENSION, LOG_GROUP, METRIC, NAMESPACE, Target

LogSink = Callable[[str, str, int, str], None]


class Evaluator:
    """One evaluation of every scalable target at a time (the clock is passed in)."""

    def __init__(
        self,
        targets: Mapping[tuple[str, str], Target],
        provisioned: ProvisionedService,
        fleet: ProvisionedFleet,
        log: LogSink,
        save: Callable[[Target], None],
        clock: Callable[[], float],
    ) -> None:
        self._targets = targets
        self._provisioned = provisioned
        self._fleet = fleet
        self._log = log
        self._save = save
        self.clock = clock
        self._last_eval: float | None = None

    def _current(self, target: Target) -> int:
        try:
            return self._provisioned.get(target.function, target.qualifier).requested
        except AwsError:
            return 0

    def _scale(self, target: Target, desired: int, cause: str, description: str) -> None:
        """Set the provisioned concurrency and record the activity with its cause."""
        current = self._current(target)
        if desired == current:
            return
        now = self.clock()
        status, message = "Successful", f"Successfully set provisioned concurrency to {desired}"
        try:
            if desired == 0:
                self._provisioned.delete(target.function, target.qualifier)
            else:
                body = {"ProvisionedConcurrentExecutions": desired}
                self._provisioned.put(target.function, target.qualifier, body)
        except AwsError as exc:
            status, message = "Failed", f"{exc.aws_type}: {exc.message}"
        activity = {
            "ActivityId": str(uuid.uuid4()),
            "ServiceNamespace": NAMESPACE,
            "ResourceId": target.resource_id,
            "ScalableDimension": DIMENSION,
            "Description": f"{description} from {current} to {desired}",
            "Cause": cause,
            "StartTime": now,
            "EndTime": self.clock(),
            "StatusCode": status,
            "StatusMessage": message,
        }
        target.activities.append(activity)
        self._log(
            LOG_GROUP,
            target.resource_id.replace(":", "/"),
            int(now * 1000),
            f"{activity['Description']}: {status}. Cause: {cause}. {message}",
        )

    def evaluate(self) -> None:
        """One evaluation of every target: due scheduled actions, then policies."""
        now = self.clock()
        after = self._last_eval if self._last_eval is not None else now - 1e-6
        self._last_eval = now
        for target in list(self._targets.values()):
            try:
                self._evaluate(target, after, now)
            except Exception as exc:  # one target must not stop the rest
                self._log(LOG_GROUP, "controller", int(now * 1000), f"{target.resource_id}: {exc}")

    def _evaluate(self, target: Target, after: float, now: float) -> None:
        if not target.suspended.get("ScheduledScalingSuspended"):
            for action in list(target.actions.values()):
                if action.start is not None and now < action.start:
                    continue
                if action.end is not None and now > action.end:
                    continue
                fired = action.schedule.fires(after, now, action.start or action.created)
                if fired is None:
                    continue
                if action.min_capacity is not None:
                    target.min_capacity = action.min_capacity
                if action.max_capacity is not None:
                    target.max_capacity = action.max_capacity
                target.max_capacity = max(target.max_capacity, target.min_capacity)
                self._save(target)
                when = datetime.fromtimestamp(fired, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                current = self._current(target)
                desired = min(target.max_capacity, max(target.min_capacity, current))
                self._scale(
                    target,
                    desired,
                    f"scheduled action name {action.name} was triggered ({action.schedule_text}"
                    f" at {when}): min capacity {target.min_capacity}, max capacity "
                    f"{target.max_capacity}",
                    "Setting desired concurrency",
                )
        current = self._current(target)
        if current < target.min_capacity or current > target.max_capacity:
            desired = min(target.max_capacity, max(target.min_capacity, current))
            self._scale(
                target,
                desired,
                f"capacity {current} outside of the scalable target's bounds "
                f"[{target.min_capacity}, {target.max_capacity}]",
                "Setting desired concurrency",
            )
            current = desired
        if not target.policies:
            target.last_busy = None
            return
        utilization = self._utilization(target)
        if utilization is None or current == 0:
            return
        for policy in target.policies.values():
            tracker = policy.tracker
            desired = tracker.desired(
                current, utilization, now, (target.min_capacity, target.max_capacity)
            )
            if desired > current and target.suspended.get("DynamicScalingOutSuspended"):
                continue
            no_scale_in = policy.config.get("DisableScaleIn") or target.suspended.get(
                "DynamicScalingInSuspended"
            )
            if desired < current and no_scale_in:
                continue
            if desired != current:
                self._scale(
                    target,
                    desired,
                    f"monitor alarm TargetTracking-{target.resource_id}-"
                    f"{'AlarmHigh' if desired > current else 'AlarmLow'} in state ALARM "
                    f"triggered policy {policy.name}: {METRIC} {utilization:.2f} against "
                    f"target {tracker.target}",
                    "Setting desired concurrency",
                )
                return

    def _utilization(self, target: Target) -> float | None:
        """Busy share of the allocated provisioned environment time since the last
        evaluation (``None`` on the first)."""
        stats = self._fleet.stats(target.function).get(target.qualifier)
        if stats is None:
            target.last_busy = None
            return None
        sample = (stats.busy_seconds, stats.allocated_seconds)
        previous, target.last_busy = target.last_busy, sample
        if previous is None:
            return None
        allocated = sample[1] - previous[1]
        if allocated <= 0:
            return 0.0
        return max(0.0, min(1.0, (sample[0] - previous[0]) / allocated))


class AutoScalingController:
    """Runs ``evaluate`` (the service's evaluation) every ``period_s`` seconds."""

    def __init__(self, evaluate: Callable[[], None], period_s: float) -> None:
        self._evaluate = evaluate
        self._period_s = period_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._period_s)
            self._evaluate()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
