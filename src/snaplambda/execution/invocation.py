"""What crosses into and out of an environment: an invoke request, its result, and
how an init went."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..observability import platform_lines as lines

_TAIL_BYTES = 4096


@dataclass(frozen=True, slots=True)
class InitTiming:
    """The three phases of a cold start, in milliseconds."""

    create_ms: float
    runtime_ms: float
    function_ms: float

    @property
    def init_duration_ms(self) -> float:
        """What Lambda reports as Init Duration: runtime start plus function init."""
        return self.runtime_ms + self.function_ms


@dataclass(frozen=True, slots=True)
class InitResult:
    ok: bool
    timing: InitTiming
    error: dict[str, Any] | None = None
    status: str = "success"


@dataclass(frozen=True, slots=True)
class InvokeRequest:
    request_id: str
    payload: bytes
    invoked_arn: str
    trace_id: str
    client_context: dict[str, Any] | None = None
    identity: dict[str, Any] | None = None


@dataclass(slots=True)
class InvokeResult:
    payload: bytes
    error_type: str | None
    """Set when the function failed (the API answers X-Amz-Function-Error: Unhandled)."""
    duration_ms: float
    report: lines.Report
    log_lines: list[str]
    reusable: bool

    def log_tail(self) -> bytes:
        """The last 4 KB of the invocation's log, as ``X-Amz-Log-Result`` carries it."""
        text = "\n".join(self.log_lines).encode() + b"\n"
        return text[-_TAIL_BYTES:]
