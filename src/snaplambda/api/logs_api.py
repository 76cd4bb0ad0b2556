"""A CloudWatch Logs subset over the JSON protocol (``X-Amz-Target: Logs_20140328.*``):
enough for ``boto3.client("logs")`` and ``snaplambda logs`` to read function logs."""

from __future__ import annotations

import asyncio
from typing import Any

from ..observability.logstore import LogStore
from .errors import ApiError


def _events(store: LogStore, body: dict[str, Any]) -> dict[str, Any]:
    group = body.get("logGroupName")
    if not group:
        raise ApiError("InvalidParameterException", 400, "logGroupName is required")
    if group not in store.groups(group):
        raise ApiError(
            "ResourceNotFoundException", 400, f"The specified log group does not exist: {group}"
        )
    limit = int(body.get("limit") or 10000)
    after = int(body.get("nextToken") or 0)
    streams = body.get("logStreamNames") or None
    prefix = body.get("logStreamNamePrefix")
    if prefix and not streams:
        streams = [s.stream for s in store.streams(group) if s.stream.startswith(prefix)]
        if not streams:
            return {"events": [], "searchedLogStreams": []}
    events = store.filter(
        group,
        streams=streams,
        start_ms=body.get("startTime"),
        end_ms=body.get("endTime"),
        contains=(body.get("filterPattern") or "").strip('"') or None,
        after_id=after,
        limit=limit + 1,
    )
    page = events[:limit]
    out: dict[str, Any] = {
        "events": [
            {
                "logStreamName": e.stream,
                "timestamp": e.timestamp,
                "message": e.message,
                "ingestionTime": e.ingestion_time,
                "eventId": str(e.event_id),
            }
            for e in page
        ],
        "searchedLogStreams": [],
    }
    if len(events) > limit:
        out["nextToken"] = str(page[-1].event_id)
    return out


def _streams(store: LogStore, body: dict[str, Any]) -> dict[str, Any]:
    group = body.get("logGroupName", "")
    prefix = body.get("logStreamNamePrefix", "")
    return {
        "logStreams": [
            {
                "logStreamName": s.stream,
                "firstEventTimestamp": s.first_ts,
                "lastEventTimestamp": s.last_ts,
                "lastIngestionTime": s.last_ts,
                "arn": f"log-group:{group}:log-stream:{s.stream}",
            }
            for s in store.streams(group)
            if s.stream.startswith(prefix)
        ]
    }


def _groups(store: LogStore, body: dict[str, Any]) -> dict[str, Any]:
    prefix = body.get("logGroupNamePrefix", "")
    return {
        "logGroups": [
            {"logGroupName": g, "arn": f"log-group:{g}", "storedBytes": 0}
            for g in store.groups(prefix)
        ]
    }


_OPERATIONS = {
    "FilterLogEvents": _events,
    "DescribeLogStreams": _streams,
    "DescribeLogGroups": _groups,
}


async def handle(store: LogStore, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """Run one Logs operation; reads first wait for queued events to be written."""
    handler = _OPERATIONS.get(operation)
    if handler is None:
        raise ApiError(
            "InvalidAction", 400, f"Logs operation '{operation}' is not implemented by snaplambda"
        )
    await asyncio.to_thread(store.sync)
    return await asyncio.to_thread(handler, store, body)
