"""Traces exported over OTLP/HTTP: a collector in the test process (a loopback HTTP
server decoding ExportTraceServiceRequest) receives the platform's segments and the
function's X-Ray SDK subsegments as OpenTelemetry spans."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.functional.test_traces import xray_zip  # noqa: F401 - fixture
from tests.support import Server, create, invoke


class Collector:
    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.paths: list[str] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                collector.paths.append(self.path)
                for rs in request.resource_spans:
                    for ss in rs.scope_spans:
                        for span in ss.spans:
                            collector.spans.append(
                                {
                                    "trace_id": span.trace_id.hex(),
                                    "span_id": span.span_id.hex(),
                                    "parent": span.parent_span_id.hex(),
                                    "name": span.name,
                                    "start": span.start_time_unix_nano,
                                    "end": span.end_time_unix_nano,
                                    "attrs": {
                                        a.key: getattr(a.value, a.value.WhichOneof("value"))
                                        for a in span.attributes
                                    },
                                }
                            )
                out = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def collector() -> Iterator[Collector]:
    c = Collector()
    yield c
    c.close()


def test_traces_are_exported_over_otlp(
    tmp_path: Path,
    collector: Collector,
    xray_zip: bytes,  # noqa: F811
) -> None:
    server = Server(tmp_path / "state", "--otlp-endpoint", collector.url).start()
    try:
        lam = server.client("lambda")
        create(lam, "otlp-fn", xray_zip, TracingConfig={"Mode": "Active"}, Timeout=30)
        out = invoke(lam, "otlp-fn", {})
        header = dict(p.split("=", 1) for p in out["Body"]["trace"].split(";"))
        _, epoch, rest = header["Root"].split("-")
        trace_id = epoch + rest
        wanted = {"otlp-fn", "Initialization", "Invocation", "Overhead", "work"}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            names = {s["name"] for s in collector.spans if s["trace_id"] == trace_id}
            if wanted <= names:
                break
            time.sleep(0.1)
        spans = [s for s in collector.spans if s["trace_id"] == trace_id]
        assert wanted <= {s["name"] for s in spans}, spans
        assert set(collector.paths) == {"/v1/traces"}
        # Parent links: service segment -> function segment -> its subsegments.
        by_id = {s["span_id"]: s for s in spans}
        function_span = by_id[header["Parent"]]
        assert function_span["name"] == "otlp-fn"
        assert function_span["attrs"]["aws.xray.origin"] == "AWS::Lambda::Function"
        service_span = by_id[function_span["parent"]]
        assert service_span["attrs"]["aws.xray.origin"] == "AWS::Lambda"
        assert service_span["parent"] == ""
        for name in ("Initialization", "Invocation", "Overhead", "work"):
            span = next(s for s in spans if s["name"] == name)
            assert span["parent"] == header["Parent"], name
            assert span["end"] >= span["start"] > 0
        work = next(s for s in spans if s["name"] == "work")
        # Nanoseconds since the epoch: at or after the trace was made, ended by now.
        assert int(epoch, 16) * 10**9 <= work["start"] <= work["end"] <= time.time_ns()
        assert work["attrs"]["aws.xray.annotations.order"] == "42"
        for span in spans:
            assert span["attrs"]["faas.name"] == "otlp-fn"
            assert span["attrs"]["faas.version"] == "$LATEST"
            assert span["attrs"]["faas.coldstart"] is True
            assert len(span["attrs"]["faas.invocation_id"]) == 36
    finally:
        server.stop()
