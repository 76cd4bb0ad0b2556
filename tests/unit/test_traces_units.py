from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from snaplambda.observability import platform_lines
from snaplambda.observability.traces import TraceStore, flatten, platform_segments
from snaplambda.observability.xray import (
    DaemonProtocol,
    XrayProtocolError,
    encode_datagram,
    parse_datagram,
)

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
T = time.time()
HEADER = f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"


def test_parse_datagram() -> None:
    doc = {"trace_id": ROOT, "id": "a" * 16, "name": "x", "start_time": 1.0}
    assert parse_datagram(encode_datagram(doc)) == doc
    assert encode_datagram(doc).startswith(b'{"format":"json","version":1}\n')
    for bad in (b"no newline", b"{}\n{}", b'{"format":"json","version":1}\n[1]', b"x\n{}"):
        with pytest.raises(XrayProtocolError):
            parse_datagram(bad)


def test_platform_segments_and_timeline() -> None:
    docs = platform_segments(
        HEADER, "fn", "arn", "$LATEST", 100.0, 100.5, 200.0, 150.0, None, None, "rid"
    )
    service, func = docs
    assert service["origin"] == "AWS::Lambda" and func["origin"] == "AWS::Lambda::Function"
    assert func["id"] == "53995c3f42cd8ad8" and func["parent_id"] == service["id"]
    sdk = {
        "trace_id": ROOT,
        "id": "b" * 16,
        "parent_id": func["id"],
        "name": "work",
        "start_time": 100.2,
        "end_time": 100.3,
        "type": "subsegment",
    }
    spans = list(flatten([*docs, sdk]))
    assert [(s.name, s.depth) for s in spans] == [
        ("fn", 0),
        ("fn", 1),
        ("Initialization", 2),
        ("work", 2),
        ("Invocation", 2),
        ("Overhead", 2),
    ]
    failed = platform_segments(HEADER, "fn", "arn", "1", 1.0, 2.0, 5.0, None, 3.0, "Boom", "rid")
    assert failed[1]["fault"] and failed[1]["subsegments"][0]["name"] == "Restore"


def test_report_line_and_sampled_trace() -> None:
    assert platform_lines.sampled_trace(HEADER) == (ROOT, "53995c3f42cd8ad8")
    assert platform_lines.sampled_trace(HEADER[:-1] + "0") is None
    line = platform_lines.Report("r", 1.0, 128, 10, xray=(ROOT, "53995c3f42cd8ad8")).line()
    assert line.endswith(f"\tXRAY TraceId: {ROOT}\tSegmentId: 53995c3f42cd8ad8\tSampled: true\t")


def test_store_and_daemon(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "t.db")
    errors: list[str] = []

    async def run() -> None:
        loop = asyncio.get_running_loop()
        transport, proto = await loop.create_datagram_endpoint(
            lambda: DaemonProtocol(store.put, errors.append), local_addr=("127.0.0.1", 0)
        )
        addr = transport.get_extra_info("sockname")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"garbage", addr)
            doc: dict[str, Any] = {
                "trace_id": ROOT,
                "id": "c" * 16,
                "name": "seg",
                "start_time": T + 5.0,
                "end_time": T + 6.0,
            }
            sock.sendto(encode_datagram({**doc, "in_progress": True, "end_time": None}), addr)
            sock.sendto(encode_datagram(doc), addr)
        for _ in range(100):
            if proto.received + proto.refused == 3:
                break
            await asyncio.sleep(0.01)
        transport.close()

    try:
        asyncio.run(run())
        store.put_platform(
            HEADER, "fn", "arn", "$LATEST", T + 1, T + 2, 5.0, None, None, None, "rid"
        )
        store.sync()
        segs = store.segments(ROOT)
        assert [s["name"] for s in segs] == ["fn", "fn", "seg"]
        assert "in_progress" not in segs[-1]  # the complete copy replaces the first
        assert errors and "no newline" in errors[0]
        listed = store.traces("seg")
        assert listed[0].trace_id == ROOT and listed[0].segments == 3
        assert store.traces("nothing") == []
    finally:
        store.close()
