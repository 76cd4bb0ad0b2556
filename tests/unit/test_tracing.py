"""X-Ray trace headers for ``_X_AMZN_TRACE_ID``."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from snaplambda.observability import tracing
from snaplambda.observability.tracing import new_trace_id, trace_header

HEADER = re.compile(r"Root=(1-[0-9a-f]{8}-[0-9a-f]{24});Parent=([0-9a-f]{16});Sampled=([01])")
ROOT = "1-5759e988-bd862e3fe1be46a994272793"


def parse(header: str) -> tuple[str, str, str]:
    match = HEADER.fullmatch(header)
    assert match, header
    return match.group(1), match.group(2), match.group(3)


def test_new_trace_id_format_and_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "time", SimpleNamespace(time=lambda: 1465510280.9))
    trace_id = new_trace_id()
    assert re.fullmatch(r"1-5759e988-[0-9a-f]{24}", trace_id)
    assert new_trace_id() != trace_id


def test_without_a_caller_a_new_unsampled_trace() -> None:
    root, _, sampled = parse(trace_header(None))
    assert sampled == "0"
    assert parse(trace_header(None, sampled=True))[2] == "1"
    assert parse(trace_header(""))[0] != root


def test_caller_root_and_sampled_continue() -> None:
    incoming = f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"
    root, parent, sampled = parse(trace_header(incoming))
    assert root == ROOT
    assert sampled == "1"
    assert parent != "53995c3f42cd8ad8", "the invocation is a new segment"


def test_each_invocation_gets_a_new_parent() -> None:
    incoming = f"Root={ROOT};Sampled=0"
    parents = {parse(trace_header(incoming))[1] for _ in range(20)}
    assert len(parents) == 20


def test_caller_sampled_decision_wins_over_the_default() -> None:
    assert parse(trace_header(f"Root={ROOT};Sampled=0", sampled=True))[2] == "0"
    assert parse(trace_header(f"Root={ROOT}", sampled=True))[2] == "1"
    # An undecided or malformed flag keeps the platform's default.
    assert parse(trace_header(f"Root={ROOT};Sampled=?"))[2] == "0"


def test_spaces_and_order_do_not_matter() -> None:
    root, _, sampled = parse(trace_header(f"Sampled=1; Parent=0000000000000001; Root={ROOT}"))
    assert (root, sampled) == (ROOT, "1")


def test_header_without_root_starts_a_new_trace() -> None:
    root, _, sampled = parse(trace_header("Parent=53995c3f42cd8ad8;Sampled=1"))
    assert root != ROOT
    assert sampled == "1"
    assert parse(trace_header("Root=;Sampled=0"))[0]  # an empty Root is no Root


def test_random_hex_is_full_width_and_varies() -> None:
    ids = {tracing.random_hex(8) for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)
    assert re.fullmatch(r"[0-9a-f]{24}", tracing.random_hex(12))
