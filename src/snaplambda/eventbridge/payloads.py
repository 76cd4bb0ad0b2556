"""What a scheduled fire sends its target: EventBridge's ``Scheduled Event``, or a
target's own ``Input`` (with Scheduler's context attributes filled in).  Pure."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson


def iso(when: float) -> str:
    """``when`` as AWS writes event times: ``2026-12-07T10:00:00Z``."""
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scheduled_event(event_id: str, rule_arn: str, when: float, account: str, region: str) -> bytes:
    """The event a scheduled rule sends a target that has no ``Input``."""
    return orjson.dumps(
        {
            "version": "0",
            "id": event_id,
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": account,
            "time": iso(when),
            "region": region,
            "resources": [rule_arn],
            "detail": {},
        }
    )


def scheduler_input(text: str, schedule_arn: str, when: float, execution_id: str) -> bytes:
    """A schedule's ``Input`` with Scheduler's context attributes replaced (the
    first attempt's: the async queue's retries do not renumber it)."""
    for keyword, value in (
        ("<aws.scheduler.schedule-arn>", schedule_arn),
        ("<aws.scheduler.scheduled-time>", iso(when)),
        ("<aws.scheduler.execution-id>", execution_id),
        ("<aws.scheduler.attempt-number>", "1"),
    ):
        text = text.replace(keyword, value)
    return text.encode()
