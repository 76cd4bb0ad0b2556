"""SnapStart preload (beyond Lambda), through boto3 against a real server: modules a
restored environment imports only on its first request are imported into the
snapshot, so the next restore has them before its handler runs; a module that starts
a thread when imported is refused and the snapshot rebuilt without it; the setting
turns it off.  Restores are served by the spare copy the holder forks ahead, which
copies the pages a first request writes once the holder has learned them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.support import Server, create, invoke, needs_runtime, zip_files

pytestmark = needs_runtime("python3.12")  # SnapStart's oldest runtime

APP = """
import os, sys
from snapshot_restore_py import register_after_restore

AT_RESTORE = None

@register_after_restore
def note():
    global AT_RESTORE
    AT_RESTORE = sorted(m for m in ("lazy_mod", "lazy_threads") if m in sys.modules)

def handler(event, context):
    if event.get("die"):
        os._exit(3)
    had = AT_RESTORE
    import lazy_mod  # first used here, not at init: what preload learns
    if event.get("threads"):
        import lazy_threads
    return {"pid": os.getpid(), "had": had, "lazy_pid": lazy_mod.PID}
"""

FILES = {
    "app.py": APP,
    "lazy_mod.py": "import os\nPID = os.getpid()\n",
    "lazy_threads.py": (
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(3600,), name='lazy-worker', daemon=True)"
        ".start()\n"
    ),
}


def publish(lam: Any, name: str) -> str:
    create(
        lam,
        name,
        zip_files(FILES),
        runtime="python3.12",
        SnapStart={"ApplyOn": "PublishedVersions"},
    )
    version = str(lam.publish_version(FunctionName=name)["Version"])
    lam.get_waiter("published_version_active").wait(
        FunctionName=name, Qualifier=version, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    return version


def restore_again(lam: Any, qualified: str) -> dict[str, Any]:
    """End the one restored environment, then invoke: a new restore serves it."""
    died = invoke(lam, qualified, {"die": True})
    assert died.get("FunctionError") == "Unhandled", died["Body"]
    out = invoke(lam, qualified)
    assert "FunctionError" not in out, out["Body"]
    return dict(out["Body"])


def holder_lines(server: Server, function: str, text: str) -> list[str]:
    logs = server.client("logs")
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
    return [e["message"] for e in events if text in e["message"]]


def wait_for_line(server: Server, function: str, text: str) -> list[str]:
    """The holder preloads once it is idle, and says so in its log stream."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        lines = holder_lines(server, function, text)
        if lines:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"no {text!r} line in {function}'s log")


def test_late_imports_are_preloaded_into_the_snapshot(server: Server, lam: Any) -> None:
    version = publish(lam, "ssp-learn")
    qualified = f"ssp-learn:{version}"
    first = invoke(lam, qualified)["Body"]
    assert first["had"] == []  # nothing to learn from yet: imported in the environment
    assert first["lazy_pid"] == first["pid"]
    wait_for_line(server, "ssp-learn", "SnapStart preload:")

    later = restore_again(lam, qualified)
    assert later["pid"] != first["pid"]
    assert later["had"] == ["lazy_mod"]  # present before the handler ran
    assert later["lazy_pid"] not in (later["pid"], first["pid"])  # imported by the holder

    lines = holder_lines(server, "ssp-learn", "SnapStart preload")
    assert any("1 module(s)" in line and "lazy_mod" in line for line in lines), lines


def test_import_that_starts_a_thread_rebuilds_the_snapshot_without_it(
    server: Server, lam: Any
) -> None:
    version = publish(lam, "ssp-threads")
    qualified = f"ssp-threads:{version}"
    first = invoke(lam, qualified, {"threads": True})["Body"]
    assert first["had"] == []

    # The holder imported both, found 'lazy-worker' running and exited; the next
    # cold start builds a new snapshot (without them) and restores from it.
    lines = wait_for_line(server, "ssp-threads", "SnapStart preload refused")
    assert "'lazy-worker'" in lines[0], lines
    later = restore_again(lam, qualified)
    assert later["had"] == []
    assert (
        lam.get_function_configuration(FunctionName="ssp-threads", Qualifier=version)["State"]
        == "Active"
    )

    # That version is not preloaded again, even with modules that would be safe.
    invoke(lam, qualified, {"threads": True})
    assert restore_again(lam, qualified)["had"] == []


def test_preload_can_be_turned_off(tmp_path: Path) -> None:
    srv = Server(tmp_path / "state", env={"SNAPLAMBDA_SNAPSTART_PRELOAD": "0"}).start()
    try:
        lam = srv.client()
        version = publish(lam, "ssp-off")
        invoke(lam, f"ssp-off:{version}")
        # Long enough for an idle holder to have preloaded, were preload on (it does
        # within 10 ms of going idle): the restore below would then have lazy_mod.
        time.sleep(1.0)
        assert restore_again(lam, f"ssp-off:{version}")["had"] == []
        assert holder_lines(srv, "ssp-off", "SnapStart preload") == []
        assert holder_lines(srv, "ssp-off", "SnapStart prefault") == []
    finally:
        srv.stop()


def spares_of(server: Server, function: str) -> list[int]:
    holders = server.health()["snapshots"]["holders"]
    return [pid for h in holders if h["function"] == function for pid in h["sparePids"]]


def test_restores_take_the_spare_forked_ahead_and_learn_pages(server: Server, lam: Any) -> None:
    version = publish(lam, "ssp-spare")
    qualified = f"ssp-spare:{version}"
    invoke(lam, qualified)  # imports lazy_mod: preloaded, so pages are learned later
    wait_for_line(server, "ssp-spare", "SnapStart preload:")
    restore_again(lam, qualified)  # its first request's pages are learned
    wait_for_line(server, "ssp-spare", "SnapStart prefault:")
    deadline = time.monotonic() + 10
    while not spares_of(server, "ssp-spare") and time.monotonic() < deadline:
        time.sleep(0.02)
    spares = spares_of(server, "ssp-spare")
    assert len(spares) == 1, server.health()["snapshots"]

    later = restore_again(lam, qualified)  # served by the spare, given its environment
    assert later["pid"] == spares[0]
    assert later["had"] == ["lazy_mod"]
    lines = holder_lines(server, "ssp-spare", "SnapStart prefault")
    assert len(lines) == 1 and "page(s)" in lines[0], lines
