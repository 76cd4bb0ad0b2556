"""X-Ray: the platform's daemon listener, its own spans, TracingConfig, and
aws-xray-sdk (from PyPI, unchanged) sending to it."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import pytest

from tests.functional.test_cli import cli
from tests.pipcache import pip_target, zip_with_packages
from tests.support import Server, create, invoke, report_fields, zip_function

XRAY_APP = """
import os
import time

from aws_xray_sdk.core import xray_recorder


def handler(event, context):
    with xray_recorder.in_subsegment("work") as sub:
        sub.put_annotation("order", "42")
        time.sleep(0.02)
        if event.get("fail"):
            raise ValueError("broken")
    return {"trace": os.environ["_X_AMZN_TRACE_ID"],
            "daemon": os.environ["AWS_XRAY_DAEMON_ADDRESS"]}
"""


@pytest.fixture(scope="module")
def xray_zip() -> bytes:
    return zip_with_packages({"app.py": XRAY_APP}, pip_target("xray-sdk", "aws-xray-sdk"))


def _trace(server: Server, trace_id: str) -> dict[str, Any]:
    r = httpx.get(f"{server.endpoint}/_snaplambda/traces/{trace_id}", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_tracing_config_is_validated_and_returned(server: Server) -> None:
    lam = server.client("lambda", validate=False)
    created = create(lam, "tr-config", zip_function("basic"), TracingConfig={"Mode": "Active"})
    assert created["TracingConfig"] == {"Mode": "Active"}
    with pytest.raises(lam.exceptions.ClientError) as info:
        lam.update_function_configuration(FunctionName="tr-config", TracingConfig={"Mode": "On"})
    assert info.value.response["Error"]["Code"] == "ValidationException"
    got = lam.update_function_configuration(
        FunctionName="tr-config", TracingConfig={"Mode": "PassThrough"}
    )
    assert got["TracingConfig"] == {"Mode": "PassThrough"}


def test_active_tracing_with_xray_sdk(server: Server, lam: Any, xray_zip: bytes) -> None:
    create(lam, "tr-sdk", xray_zip, TracingConfig={"Mode": "Active"}, Timeout=30)
    out = invoke(lam, "tr-sdk", {})
    header = dict(p.split("=", 1) for p in out["Body"]["trace"].split(";"))
    assert header["Sampled"] == "1"
    assert out["Body"]["daemon"].startswith("127.0.0.1:")
    report = next(line for line in out["Log"].splitlines() if line.startswith("REPORT "))
    assert f"\tXRAY TraceId: {header['Root']}\tSegmentId: {header['Parent']}\tSampled: true\t" in (
        report
    )
    assert "Init Duration" in report_fields(out["Log"])
    trace = _trace(server, header["Root"])
    by_name = {s["name"]: s for s in trace["Timeline"]}
    origins = {s["origin"] for s in trace["Timeline"]}
    assert {"AWS::Lambda", "AWS::Lambda::Function"} <= origins
    for name in ("Initialization", "Invocation", "Overhead", "work"):
        assert name in by_name, name
    work = by_name["work"]
    function_seg = next(s for s in trace["Timeline"] if s["origin"] == "AWS::Lambda::Function")
    assert work["parentId"] == header["Parent"] == function_seg["id"]
    assert work["depth"] == function_seg["depth"] + 1
    # Epoch seconds: at or after the trace was made, by the end before now.
    assert int(header["Root"].split("-")[1], 16) <= work["start"] <= work["end"] <= time.time()
    sdk_docs = [d for d in trace["Segments"] if d["name"] == "work"]
    assert sdk_docs[0]["annotations"] == {"order": "42"}
    # A warm invoke: a new trace without an Initialization span.
    warm = invoke(lam, "tr-sdk", {"fail": True})
    assert warm["FunctionError"] == "Unhandled"
    root = warm["Log"].split("XRAY TraceId: ")[1].split("\t")[0]
    spans = _trace(server, root)["Timeline"]
    names = [s["name"] for s in spans]
    assert "Initialization" not in names and "work" in names
    assert any(s["error"] for s in spans if s["name"] == "work")
    listed = httpx.get(
        f"{server.endpoint}/_snaplambda/traces", params={"function": "tr-sdk"}, timeout=30
    ).json()["Traces"]
    assert [t["Id"] for t in listed][:2] == [root, header["Root"]]
    assert listed[0]["HasFault"] is True


def test_passthrough_samples_only_what_the_caller_sampled(server: Server, lam: Any) -> None:
    create(lam, "tr-pass", zip_function("basic"))
    out = invoke(lam, "tr-pass", {})
    assert "XRAY TraceId" not in out["Log"]
    root = "1-5759e988-bd862e3fe1be46a994272793"
    response = httpx.post(
        f"{server.endpoint}/2015-03-31/functions/tr-pass/invocations",
        content=b"{}",
        headers={"X-Amzn-Trace-Id": f"Root={root};Sampled=1", "X-Amz-Log-Type": "Tail"},
        timeout=60,
    )
    assert response.status_code == 200
    log = base64.b64decode(response.headers["x-amz-log-result"]).decode()
    assert f"XRAY TraceId: {root}\t" in log
    assert {s["origin"] for s in _trace(server, root)["Timeline"]} >= {"AWS::Lambda::Function"}


def test_traces_cli(server: Server, lam: Any) -> None:
    create(lam, "tr-cli", zip_function("basic"), TracingConfig={"Mode": "Active"})
    out = invoke(lam, "tr-cli", {})
    root = out["Log"].split("XRAY TraceId: ")[1].split("\t")[0]
    listed = cli("traces", "--function", "tr-cli", "--endpoint", server.endpoint)
    assert listed.returncode == 0, listed.stderr
    assert root in listed.stdout
    shown = cli("traces", root, "--endpoint", server.endpoint)
    assert shown.returncode == 0, shown.stderr
    for name in ("tr-cli", "Initialization", "Invocation", "Overhead", "█"):
        assert name in shown.stdout
    missing = cli("traces", "1-00000000-000000000000000000000000", "--endpoint", server.endpoint)
    assert missing.returncode == 1
