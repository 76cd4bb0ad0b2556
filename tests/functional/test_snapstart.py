"""SnapStart through boto3 against a real server: publishing builds a snapshot,
cold starts of the version restore from it (RESTORE lines, Restore Duration in
REPORT), hooks run in Lambda's order with their arguments, restored environments
differ where they must, and failures (hooks, threads, old runtimes) are Lambda's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import Server, create, invoke, needs_runtime, report_fields, zip_files

pytestmark = needs_runtime("python3.12")  # SnapStart's oldest runtime

SNAP = {"ApplyOn": "PublishedVersions"}

APP = """
import os, random, sqlite3, time
from snapshot_restore_py import (
    get_after_restore, get_before_snapshot, register_after_restore, register_before_snapshot,
)

CALLS = []
INIT_RANDOM = random.random()
DB = sqlite3.connect(os.environ["DB_PATH"], check_same_thread=False)
DB.execute("create table if not exists hits (pid integer)")
DB.commit()

@register_before_snapshot
def first_before():
    CALLS.append("before-1")

register_before_snapshot(lambda x, y=0: CALLS.append(f"before-2:{x}:{y}"), 1, y=2)

@register_after_restore
def first_after():
    CALLS.append("after-1")

def reconnect(path):
    global DB
    DB.close()
    DB = sqlite3.connect(path, check_same_thread=False)
    CALLS.append("after-2:reconnected")

register_after_restore(reconnect, os.environ["DB_PATH"])

def handler(event, context):
    gate = event.get("gate")
    if gate:
        open(os.path.join(gate, str(os.getpid())), "w").close()
        deadline = time.monotonic() + 20
        while len(os.listdir(gate)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    DB.execute("insert into hits values (?)", (os.getpid(),))
    DB.commit()
    return {
        "calls": CALLS,
        "type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"],
        "random": random.random(),
        "init_random": INIT_RANDOM,
        "pid": os.getpid(),
        "hits": DB.execute("select count(*) from hits").fetchone()[0],
        "stream": context.log_stream_name,
        "tmpdir": os.environ["TMPDIR"],
        "before_left": len(get_before_snapshot()),
        "after_registered": len(get_after_restore()),
    }
"""


def snap_function(lam: Any, name: str, tmp_path: Path, source: str = APP) -> str:
    """Create a python3.12 SnapStart function, publish it and wait until Active."""
    create(
        lam,
        name,
        zip_files({"app.py": source}),
        runtime="python3.12",
        SnapStart=SNAP,
        Environment={"Variables": {"DB_PATH": str(tmp_path / f"{name}.db")}},
    )
    published = lam.publish_version(FunctionName=name)
    assert published["State"] == "Pending"
    assert published["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}
    lam.get_waiter("published_version_active").wait(
        FunctionName=name,
        Qualifier=published["Version"],
        WaiterConfig={"Delay": 1, "MaxAttempts": 60},
    )
    return str(published["Version"])


def wait_state(lam: Any, name: str, version: str) -> dict[str, Any]:
    """The version's configuration once it is no longer Pending."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        cfg: dict[str, Any] = lam.get_function_configuration(FunctionName=name, Qualifier=version)
        if cfg["State"] != "Pending":
            return cfg
        time.sleep(0.2)
    raise AssertionError(f"{name}:{version} stayed Pending")


def test_restore_runs_hooks_and_reports_restore_duration(
    server: Server, lam: Any, tmp_path: Path
) -> None:
    version = snap_function(lam, "ss-basic", tmp_path)
    cfg = lam.get_function_configuration(FunctionName="ss-basic", Qualifier=version)
    assert cfg["State"] == "Active"
    assert lam.get_function_configuration(FunctionName="ss-basic")["SnapStart"] == {
        "ApplyOn": "PublishedVersions",
        "OptimizationStatus": "Off",
    }

    first = invoke(lam, f"ss-basic:{version}")
    body = first["Body"]
    assert "FunctionError" not in first, body
    assert body["type"] == "snap-start"
    # Before-snapshot hooks ran last registered first; after-restore first first.
    assert body["calls"] == ["before-2:1:2", "before-1", "after-1", "after-2:reconnected"]
    assert body["before_left"] == 0 and body["after_registered"] == 2
    # The SQLite connection opened at init was reopened by a hook, and works.
    assert body["hits"] >= 1
    assert body["tmpdir"].endswith(body["stream"].rsplit("]", 1)[1])
    fields = report_fields(first["Log"])
    assert float(fields["Restore Duration"].removesuffix(" ms")) > 0
    assert int(fields["Billed Restore Duration"].removesuffix(" ms")) >= 1
    assert "Init Duration" not in fields

    warm = invoke(lam, f"ss-basic:{version}")
    assert warm["Body"]["pid"] == body["pid"]
    assert "Restore Duration" not in report_fields(warm["Log"])

    logs = server.client("logs")
    events = logs.filter_log_events(
        logGroupName="/aws/lambda/ss-basic", logStreamNames=[body["stream"]]
    )["events"]
    messages = [e["message"] for e in events]
    assert messages[0].startswith("RESTORE_START Runtime Version: python:3.12.")
    assert messages[1].startswith("RESTORE_REPORT Restore Duration: ")
    everything = logs.filter_log_events(logGroupName="/aws/lambda/ss-basic")["events"]
    assert any(e["message"].startswith("INIT_START") for e in everything)
    assert any(
        e["message"].startswith("INIT_REPORT") and "Status: success" in e["message"]
        for e in everything
    )


def test_latest_never_uses_the_snapshot(lam: Any, tmp_path: Path) -> None:
    snap_function(lam, "ss-latest", tmp_path)
    out = invoke(lam, "ss-latest")
    assert out["Body"]["type"] == "on-demand"
    assert out["Body"]["calls"] == []  # no hook runs outside SnapStart
    fields = report_fields(out["Log"])
    assert "Init Duration" in fields and "Restore Duration" not in fields


def test_concurrent_restores_differ_in_random_state(lam: Any, tmp_path: Path) -> None:
    version = snap_function(lam, "ss-random", tmp_path)
    gate = tmp_path / "gate"
    gate.mkdir()
    results: list[dict[str, Any]] = []

    def call() -> None:
        results.append(invoke(lam, f"ss-random:{version}", {"gate": str(gate)}))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bodies = [r["Body"] for r in results]
    assert all(b["type"] == "snap-start" for b in bodies), bodies
    assert bodies[0]["pid"] != bodies[1]["pid"]
    assert bodies[0]["random"] != bodies[1]["random"]
    # State made at init is the snapshot's, shared by every restored environment.
    assert bodies[0]["init_random"] == bodies[1]["init_random"]
    assert all("Restore Duration" in report_fields(r["Log"]) for r in results)


def test_failing_before_snapshot_hook_fails_the_version(lam: Any, tmp_path: Path) -> None:
    source = (
        "from snapshot_restore_py import register_before_snapshot\n"
        "@register_before_snapshot\n"
        "def boom():\n"
        "    raise ValueError('no snapshot for you')\n"
        "def handler(event, context):\n"
        "    return 1\n"
    )
    create(lam, "ss-before", zip_files({"app.py": source}), runtime="python3.12", SnapStart=SNAP)
    version = lam.publish_version(FunctionName="ss-before")["Version"]
    cfg = wait_state(lam, "ss-before", version)
    assert cfg["State"] == "Failed"
    assert cfg["StateReasonCode"] == "Runtime.BeforeSnapshotError"
    assert "no snapshot for you" in cfg["StateReason"]
    with pytest.raises(ClientError) as info:
        lam.invoke(FunctionName=f"ss-before:{version}", Payload=b"{}")
    error = info.value.response["Error"]
    assert error["Code"] == "ResourceConflictException"
    assert "Failed" in error["Message"] and "Runtime.BeforeSnapshotError" in error["Message"]


def test_failing_after_restore_hook_is_an_after_restore_error(lam: Any, tmp_path: Path) -> None:
    source = (
        "from snapshot_restore_py import register_after_restore\n"
        "@register_after_restore\n"
        "def boom():\n"
        "    raise RuntimeError('cannot reconnect')\n"
        "def handler(event, context):\n"
        "    return 1\n"
    )
    create(lam, "ss-after", zip_files({"app.py": source}), runtime="python3.12", SnapStart=SNAP)
    version = lam.publish_version(FunctionName="ss-after")["Version"]
    assert wait_state(lam, "ss-after", version)["State"] == "Active"
    out = invoke(lam, f"ss-after:{version}")
    assert out["FunctionError"] == "Unhandled"
    assert out["Body"]["errorType"] == "Runtime.AfterRestoreError"
    assert "cannot reconnect" in out["Body"]["errorMessage"]
    fields = report_fields(out["Log"])
    assert "Restore Duration" in fields and "Init Duration" not in fields
    # That environment was discarded; the next invoke restores another and fails alike.
    again = invoke(lam, f"ss-after:{version}")
    assert again["Body"]["errorType"] == "Runtime.AfterRestoreError"


def test_thread_alive_at_snapshot_fails_naming_it(lam: Any, tmp_path: Path) -> None:
    source = (
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(600,), name='poller', daemon=True).start()\n"
        "def handler(event, context):\n"
        "    return 1\n"
    )
    create(lam, "ss-thread", zip_files({"app.py": source}), runtime="python3.12", SnapStart=SNAP)
    version = lam.publish_version(FunctionName="ss-thread")["Version"]
    cfg = wait_state(lam, "ss-thread", version)
    assert cfg["State"] == "Failed"
    assert "'poller'" in cfg["StateReason"]


def test_refused_for_python311(lam: Any) -> None:
    with pytest.raises(ClientError) as info:
        create(lam, "ss-311", zip_files({"app.py": ""}), runtime="python3.11", SnapStart=SNAP)
    assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "python3.11" in info.value.response["Error"]["Message"]
    create(lam, "ss-311", zip_files({"app.py": ""}), runtime="python3.11")
    with pytest.raises(ClientError) as info:
        lam.update_function_configuration(FunctionName="ss-311", SnapStart=SNAP)
    assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"
    cfg = lam.get_function_configuration(FunctionName="ss-311")
    assert cfg["SnapStart"] == {"ApplyOn": "None", "OptimizationStatus": "Off"}


def test_deleting_the_version_frees_the_snapshot(lam: Any, tmp_path: Path) -> None:
    version = snap_function(lam, "ss-delete", tmp_path)
    assert invoke(lam, f"ss-delete:{version}")["Body"]["type"] == "snap-start"
    assert snapshot_processes("ss-delete")
    lam.delete_function(FunctionName="ss-delete", Qualifier=version)
    with pytest.raises(ClientError):
        lam.invoke(FunctionName=f"ss-delete:{version}", Payload=b"{}")
    deadline = time.monotonic() + 10
    while snapshot_processes("ss-delete") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert snapshot_processes("ss-delete") == []


def snapshot_processes(function: str) -> list[int]:
    """Pids of the holder of ``function`` and environments restored from it (their
    initial environment, which /proc keeps, marks them)."""
    wanted = {b"_SNAPLAMBDA_SNAPSHOT=1", f"AWS_LAMBDA_FUNCTION_NAME={function}".encode()}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = set((entry / "environ").read_bytes().split(b"\0"))
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if wanted <= environ and state != "Z":
            found.append(int(entry.name))
    return found


def test_restart_rebuilds_the_snapshot(tmp_path: Path) -> None:
    srv = Server(tmp_path / "state").start()
    try:
        lam = srv.client()
        version = snap_function(lam, "ss-restart", tmp_path)
        assert invoke(lam, f"ss-restart:{version}")["Body"]["type"] == "snap-start"
    finally:
        srv.stop()
    srv = Server(tmp_path / "state").start()
    try:
        lam = srv.client()
        out = invoke(lam, f"ss-restart:{version}")
        assert out["Body"]["type"] == "snap-start", json.dumps(out["Body"])
        assert "Restore Duration" in report_fields(out["Log"])
        cfg = lam.get_function_configuration(FunctionName="ss-restart", Qualifier=version)
        assert cfg["State"] == "Active"
    finally:
        srv.stop()


COUNTS_APP = """
import sys

class Model:
    pass

SETTINGS = {"mode": "fast"}
ITEMS = [1, 2, 3]

def handler(event, context):
    return {
        "handler": sys.getrefcount(handler),
        "code": sys.getrefcount(handler.__code__),
        "class": sys.getrefcount(Model),
        "dict": sys.getrefcount(SETTINGS),
        "list": sys.getrefcount(ITEMS),
    }
"""

IMMORTAL = 0xFFFFFFFF


def _counts(lam: Any, name: str) -> tuple[dict[str, int], dict[str, int]]:
    """(restored, $LATEST) reference counts reported by COUNTS_APP."""
    create(lam, name, zip_files({"app.py": COUNTS_APP}), runtime="python3.12", SnapStart=SNAP)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.get_waiter("published_version_active").wait(
        FunctionName=name, Qualifier=version, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    restored = invoke(lam, f"{name}:{version}")
    assert "Restore Duration" in report_fields(restored["Log"])
    return restored["Body"], invoke(lam, name)["Body"]


def test_restored_code_and_classes_are_immortal(lam: Any) -> None:
    """Beyond Lambda: the snapshot's code and classes no longer count references in
    restored environments (runtime/immortal.py); data stays as it was."""
    restored, latest = _counts(lam, "ss-immortal")
    assert restored["handler"] == restored["code"] == restored["class"] == IMMORTAL, restored
    assert restored["dict"] < 100 and restored["list"] < 100, restored
    assert all(count < 100 for count in latest.values()), latest  # no snapshot there


def test_immortal_objects_can_be_turned_off(tmp_path: Path) -> None:
    srv = Server(tmp_path / "state", env={"SNAPLAMBDA_SNAPSTART_IMMORTAL": "0"}).start()
    try:
        restored, _ = _counts(srv.client(), "ss-mortal")
        assert all(count < 100 for count in restored.values()), restored
    finally:
        srv.stop()


def test_restored_exit_status_and_timeout_are_lambdas(lam: Any) -> None:
    """The restored process is the holder's child: its exit status still reaches the
    caller, and a timeout still kills it."""
    source = (
        "import os, time\n"
        "def handler(event, context):\n"
        "    if event.get('exit') is not None:\n"
        "        os._exit(event['exit'])\n"
        "    time.sleep(event.get('sleep', 0))\n"
        "    return os.getpid()\n"
    )
    create(
        lam,
        "ss-exit",
        zip_files({"app.py": source}),
        runtime="python3.12",
        SnapStart=SNAP,
        Timeout=1,
    )
    version = lam.publish_version(FunctionName="ss-exit")["Version"]
    assert wait_state(lam, "ss-exit", version)["State"] == "Active"
    out = invoke(lam, f"ss-exit:{version}", {"exit": 3})
    assert out["Body"]["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in out["Body"]["errorMessage"]
    out = invoke(lam, f"ss-exit:{version}", {"sleep": 5})
    assert out["Body"]["errorType"] == "Sandbox.Timedout"
    out = invoke(lam, f"ss-exit:{version}")
    assert isinstance(out["Body"], int)
    assert "Restore Duration" in report_fields(out["Log"])


def test_hooks_module_is_provided_after_the_package(lam: Any) -> None:
    """python3.12+ functions can import ``snapshot_restore_py`` without shipping it;
    a copy in the package wins; python3.11 functions are not given it."""
    probe = (
        "import snapshot_restore_py\n"
        "def handler(event, context):\n"
        "    return getattr(snapshot_restore_py, 'MARK', snapshot_restore_py.__file__)\n"
    )
    create(lam, "ss-provided", zip_files({"app.py": probe}), runtime="python3.12")
    assert invoke(lam, "ss-provided")["Body"].endswith("snapshot_restore_py.py")
    bundled = zip_files({"app.py": probe, "snapshot_restore_py.py": "MARK = 'bundled'\n"})
    lam.update_function_code(FunctionName="ss-provided", ZipFile=bundled)
    assert invoke(lam, "ss-provided")["Body"] == "bundled"
    create(lam, "ss-provided-311", zip_files({"app.py": probe}), runtime="python3.11")
    out = invoke(lam, "ss-provided-311")
    assert out["Body"]["errorType"] == "Runtime.ImportModuleError"


def test_snapstart_check_command(tmp_path: Path) -> None:
    """``snaplambda snapstart check`` runs init and hooks locally and reports what a
    snapshot would not survive or would share."""
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "app.py").write_text(
        "import socket, threading, time\n"
        "S = socket.socket()\n"
        "threading.Thread(target=time.sleep, args=(60,), name='poller', daemon=True).start()\n"
        "print('init ran')\n"
        "def handler(event, context):\n"
        "    return 1\n"
    )
    good = tmp_path / "good"
    good.mkdir()
    (good / "app.py").write_text(APP.replace('os.environ["DB_PATH"]', "':memory:'"))

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "snaplambda", "snapstart", "check", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "400"},
            check=False,
        )

    out = run(bad)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "init ran" in out.stdout
    assert "'poller'" in out.stdout and "socket open at snapshot time" in out.stdout
    assert "app.py:2: socket.socket() at import" in out.stdout  # the static pass, with line
    out = run(good)
    assert out.returncode == 0, out.stdout + out.stderr  # warnings only
    # Its value drawn at import is the same in every restored copy: flagged by line.
    assert "warning: app.py:8: random.random() at import" in out.stdout
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "app.py").write_text("def handler(event, context):\n    return 1\n")
    out = run(clean)
    assert out.returncode == 0 and "ready for SnapStart" in out.stdout
