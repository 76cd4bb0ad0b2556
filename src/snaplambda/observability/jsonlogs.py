"""Lambda's platform events in JSON log format (``LoggingConfig.LogFormat = JSON``).

Each event is one line ``{"time": ..., "type": "platform.<kind>", "record": {...}}``,
the shape Lambda writes to CloudWatch for START/END/REPORT and the INIT and RESTORE
lines.  Pure functions: the environment picks these or the Text lines of
:mod:`.platform_lines` when it logs.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from .platform_lines import Report, billed_ms

#: Lambda's system log levels, lowest first; platform events are INFO.
SYSTEM_LEVELS = ("DEBUG", "INFO", "WARN")


_second: tuple[int, str] = (-1, "")  # the last whole second formatted, and its text


def iso_now(epoch: float | None = None) -> str:
    """``2026-11-26T18:01:02.345Z``."""
    global _second
    now = time.time() if epoch is None else epoch
    ms = int(now * 1000)
    cached = _second  # one read: a tuple is replaced whole, so threads never mix two
    if ms // 1000 != cached[0]:  # strftime costs more than the rest of an event
        cached = (ms // 1000, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)))
        _second = cached
    return f"{cached[1]}.{ms % 1000:03d}Z"


def platform_event(kind: str, record: dict[str, Any], epoch: float | None = None) -> str:
    """One platform event line, e.g. ``kind="start"`` -> ``platform.start``."""
    return orjson.dumps(
        {"time": iso_now(epoch), "type": f"platform.{kind}", "record": record}
    ).decode()


def system_level_allows(system_level: str, event_level: str = "INFO") -> bool:
    """Whether a platform event at ``event_level`` passes ``SystemLogLevel``."""
    threshold = system_level or "INFO"
    return SYSTEM_LEVELS.index(event_level) >= SYSTEM_LEVELS.index(threshold)


def init_start(runtime_version: str, runtime_version_arn: str, init_type: str) -> str:
    return platform_event(
        "initStart",
        {
            "initializationType": init_type,
            "phase": "init",
            "runtimeVersion": runtime_version,
            "runtimeVersionArn": runtime_version_arn,
        },
    )


def restore_start(runtime_version: str, runtime_version_arn: str) -> str:
    return platform_event(
        "restoreStart",
        {"runtimeVersion": runtime_version, "runtimeVersionArn": runtime_version_arn},
    )


def init_report(duration_ms: float, status: str, error_type: str | None = None) -> str:
    record: dict[str, Any] = {
        "initializationType": "on-demand",
        "phase": "init",
        "status": status,
        "metrics": {"durationMs": round(duration_ms, 2)},
    }
    if error_type:
        record["errorType"] = error_type
    return platform_event("initReport", record)


def restore_report(duration_ms: float, status: str | None = None) -> str:
    return platform_event(
        "restoreReport",
        {"status": status or "success", "metrics": {"durationMs": round(duration_ms, 2)}},
    )


def start(request_id: str, version: str) -> str:
    return platform_event("start", {"requestId": request_id, "version": version})


def runtime_done(request_id: str, status: str) -> str:
    return platform_event("runtimeDone", {"requestId": request_id, "status": status})


def report(rep: Report, status: str) -> str:
    """``status``: success, error (the function failed) or timeout."""
    metrics: dict[str, Any] = {
        "durationMs": round(rep.duration_ms, 2),
        "billedDurationMs": billed_ms(rep.duration_ms),
        "memorySizeMB": rep.memory_size_mb,
        "maxMemoryUsedMB": rep.max_memory_used_mb,
    }
    if rep.init_duration_ms is not None:
        metrics["initDurationMs"] = round(rep.init_duration_ms, 2)
    if rep.restore_duration_ms is not None:
        metrics["restoreDurationMs"] = round(rep.restore_duration_ms, 2)
        metrics["billedRestoreDurationMs"] = billed_ms(rep.restore_duration_ms)
    record: dict[str, Any] = {
        "requestId": rep.request_id,
        "metrics": metrics,
        "status": status,
    }
    if rep.error_type and rep.status:
        record["errorType"] = rep.error_type
    if rep.xray:
        record["tracing"] = {
            "spanId": rep.xray[1],
            "type": "X-Amzn-Trace-Id",
            "value": f"Root={rep.xray[0]};Parent={rep.xray[1]};Sampled=1",
        }
    return platform_event("report", record)
