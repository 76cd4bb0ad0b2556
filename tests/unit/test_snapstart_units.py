"""SnapStart's pure parts: its log lines and REPORT fields, its validation, and the
runtime's hook ordering and thread check (run in this interpreter)."""

from __future__ import annotations

import sys
import threading
import types
import warnings
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
from snaplambda.runtime import hooks as snaphooks
from snaplambda.runtime import prefault
from snaplambda.runtime import preload as preloading

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

    saved = sys.modules.pop(snaphooks.HOOKS_MODULE, None)
    module = importlib.import_module(snaphooks.HOOKS_MODULE)
    yield module
    sys.modules.pop(snaphooks.HOOKS_MODULE, None)
    if saved is not None:
        sys.modules[snaphooks.HOOKS_MODULE] = saved


def test_hook_order_and_arguments(hooks: Any) -> None:
    calls: list[str] = []
    hooks.register_before_snapshot(lambda: calls.append("b1"))
    hooks.register_before_snapshot(lambda x, y=0: calls.append(f"b2 {x} {y}"), 1, y=2)
    hooks.register_after_restore(lambda: calls.append("a1"))
    hooks.register_after_restore(lambda x: calls.append(f"a2 {x}"), "z")
    snaphooks.run_before_snapshot()
    snaphooks.run_after_restore()
    snaphooks.run_after_restore()
    assert calls == ["b2 1 2", "b1", "a1", "a2 z", "a1", "a2 z"]
    assert hooks.get_before_snapshot() == []


def test_other_threads_are_named() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="poller")
    thread.start()
    try:
        assert "'poller'" in snaphooks.other_threads()
    finally:
        stop.set()
        thread.join()


# -- snapshot expiry -------------------------------------------------------------


def test_snapshot_expires_after_the_ttl_unused() -> None:
    from snaplambda.config import Config
    from snaplambda.snapstart.manager import snapshot_expired

    day = 86400.0
    ttl = Config().snapshot_ttl_s  # the platform's default, Lambda's 14 days
    assert ttl == 14 * day
    assert not snapshot_expired(100.0, 100.0, ttl)
    assert not snapshot_expired(100.0, 100.0 + 14 * day - 0.001, ttl)
    assert snapshot_expired(100.0, 100.0 + 14 * day, ttl)
    assert snapshot_expired(0.0, 2.0, 1.5)


def test_sweep_interval_is_bounded() -> None:
    from snaplambda.snapstart.manager import sweep_interval

    assert sweep_interval(14 * 86400.0) == 3600.0
    assert sweep_interval(2.0) == 1.0
    assert sweep_interval(0.0) == 0.01


def test_snapshot_ttl_from_environ() -> None:
    from snaplambda.config import Config, from_environ

    assert from_environ({}).snapshot_ttl_s == Config().snapshot_ttl_s == 14 * 86400.0
    assert from_environ({"SNAPLAMBDA_SNAPSHOT_TTL": "0.5"}).snapshot_ttl_s == 0.5


class _FakeHolder:
    def __init__(self) -> None:
        self.closed = False
        self.alive = True

    async def close(self) -> None:
        self.closed = True
        self.alive = False


def test_manager_stops_holders_unused_for_the_ttl_by_its_clock() -> None:
    import asyncio

    from snaplambda.snapstart import manager as snapstart

    now = [1000.0]

    async def scenario() -> None:
        manager = snapstart.SnapshotManager(
            None,  # type: ignore[arg-type]  # never building here
            None,  # type: ignore[arg-type]
            lambda *_: None,
            lambda *_: None,
            0,
            ttl_s=60.0,
            clock=lambda: now[0],
        )
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        used, idle = _FakeHolder(), _FakeHolder()
        for version, holder in (("1", used), ("2", idle)):
            cfg = types.SimpleNamespace(name="f", version=version)
            snap = snapstart._Snapshot(cfg, done, now[0], holder)  # type: ignore[arg-type]
            manager._snapshots[("f", version)] = snap
        now[0] += 59.0
        manager.touch(types.SimpleNamespace(name="f", version="1"))  # type: ignore[arg-type]
        manager._sweep()
        assert set(manager._snapshots) == {("f", "1"), ("f", "2")}
        now[0] += 1.0  # version 2 unused for 60 s, version 1 for 1 s
        manager._sweep()
        await asyncio.sleep(0)
        assert set(manager._snapshots) == {("f", "1")}
        assert idle.closed and not used.closed
        # Expired before the sweep looked: an invoke does not revive it.
        now[0] += 60.0
        manager.touch(types.SimpleNamespace(name="f", version="1"))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        assert not manager._snapshots and used.closed
        await manager.close()

    asyncio.run(scenario())


def test_preload_imports_what_is_missing_and_reports_failures(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ssp_unit_mod.py").write_text("VALUE = 7\n")
    (tmp_path / "ssp_unit_bad.py").write_text("raise RuntimeError('no import for you')\n")
    (tmp_path / "ssp_unit_exit.py").write_text("raise SystemExit(3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("ssp_unit_mod", "ssp_unit_bad", "ssp_unit_exit"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    loaded, failed = preloading.preload(
        ["json", "ssp_unit_mod", "ssp_unit_bad", "ssp_unit_exit", "ssp_unit_missing"]
    )
    assert loaded == ["ssp_unit_mod"]  # json was already there: not imported again
    assert sys.modules["ssp_unit_mod"].VALUE == 7
    assert failed == [
        "ssp_unit_bad: RuntimeError: no import for you",
        "ssp_unit_exit: SystemExit: 3",
        "ssp_unit_missing: ModuleNotFoundError: No module named 'ssp_unit_missing'",
    ]
    monkeypatch.delitem(sys.modules, "ssp_unit_mod")


def test_runtime_reports_each_new_module_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from snaplambda.runtime.bootstrap import Runtime

    watched = Runtime(None, print, rlimit_mode=False, known_modules=set(sys.modules))  # type: ignore[arg-type]
    assert watched._new_imports() == []
    monkeypatch.setitem(sys.modules, "ssp_fake_a", types.ModuleType("ssp_fake_a"))
    monkeypatch.setitem(sys.modules, "ssp_fake_none", None)  # a negative cache entry
    monkeypatch.setitem(sys.modules, "__ssp_main__", types.ModuleType("__ssp_main__"))
    assert watched._new_imports() == ["ssp_fake_a"]
    assert watched._new_imports() == []  # reported already
    unwatched = Runtime(None, print, rlimit_mode=False)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "ssp_fake_b", types.ModuleType("ssp_fake_b"))
    assert unwatched._new_imports() == []  # not restored from a snapshot


@pytest.mark.parametrize(
    ("field", "variable"),
    [
        ("snapstart_preload", "SNAPLAMBDA_SNAPSTART_PRELOAD"),
        ("snapstart_immortal", "SNAPLAMBDA_SNAPSTART_IMMORTAL"),
    ],
)
def test_snapstart_flags_from_environ(field: str, variable: str) -> None:
    from snaplambda.config import from_environ

    assert getattr(from_environ({}), field) is True
    assert getattr(from_environ({variable: "0"}), field) is False
    assert getattr(from_environ({variable: "on"}), field) is True
    with pytest.raises(ValueError, match=f"{variable}='maybe'"):
        from_environ({variable: "maybe"})


def test_written_ranges_cover_what_a_forked_copy_wrote() -> None:
    import ctypes
    import json
    import os

    buffer = bytearray(64 * 1024)
    start = ctypes.addressof((ctypes.c_char * len(buffer)).from_buffer(buffer))
    kept = bytearray(b"k" * (64 * 1024))  # present before the fork, never written after
    kept_start = ctypes.addressof((ctypes.c_char * len(kept)).from_buffer(kept))
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():  # 3.12+ warns about forking with threads alive
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            buffer[:] = b"x" * len(buffer)  # copies every page of it
            os.write(write_end, json.dumps(prefault.written_ranges()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    data = b""
    while chunk := os.read(read_end, 1 << 16):
        data += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    ranges = json.loads(data)
    page = os.sysconf("SC_PAGE_SIZE")
    first, last = -(-start // page) * page, (start + len(buffer)) // page * page
    assert any(lo <= first and last <= hi for lo, hi in ranges), (first, last, ranges[:5])
    # Pages still shared with the parent are not the copy's own.
    kept_first, kept_last = -(-kept_start // page) * page, (kept_start + len(kept)) // page * page
    assert not any(lo < kept_last and kept_first < hi for lo, hi in ranges), (kept_first, ranges)
    assert len(ranges) <= prefault.MAX_PAGE_RANGES
