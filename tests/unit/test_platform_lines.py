"""Lambda's platform log lines, byte for byte."""

from __future__ import annotations

import re

import pytest

from snaplambda.observability.platform_lines import (
    Report,
    billed_ms,
    end_line,
    init_report_line,
    init_start_line,
    start_line,
)

RID = "8f507cfc-2f4e-4a2c-9b0a-64e3c0b5e1f2"
ARN = "arn:aws:lambda:us-east-1::runtime:0123abcd"


def test_start_line() -> None:
    assert start_line(RID, "$LATEST") == f"START RequestId: {RID} Version: $LATEST"
    assert start_line(RID, "3") == f"START RequestId: {RID} Version: 3"


def test_end_line() -> None:
    assert end_line(RID) == f"END RequestId: {RID}"


def test_init_start_line() -> None:
    assert (
        init_start_line("python:3.12.v1", ARN)
        == f"INIT_START Runtime Version: python:3.12.v1\tRuntime Version ARN: {ARN}"
    )


def test_init_report_lines() -> None:
    assert (
        init_report_line(10001.914, "timeout")
        == "INIT_REPORT Init Duration: 10001.91 ms\tPhase: init\tStatus: timeout"
    )
    assert (
        init_report_line(5.0, "error", "Runtime.ExitError")
        == "INIT_REPORT Init Duration: 5.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError"
    )


def test_report_line_exact() -> None:
    line = Report(RID, 12.3456, 128, 41).line()
    assert line == (
        f"REPORT RequestId: {RID}\tDuration: 12.35 ms\tBilled Duration: 13 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 41 MB\t"
    )


def test_report_line_of_a_cold_start() -> None:
    line = Report(RID, 1.5, 256, 50, init_duration_ms=123.456).line()
    assert line == (
        f"REPORT RequestId: {RID}\tDuration: 1.50 ms\tBilled Duration: 2 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 50 MB\tInit Duration: 123.46 ms\t"
    )


def test_report_line_of_a_failure() -> None:
    line = Report(
        RID, 3000.0, 128, 60, init_duration_ms=80.0, status="timeout", error_type="Sandbox.Timedout"
    ).line()
    assert line == (
        f"REPORT RequestId: {RID}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 60 MB\tInit Duration: 80.00 ms\t"
        "Status: timeout\tError Type: Sandbox.Timedout\t"
    )


def test_report_line_parses_as_power_tuning_does() -> None:
    line = Report(RID, 99.01, 1024, 70).line()
    billed = re.search(r"\tBilled Duration: (\d+) ms", line)
    assert billed is not None and billed.group(1) == "100"
    assert line.endswith("\t") and not line.endswith("\t\t")
    assert "\n" not in line


@pytest.mark.parametrize(
    ("duration", "billed"),
    [
        (0.0, 1),
        (0.01, 1),
        (0.999, 1),
        (1.0, 1),
        (1.0001, 2),
        (12.5, 13),
        (100.0, 100),
        (899_999.2, 900_000),
    ],
)
def test_billed_duration_rounds_up_to_the_millisecond_with_a_minimum_of_one(
    duration: float, billed: int
) -> None:
    assert billed_ms(duration) == billed
