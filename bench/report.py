"""Reading Lambda's ``REPORT`` line out of an Invoke response's ``X-Amz-Log-Result``.

>>> line = "REPORT RequestId: r\\tDuration: 0.31 ms\\tBilled Duration: 1 ms\\t"
>>> parse_report(line).duration_ms
0.31
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from .client import Response


class ReportMissing(Exception):
    """The response carries no REPORT line (was the log tail requested?)."""


@dataclass(frozen=True, slots=True)
class Report:
    duration_ms: float
    init_duration_ms: float | None
    """Only on a cold start."""
    max_memory_used_mb: int | None
    restore_duration_ms: float | None = None
    """Only on an environment's first invoke after a SnapStart restore."""


def _ms(value: str) -> float:
    return float(value.removesuffix(" ms"))


def parse_report(line: str) -> Report:
    fields = dict(part.split(": ", 1) for part in line.split("\t") if ": " in part)
    init = fields.get("Init Duration")
    used = fields.get("Max Memory Used")
    restore = fields.get("Restore Duration")
    return Report(
        duration_ms=_ms(fields["Duration"]),
        init_duration_ms=_ms(init) if init else None,
        max_memory_used_mb=int(used.removesuffix(" MB")) if used else None,
        restore_duration_ms=_ms(restore) if restore else None,
    )


def report_of(response: Response) -> Report:
    """The REPORT of an Invoke made with ``X-Amz-Log-Type: Tail``."""
    encoded = response.headers.get("x-amz-log-result")
    if not encoded:
        raise ReportMissing("no X-Amz-Log-Result header")
    for line in base64.b64decode(encoded).decode("utf-8", "replace").splitlines():
        if line.startswith("REPORT "):
            return parse_report(line)
    raise ReportMissing("no REPORT line in the log tail")
