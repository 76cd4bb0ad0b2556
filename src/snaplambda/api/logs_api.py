"""A CloudWatch Logs subset over the JSON protocol (``X-Amz-Target: Logs_20140328.*``):
enough for ``boto3.client("logs")`` and ``snaplambda logs`` to read function logs."""

from __future__ import annotations

import asyncio
from typing import Any

from ..observability.filterpattern import FilterPatternError, compile_pattern
from ..observability.logstore import RETENTION_DAYS, LogEvent, LogStore
from . import schemas
from .errors import ApiError
from .fields import check_fields

_SCAN_BATCH = 5000


#: Event ids are SQLite rowids: positive signed 64-bit integers.
_MAX_EVENT_ID = (1 << 63) - 1


def _bad_token(token: str) -> ApiError:
    return ApiError(
        "InvalidParameterException",
        400,
        f"The specified nextToken is invalid: '{token[:80]}' (pass the nextToken, "
        "nextForwardToken or nextBackwardToken of the previous page)",
    )


def _event_id(text: object, token: str) -> int:
    """The event id a page token carries (``""``: none, 0)."""
    if not text:
        return 0
    raw = str(text)
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 20 or int(raw) > _MAX_EVENT_ID:
        raise _bad_token(token or raw)
    return int(raw)


def _require_group(store: LogStore, body: dict[str, Any]) -> str:
    group = body.get("logGroupName")
    if not group:
        raise ApiError("InvalidParameterException", 400, "logGroupName is required")
    if group not in store.groups(group) and group not in store.retention():
        raise ApiError(
            "ResourceNotFoundException", 400, f"The specified log group does not exist: {group}"
        )
    return str(group)


def _events(store: LogStore, body: dict[str, Any]) -> dict[str, Any]:
    group = _require_group(store, body)
    limit = int(body.get("limit") or 10000)
    after = _event_id(body.get("nextToken"), "")
    streams = body.get("logStreamNames") or None
    prefix = body.get("logStreamNamePrefix")
    if prefix and not streams:
        streams = [s.stream for s in store.streams(group) if s.stream.startswith(prefix)]
        if not streams:
            return {"events": [], "searchedLogStreams": []}
    try:
        pattern = compile_pattern(body.get("filterPattern"))
    except FilterPatternError as exc:
        raise ApiError("InvalidParameterException", 400, str(exc)) from exc
    events: list[LogEvent] = []
    cursor = after
    while len(events) <= limit:  # scan in batches until a page (and one more) matched
        batch = store.filter(
            group,
            streams=streams,
            start_ms=body.get("startTime"),
            end_ms=body.get("endTime"),
            contains=pattern.contains,
            after_id=cursor,
            limit=_SCAN_BATCH if pattern.contains is None else limit + 1,
        )
        events.extend(e for e in batch if pattern.contains is not None or pattern.match(e.message))
        if not batch or pattern.contains is not None:
            break
        cursor = batch[-1].event_id
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


def _get_events(store: LogStore, body: dict[str, Any]) -> dict[str, Any]:
    """GetLogEvents: one stream, paged with ``f/<id>`` and ``b/<id>`` tokens."""
    group = _require_group(store, body)
    stream = body.get("logStreamName")
    if not stream:
        raise ApiError("InvalidParameterException", 400, "logStreamName is required")
    limit = max(1, min(int(body.get("limit") or 10000), 10000))
    token = str(body.get("nextToken") or "")
    common: dict[str, Any] = {
        "streams": [stream],
        "start_ms": body.get("startTime"),
        "end_ms": body.get("endTime"),
        "limit": limit,
    }
    forward = token.startswith("f/") or (not token and bool(body.get("startFromHead")))
    if token and token[:2] not in ("f/", "b/"):
        raise _bad_token(token)
    mark = _event_id(token[2:], token) if token else None
    if forward:
        events = store.filter(group, after_id=mark or 0, **common)
    else:
        events = store.filter(group, before_id=mark, newest_first=True, **common)[::-1]
    if events:
        first, last = events[0].event_id, events[-1].event_id
    else:  # nothing more that way: the same token again ends boto3's paginator
        first = last = mark if mark is not None else 0
    return {
        "events": [
            {"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}
            for e in events
        ],
        "nextForwardToken": f"f/{last:020d}",
        "nextBackwardToken": f"b/{first:020d}",
    }


def _put_retention(store: LogStore, body: dict[str, Any]) -> dict[str, Any]:
    group = _require_group(store, body)
    days = body.get("retentionInDays")
    if days not in RETENTION_DAYS:
        raise ApiError(
            "InvalidParameterException",
            400,
            f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to "
            f"satisfy constraint: Member must satisfy enum value set: {list(RETENTION_DAYS)}",
        )
    store.set_retention(group, int(days))
    return {}


def _delete_retention(store: LogStore, body: dict[str, Any]) -> dict[str, Any]:
    store.set_retention(_require_group(store, body), None)
    return {}


def _streams(store: LogStore, body: dict[str, Any]) -> dict[str, Any]:
    group = body.get("logGroupName") or ""
    prefix = body.get("logStreamNamePrefix") or ""
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
    prefix = body.get("logGroupNamePrefix") or ""
    retention = store.retention()
    groups = []
    for g in store.groups(prefix):
        doc: dict[str, Any] = {"logGroupName": g, "arn": f"log-group:{g}", "storedBytes": 0}
        if g in retention:
            doc["retentionInDays"] = retention[g]
        groups.append(doc)
    return {"logGroups": groups}


_OPERATIONS = {
    "FilterLogEvents": _events,
    "DescribeLogStreams": _streams,
    "DescribeLogGroups": _groups,
    "GetLogEvents": _get_events,
    "PutRetentionPolicy": _put_retention,
    "DeleteRetentionPolicy": _delete_retention,
}


async def handle(store: LogStore, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """Run one Logs operation; reads first wait for queued events to be written."""
    handler = _OPERATIONS.get(operation)
    if handler is None:
        raise ApiError(
            "InvalidAction", 400, f"Logs operation '{operation}' is not implemented by snaplambda"
        )
    check_fields(body, schemas.LOGS[operation], "InvalidParameterException")
    await asyncio.to_thread(store.sync)
    return await asyncio.to_thread(handler, store, body)
