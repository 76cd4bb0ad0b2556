"""SnapStart's pure parts: its log lines and REPORT fields, its validation, and the
runtime's hook ordering and thread check (run in this interpreter)."""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

import pytest

from snaplambda.control import validation
from snaplambda.control.errors import InvalidParameterValue, ValidationError
from snaplambda.observability.platform_lines import (
    Report,
    restore_report_line,
    restore_start_line,
)
from snaplambda.runtime import snapshot

RID = "8f507cfc-2f4e-4a2c-9b0a-64e3c0b5e1f2"


def test_restore_lines() -> None:
    assert (
        restore_start_line("python:3.12.v1", "arn:x")
        == "RESTORE_START Runtime Version: python:3.12.v1\tRuntime Version ARN: arn:x"
    )
    assert restore_report_line(12.345) == "RESTORE_REPORT Restore Duration: 12.35 ms"
    assert restore_report_line(3.0, "error").endswith("\tStatus: error")


def test_report_carries_restore_duration_instead_of_init() -> None:
    line = Report(RID, 1.5, 128, 20, restore_duration_ms=4.2).line()
    assert line.endswith(
        "Max Memory Used: 20 MB\tRestore Duration: 4.20 ms\tBilled Restore Duration: 5 ms\t"
    )
    assert "Init Duration" not in line


def test_snap_start_validation() -> None:
    assert validation.config_changes({"SnapStart": {"ApplyOn": "PublishedVersions"}}) == {
        "snap_start": "PublishedVersions"
    }
    assert validation.config_changes({"SnapStart": {"ApplyOn": "None"}}) == {"snap_start": "None"}
    with pytest.raises(ValidationError, match=r"snapStart\.applyOn"):
        validation.config_changes({"SnapStart": {"ApplyOn": "Always"}})
    validation.check_snap_start("python3.12", "PublishedVersions")
    validation.check_snap_start("python3.13", "PublishedVersions")
    validation.check_snap_start("python3.11", "None")
    with pytest.raises(InvalidParameterValue, match=r"python3\.11"):
        validation.check_snap_start("python3.11", "PublishedVersions")


@pytest.fixture
def hooks() -> Iterator[types.ModuleType]:
    """A fresh ``snapshot_restore_py`` as functions import it."""
    import importlib

    saved = sys.modules.pop(snapshot.HOOKS_MODULE, None)
    module = importlib.import_module(snapshot.HOOKS_MODULE)
    yield module
    sys.modules.pop(snapshot.HOOKS_MODULE, None)
    if saved is not None:
        sys.modules[snapshot.HOOKS_MODULE] = saved


def test_hook_order_and_arguments(hooks: Any) -> None:
    calls: list[str] = []
    hooks.register_before_snapshot(lambda: calls.append("b1"))
    hooks.register_before_snapshot(lambda x, y=0: calls.append(f"b2 {x} {y}"), 1, y=2)
    hooks.register_after_restore(lambda: calls.append("a1"))
    hooks.register_after_restore(lambda x: calls.append(f"a2 {x}"), "z")
    snapshot.run_before_snapshot()
    snapshot.run_after_restore()
    snapshot.run_after_restore()
    assert calls == ["b2 1 2", "b1", "a1", "a2 z", "a1", "a2 z"]
    assert hooks.get_before_snapshot() == []


def test_other_threads_are_named() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="poller")
    thread.start()
    try:
        assert "'poller'" in snapshot.other_threads()
    finally:
        stop.set()
        thread.join()
