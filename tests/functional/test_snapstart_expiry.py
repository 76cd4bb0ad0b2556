"""SnapStart snapshots expire (Lambda: 14 days unused; here a tiny
``SNAPLAMBDA_SNAPSHOT_TTL``): the holder is stopped and its memory freed, the
version's warm environments keep serving, and the next cold start rebuilds the
snapshot and restores from it.  ``/health`` reports the holders and their memory."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functional.test_snapstart import snap_function
from tests.support import Server, invoke, needs_runtime, report_fields

pytestmark = needs_runtime("python3.12")  # SnapStart's oldest runtime

TTL_S = 1.5


@pytest.fixture
def short_ttl_server(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "state", env={"SNAPLAMBDA_SNAPSHOT_TTL": str(TTL_S)}).start()
    try:
        yield server
    finally:
        server.stop()


def _until(condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _gone(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def test_health_reports_snapshot_holders_and_their_memory(
    server: Server, lam: Any, tmp_path: Path
) -> None:
    version = snap_function(lam, "ss-health", tmp_path)
    snapshots = server.health()["snapshots"]
    holders = [h for h in snapshots["holders"] if h["function"] == "ss-health"]
    assert len(holders) == 1 and holders[0]["version"] == version
    holder = holders[0]
    assert not _gone(holder["pid"])
    assert 0 < holder["pssMB"] <= holder["rssMB"]
    assert snapshots["count"] == len(snapshots["holders"]) >= 1
    assert snapshots["pssMB"] >= holder["pssMB"]
    # Restored environments are counted as environments, not as holders.
    before = server.health()["environments"]
    assert "FunctionError" not in invoke(lam, f"ss-health:{version}")
    after = server.health()
    assert after["environments"] == before + 1
    assert after["snapshots"]["count"] == snapshots["count"]


def test_unused_snapshot_expires_and_is_rebuilt_on_the_next_cold_start(
    short_ttl_server: Server, tmp_path: Path
) -> None:
    server = short_ttl_server
    lam = server.client()
    version = snap_function(lam, "ss-expire", tmp_path)
    first = invoke(lam, f"ss-expire:{version}")
    assert "Restore Duration" in report_fields(first["Log"]), first["Log"]
    restored_pid = first["Body"]["pid"]

    # Unused for the ttl: the holder is stopped and /health no longer counts it.
    holder_pid = -1

    def holder_gone() -> bool:
        nonlocal holder_pid
        holders = server.health()["snapshots"]["holders"]
        if holders:
            holder_pid = holders[0]["pid"]
        return not holders

    _until(holder_gone)
    assert holder_pid != -1
    _until(lambda: _gone(holder_pid))
    cfg = lam.get_function_configuration(FunctionName="ss-expire", Qualifier=version)
    assert cfg["State"] == "Active"

    # Environments restored from it outlive it.
    warm = invoke(lam, f"ss-expire:{version}")
    assert warm["Body"]["pid"] == restored_pid
    assert "Restore Duration" not in report_fields(warm["Log"])

    # The next cold start waits for a new snapshot and restores from it.
    count = server.health()["environments"]
    os.kill(restored_pid, signal.SIGKILL)
    _until(lambda: server.health()["environments"] < count)
    cold = invoke(lam, f"ss-expire:{version}")
    assert "FunctionError" not in cold, cold["Body"]
    assert cold["Body"]["type"] == "snap-start"
    assert "Restore Duration" in report_fields(cold["Log"])
    holders = server.health()["snapshots"]["holders"]
    assert len(holders) == 1 and holders[0]["pid"] != holder_pid
