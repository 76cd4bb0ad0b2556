"""Lambda's platform log lines in Text format, byte for byte (tabs included: tools such
as Lambda Power Tuning parse them with patterns like ``\\tBilled Duration: (\\d+) ms``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .tracing import parse_trace_header


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def init_start_line(runtime_version: str, runtime_version_arn: str) -> str:
    return (
        f"INIT_START Runtime Version: {runtime_version}\tRuntime Version ARN: {runtime_version_arn}"
    )


def init_report_line(duration_ms: float, status: str, error_type: str | None = None) -> str:
    line = f"INIT_REPORT Init Duration: {duration_ms:.2f} ms\tPhase: init\tStatus: {status}"
    if error_type:
        line += f"\tError Type: {error_type}"
    return line


def restore_start_line(runtime_version: str, runtime_version_arn: str) -> str:
    """The first line of an environment restored from a SnapStart snapshot."""
    return (
        f"RESTORE_START Runtime Version: {runtime_version}\t"
        f"Runtime Version ARN: {runtime_version_arn}"
    )


def restore_report_line(duration_ms: float, status: str | None = None) -> str:
    line = f"RESTORE_REPORT Restore Duration: {duration_ms:.2f} ms"
    if status:
        line += f"\tStatus: {status}"
    return line


def billed_ms(duration_ms: float) -> int:
    """Lambda bills in 1 ms steps, rounding up, at least 1 ms."""
    return max(1, math.ceil(duration_ms))


@dataclass(frozen=True, slots=True)
class Report:
    """The figures of one invocation's REPORT line."""

    request_id: str
    duration_ms: float
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None = None
    status: str | None = None
    """``None`` on success, else ``error``, ``timeout`` ... as Lambda prints them."""
    error_type: str | None = None
    restore_duration_ms: float | None = None
    """Set on the first invocation of an environment restored from a snapshot."""
    xray: tuple[str, str] | None = None
    """(trace id, segment id) of a sampled invocation."""

    def line(self) -> str:
        parts = [
            f"REPORT RequestId: {self.request_id}",
            f"Duration: {self.duration_ms:.2f} ms",
            f"Billed Duration: {billed_ms(self.duration_ms)} ms",
            f"Memory Size: {self.memory_size_mb} MB",
            f"Max Memory Used: {self.max_memory_used_mb} MB",
        ]
        if self.init_duration_ms is not None:
            parts.append(f"Init Duration: {self.init_duration_ms:.2f} ms")
        if self.restore_duration_ms is not None:
            parts.append(f"Restore Duration: {self.restore_duration_ms:.2f} ms")
            parts.append(f"Billed Restore Duration: {billed_ms(self.restore_duration_ms)} ms")
        if self.status:
            parts.append(f"Status: {self.status}")
        if self.error_type:
            parts.append(f"Error Type: {self.error_type}")
        if self.xray:
            parts.append(f"XRAY TraceId: {self.xray[0]}\tSegmentId: {self.xray[1]}\tSampled: true")
        return "\t".join(parts) + "\t"


def sampled_trace(header: str) -> tuple[str, str] | None:
    """(Root, Parent) of an ``_X_AMZN_TRACE_ID`` value with ``Sampled=1``, else None."""
    if not header.endswith("Sampled=1"):  # most are not sampled: no parse on those
        return None
    h = parse_trace_header(header)
    root, parent = h.get("Root"), h.get("Parent")
    return (root, parent) if root and parent else None
