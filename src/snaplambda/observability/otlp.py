"""Export stored traces over OTLP/HTTP (protobuf) to any OpenTelemetry collector.

The trace store's writer thread hands each batch of stored X-Ray documents to
:meth:`OtlpExporter.offer` (a queue put).  The exporter's own thread waits a moment
(:data:`HOLD_S`) so a trace's platform segments and the function's SDK subsegments
meet, converts every complete segment and subsegment into an OpenTelemetry span and
exports the batch with the SDK's ``OTLPSpanExporter``.  Nothing runs on the invoke
path.

Ids: X-Ray's ``1-<8 hex time>-<24 hex>`` becomes the 32-hex OTel trace id (the hex
digits joined, as the AWS X-Ray propagator does); segment ids are already 16 hex.
Every span of a trace carries the function's name, version, request id and cold
start (``faas.*`` attributes) once the platform's function segment is seen.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.status import Status, StatusCode

#: Seconds a stored segment waits before export, so a trace's parts meet.
HOLD_S = 1.0

#: Most segments waiting for export; beyond this the oldest are dropped.
MAX_PENDING = 20000

_SCOPE = InstrumentationScope("snaplambda")
_RESOURCE = Resource.create({"service.name": "snaplambda", "cloud.provider": "aws"})


def traces_url(endpoint: str) -> str:
    """A collector base URL gets OTLP/HTTP's ``/v1/traces`` path; a URL with a path
    is used as given."""
    if urlsplit(endpoint).path in ("", "/"):
        return endpoint.rstrip("/") + "/v1/traces"
    return endpoint


def otel_trace_id(xray_id: str) -> int | None:
    """``1-5759e988-bd862e3fe1be46a994272793`` -> the 128-bit trace id."""
    parts = xray_id.split("-")
    if len(parts) != 3 or len(parts[1]) != 8 or len(parts[2]) != 24:
        return None
    try:
        return int(parts[1] + parts[2], 16)
    except ValueError:
        return None


def _span_id(value: Any) -> int | None:
    if not isinstance(value, str) or len(value) != 16:
        return None
    try:
        return int(value, 16) or None
    except ValueError:
        return None


def _nodes(doc: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Any]]:
    """A document and its nested subsegments, each with its parent id."""
    yield doc, doc.get("parent_id")
    stack = [(sub, doc.get("id")) for sub in doc.get("subsegments") or []]
    while stack:
        node, parent = stack.pop()
        if isinstance(node, dict):
            yield node, node.get("parent_id") or parent
            stack.extend((sub, node.get("id")) for sub in node.get("subsegments") or [])


def function_context(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The ``faas.*`` attributes a platform function segment gives its trace."""
    if doc.get("origin") != "AWS::Lambda::Function":
        return None
    aws = doc.get("aws") or {}
    subs = {s.get("name") for s in doc.get("subsegments") or [] if isinstance(s, dict)}
    return {
        "faas.name": str(doc.get("name", "")),
        "faas.version": str(aws.get("function_version", "")),
        "faas.invocation_id": str(aws.get("request_id", "")),
        "faas.coldstart": bool(subs & {"Initialization", "Restore"}),
    }


def to_spans(doc: dict[str, Any], context: dict[str, Any] | None) -> list[ReadableSpan]:
    """The complete segment and subsegments of one X-Ray document as OTel spans."""
    trace_id = otel_trace_id(str(doc.get("trace_id", "")))
    if trace_id is None:
        return []
    spans = []
    for node, parent in _nodes(doc):
        span_id = _span_id(node.get("id"))
        start, end = node.get("start_time"), node.get("end_time")
        if span_id is None or not isinstance(start, int | float) or node.get("in_progress"):
            continue
        if not isinstance(end, int | float):
            continue
        parent_id = _span_id(parent)
        flags = TraceFlags(TraceFlags.SAMPLED)
        attrs: dict[str, Any] = dict(context or {})
        if node.get("origin"):
            attrs["aws.xray.origin"] = str(node["origin"])
        if node.get("namespace"):
            attrs["aws.xray.namespace"] = str(node["namespace"])
        for key, value in (node.get("annotations") or {}).items():
            if isinstance(value, str | bool | int | float):
                attrs[f"aws.xray.annotations.{key}"] = value
        error = bool(node.get("fault") or node.get("error"))
        spans.append(
            ReadableSpan(
                name=str(node.get("name", "")),
                context=SpanContext(trace_id, span_id, is_remote=False, trace_flags=flags),
                parent=(
                    SpanContext(trace_id, parent_id, is_remote=False, trace_flags=flags)
                    if parent_id is not None
                    else None
                ),
                resource=_RESOURCE,
                attributes=attrs,
                kind=SpanKind.SERVER if node is doc and parent_id is None else SpanKind.INTERNAL,
                status=Status(StatusCode.ERROR) if error else Status(StatusCode.UNSET),
                start_time=int(start * 1e9),
                end_time=int(end * 1e9),
                instrumentation_scope=_SCOPE,
            )
        )
    return spans


class OtlpExporter:
    """Batches stored segments into OTLP exports on a thread of its own."""

    def __init__(self, endpoint: str, timeout_s: float = 10.0) -> None:
        self.url = traces_url(endpoint)
        self._exporter = OTLPSpanExporter(endpoint=self.url, timeout=timeout_s)
        self._queue: queue.SimpleQueue[list[dict[str, Any]] | None] = queue.SimpleQueue()
        self._contexts: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.exported = 0
        self.failed = 0
        self._thread = threading.Thread(target=self._run, name="snaplambda-otlp", daemon=True)
        self._thread.start()

    def offer(self, docs: list[dict[str, Any]]) -> None:
        """Stored documents (called by the trace store's writer thread); never blocks."""
        self._queue.put(docs)

    def close(self, grace_s: float = 2.0) -> None:
        """Export what is pending; after ``grace_s`` (a collector that is down or
        slow) the exporter's retries are cut short and the rest is dropped."""
        self._queue.put(None)
        self._thread.join(timeout=grace_s)
        with contextlib.suppress(Exception):
            self._exporter.shutdown()  # type: ignore[no-untyped-call]
        self._thread.join(timeout=5)

    def _run(self) -> None:
        pending: list[tuple[float, dict[str, Any]]] = []
        stop = False
        while not stop or pending:
            deadline = time.monotonic() + HOLD_S / 2
            while not stop:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                now = time.monotonic()
                for doc in item:
                    pending.append((now, doc))
                    ctx = function_context(doc)
                    if ctx is not None:
                        self._contexts[str(doc.get("trace_id"))] = ctx
                        while len(self._contexts) > 10000:
                            self._contexts.popitem(last=False)
            del pending[:-MAX_PENDING]
            cutoff = time.monotonic() - HOLD_S
            ready = pending if stop else [p for p in pending if p[0] <= cutoff]
            if not ready:
                continue
            pending = [] if stop else [p for p in pending if p[0] > cutoff]
            spans: list[ReadableSpan] = []
            for _, doc in ready:
                with contextlib.suppress(Exception):  # a malformed segment is skipped
                    spans.extend(to_spans(doc, self._contexts.get(str(doc.get("trace_id")))))
            self._export(spans)

    def _export(self, spans: list[ReadableSpan]) -> None:
        for i in range(0, len(spans), 512):
            batch = spans[i : i + 512]
            try:
                result = self._exporter.export(batch)
            except Exception:
                self.failed += len(batch)
                continue
            if result.name == "SUCCESS":
                self.exported += len(batch)
            else:
                self.failed += len(batch)
