"""Functions that misbehave in every way we could think of: none of them may crash or
stall the platform, and each gets the error Lambda gives it.

The function is ``tests/functions/misbehaving`` (one action per misbehaviour) or, for
init failures, an inline zip.  Tests assert outcomes, never durations.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import Server, create, invoke, report_fields, zip_files, zip_function

CODE = zip_function("misbehaving")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


# -- helpers -------------------------------------------------------------------------


def make(lam: Any, name: str, **config: Any) -> str:
    create(lam, name, CODE, **{"MemorySize": 128, "Timeout": 5, **config})
    return name


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def eventually(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll ``predicate`` until it holds (a bound on waiting, not an assertion on time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def log_messages(server: Server, name: str) -> list[str]:
    """Every stored log event of the function, oldest first."""
    logs = server.client("logs")
    kwargs: dict[str, Any] = {"logGroupName": f"/aws/lambda/{name}"}
    messages: list[str] = []
    while True:
        page = logs.filter_log_events(**kwargs)
        messages += [event["message"] for event in page["events"]]
        if not page.get("nextToken"):
            return messages
        kwargs["nextToken"] = page["nextToken"]


def assert_unhandled(response: dict[str, Any], error_type: str) -> dict[str, Any]:
    assert response["StatusCode"] == 200
    assert response.get("FunctionError") == "Unhandled", response["Body"]
    body: dict[str, Any] = response["Body"]
    assert body["errorType"] == error_type, body
    return body


def assert_fresh_environment(lam: Any, name: str, old_pid: int) -> None:
    """The function works again, in a new environment."""
    response = invoke(lam, name, {"n": 1})
    assert "FunctionError" not in response, response["Body"]
    assert response["Body"]["event"] == {"n": 1}
    assert response["Body"]["pid"] != old_pid
    assert "Init Duration" in report_fields(response["Log"])


def healthy_pid(lam: Any, name: str) -> int:
    response = invoke(lam, name)
    assert "FunctionError" not in response, response["Body"]
    return int(response["Body"]["pid"])


@pytest.fixture
def reap() -> Iterator[list[int]]:
    """Pids a test saw its function start: killed afterwards if the platform did not."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def rlimit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A platform limiting memory with RLIMIT_DATA and allowing 2 s of init."""
    srv = Server(
        tmp_path_factory.mktemp("rlimit") / "state",
        "--memory-limiter",
        "rlimit",
        "--init-timeout",
        "2",
    ).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def rlam(rlimit_server: Server) -> Any:
    return rlimit_server.client("lambda")


# -- 1. timeout ----------------------------------------------------------------------


def test_timeout_is_sandbox_timedout_and_the_next_invoke_is_cold(lam: Any) -> None:
    name = make(lam, "mb-timeout", Timeout=1)
    pid = healthy_pid(lam, name)
    response = invoke(lam, name, {"action": "sleep", "seconds": 60})
    body = assert_unhandled(response, "Sandbox.Timedout")
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    log = response["Log"]
    assert re.search(rf"^{TIMESTAMP} \S+ Task timed out after 1\.00 seconds$", log, re.M), log
    report = report_fields(log)
    assert report["Status"] == "timeout"
    assert_fresh_environment(lam, name, pid)


def test_a_cold_environment_that_dies_first_still_reports_its_memory(lam: Any) -> None:
    name = make(lam, "mb-cold-timeout", Timeout=1)
    response = invoke(lam, name, {"action": "sleep", "seconds": 60})
    report = report_fields(response["Log"])
    assert "Init Duration" in report and report["Status"] == "timeout"
    assert int(report["Max Memory Used"].split()[0]) > 1, "measured at init, not a placeholder"


# -- 2. out of memory ----------------------------------------------------------------


ALLOCATIONS = ["allocate", "allocate_chunks"]  # one block, or 1 MB at a time


@pytest.mark.parametrize("allocate", ALLOCATIONS)
def test_out_of_memory_under_cgroups(server: Server, lam: Any, allocate: str) -> None:
    limiter = server.health()["memoryLimiter"]
    if not limiter.startswith("cgroup"):
        pytest.skip(f"the platform limits memory with {limiter!r} here, not cgroups")
    name = make(lam, f"mb-oom-cgroup-{allocate}", MemorySize=128)
    assert invoke(lam, name, {"action": allocate, "mb": 16})["Body"] in (16, 16 << 20)
    pid = healthy_pid(lam, name)
    response = invoke(lam, name, {"action": allocate, "mb": 400})
    body = assert_unhandled(response, "Runtime.OutOfMemory")
    assert body["errorMessage"].endswith("Runtime exited with error: signal: killed")
    report = report_fields(response["Log"])
    assert (report["Status"], report["Error Type"]) == ("error", "Runtime.OutOfMemory")
    assert_fresh_environment(lam, name, pid)


@pytest.mark.parametrize("allocate", ALLOCATIONS)
def test_out_of_memory_under_rlimit(rlam: Any, allocate: str) -> None:
    name = make(rlam, f"mb-oom-rlimit-{allocate}", MemorySize=128)
    assert invoke(rlam, name, {"action": allocate, "mb": 16})["Body"] in (16, 16 << 20)
    pid = healthy_pid(rlam, name)
    response = invoke(rlam, name, {"action": allocate, "mb": 400})
    assert_unhandled(response, "Runtime.OutOfMemory")
    assert report_fields(response["Log"])["Error Type"] == "Runtime.OutOfMemory"
    assert_fresh_environment(rlam, name, pid)


# -- 3. the runtime process dies -------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "words"),
    [
        ({"action": "exit", "code": 3}, "with error: exit status 3"),
        ({"action": "segfault"}, "with error: signal: segmentation fault"),
        ({"action": "signal", "signal": "SIGSEGV"}, "with error: signal: segmentation fault"),
        ({"action": "signal", "signal": "SIGKILL"}, "with error: signal: killed"),
        ({"action": "sys_exit", "code": 2}, "with error: exit status 2"),
        ({"action": "sys_exit", "code": 0}, "without providing a reason"),
        # A forked child keeps the control socket and output pipes open: the exit
        # must still be noticed at once, not at the deadline.
        ({"action": "exit_leaving_child", "code": 4}, "with error: exit status 4"),
    ],
    ids=[
        "os-exit",
        "segfault",
        "sigsegv",
        "sigkill",
        "sys-exit",
        "sys-exit-0",
        "exit-leaving-child",
    ],
)
def test_runtime_exit_is_exit_error(lam: Any, event: dict[str, Any], words: str) -> None:
    name = make(lam, f"mb-exit-{event['action']}-{event.get('code', 0)}", Timeout=30)
    pid = healthy_pid(lam, name)
    response = invoke(lam, name, event)
    body = assert_unhandled(response, "Runtime.ExitError")
    assert re.fullmatch(
        rf"RequestId: {UUID} Error: Runtime exited {words}", body["errorMessage"]
    ), body
    report = report_fields(response["Log"])
    assert (report["Status"], report["Error Type"]) == ("error", "Runtime.ExitError")
    assert_fresh_environment(lam, name, pid)


# -- 4. child processes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("limiter", "stop"),
    [("default", "retire"), ("default", "timeout"), ("rlimit", "retire"), ("rlimit", "timeout")],
)
def test_lingering_children_die_with_their_environment(
    request: pytest.FixtureRequest, reap: list[int], limiter: str, stop: str
) -> None:
    lam = request.getfixturevalue("lam" if limiter == "default" else "rlam")
    name = make(lam, f"mb-children-{stop}", Timeout=2)
    body = invoke(lam, name, {"action": "children"})["Body"]
    children = [body["popen"], body["forked"], body["setsid"]]
    reap.extend([body["pid"], *children])
    assert all(alive(pid) for pid in children), "the children should run until shutdown"
    if stop == "retire":
        lam.update_function_configuration(FunctionName=name, Description="retire it")
        healthy_pid(lam, name)  # runs in a new environment; the old one shuts down
    else:
        assert_unhandled(invoke(lam, name, {"action": "sleep", "seconds": 60}), "Sandbox.Timedout")
    assert eventually(lambda: not any(alive(pid) for pid in [body["pid"], *children])), [
        pid for pid in [body["pid"], *children] if alive(pid)
    ]


def test_fork_where_both_processes_return_answers_once(lam: Any) -> None:
    name = make(lam, "mb-fork-return")
    for n in range(3):
        response = invoke(lam, name, {"action": "fork_and_return", "n": n})
        assert "FunctionError" not in response, response["Body"]
        body = response["Body"]
        assert body["child"] != 0, "the response must be the parent's"
        assert body["event"] == {"action": "fork_and_return", "n": n}
        assert response["Log"].count("END RequestId:") == 1
    # No stray answer is waiting on the control channel for the next request.
    after = invoke(lam, name, {"n": "after"})
    assert after["Body"]["event"] == {"n": "after"}
    assert after["Body"]["pid"] == body["pid"], "the environment stays warm"


# -- 5. flooding the log -----------------------------------------------------------------


def test_flooding_stdout_is_bounded(server: Server, lam: Any) -> None:
    name = make(lam, "mb-flood", MemorySize=512, Timeout=30)
    response = invoke(lam, name, {"action": "flood", "mb": 50})
    assert "FunctionError" not in response, response["Body"]
    assert response["Body"]["event"]["action"] == "flood"
    log = response["Log"]
    assert len(log.encode()) <= 4096
    assert "bytes of output dropped" in log
    assert report_fields(log).get("Status") is None
    stored = log_messages(server, name)
    assert sum(len(m) for m in stored) <= (1 << 20) + 64 * 1024, "the stored log is bounded"
    assert any("bytes of output dropped" in m for m in stored)
    assert invoke(lam, name, {"n": 1})["Body"]["event"] == {"n": 1}


@pytest.mark.parametrize("action", ["flood_lines", "flood_with_yes"])
def test_flooding_until_timeout_leaves_the_platform_responsive(
    server: Server, lam: Any, action: str
) -> None:
    flood = make(lam, f"mb-{action}", Timeout=3)
    other = make(lam, "mb-bystander")
    healthy_pid(lam, other)  # warm
    result: dict[str, Any] = {}

    def run_flood() -> None:
        result["response"] = invoke(server.client(), flood, {"action": action, "seconds": 60})

    thread = threading.Thread(target=run_flood)
    thread.start()
    try:
        served_during_flood = 0
        while thread.is_alive():
            response = invoke(lam, other, {"n": served_during_flood})
            assert response["Body"]["event"] == {"n": served_during_flood}
            if thread.is_alive():
                served_during_flood += 1
            time.sleep(0.1)
    finally:
        thread.join()
    assert served_during_flood > 0, "nothing was served while one function flooded its log"
    response = result["response"]
    assert_unhandled(response, "Sandbox.Timedout")
    assert "bytes of output dropped" in response["Log"]
    assert "Task timed out after 3.00 seconds" in response["Log"]
    assert len(response["Log"].encode()) <= 4096
    stored = log_messages(server, flood)
    assert sum(len(m) for m in stored) <= (1 << 20) + 64 * 1024


def test_flooding_from_a_background_thread_between_invokes(server: Server, lam: Any) -> None:
    name = make(lam, "mb-flood-thread")
    first = invoke(lam, name, {"action": "flood_from_thread", "seconds": 3})
    assert "FunctionError" not in first, first["Body"]
    # The environment stays usable while its thread floods, and afterwards.
    for n in range(5):
        response = invoke(lam, name, {"n": n})
        assert response["Body"] == {"pid": first["Body"]["pid"], "event": {"n": n}}
        time.sleep(0.2)
    lam.update_function_configuration(FunctionName=name, Description="retire it")
    assert eventually(lambda: not alive(first["Body"]["pid"]))
    stored = log_messages(server, name)
    assert any("bytes of output dropped" in m for m in stored)


# -- 6. init failures ----------------------------------------------------------------------

INIT_FAILURES = {
    "import-error": (
        "import not_a_module_anywhere\n\ndef handler(event, context):\n    return 1\n",
        "Runtime.ImportModuleError",
        "Unable to import module 'app': No module named 'not_a_module_anywhere'",
    ),
    "handler-missing": (
        "def other(event, context):\n    return 1\n",
        "Runtime.HandlerNotFound",
        "Handler 'handler' missing on module 'app'",
    ),
    "syntax-error": (
        "def handler(event, context)\n    return 1\n",
        "Runtime.UserCodeSyntaxError",
        "Syntax error in module 'app'",
    ),
    "raises-at-import": (
        "raise KeyError('DATABASE_URL')\n",
        "KeyError",
        "'DATABASE_URL'",
    ),
    "raises-a-huge-error-at-import": (
        "raise ValueError('x' * (7 << 20))\n",
        "Runtime.Unknown",
        "over 6291456 bytes",
    ),
    "exits-at-import-leaving-a-child": (
        "import os, time\nif os.fork() == 0:\n    time.sleep(300)\n    os._exit(0)\nos._exit(5)\n",
        "Runtime.ExitError",
        "Runtime exited with error: exit status 5",
    ),
}


@pytest.mark.parametrize("case", list(INIT_FAILURES))
def test_init_failure(server: Server, lam: Any, case: str) -> None:
    source, error_type, message = INIT_FAILURES[case]
    name = f"mb-init-{case}"
    create(lam, name, zip_files({"app.py": source}), Timeout=30)
    for _ in range(2):  # every cold start fails the same way
        body = assert_unhandled(invoke(lam, name), error_type)
        assert message in body["errorMessage"], body
    messages = log_messages(server, name)
    init_reports = [m for m in messages if m.startswith("INIT_REPORT")]
    assert len(init_reports) == 2
    for line in init_reports:
        assert re.fullmatch(
            rf"INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\tError Type: {re.escape(error_type)}",
            line,
        ), line
    # Fixed code works.
    lam.update_function_code(FunctionName=name, ZipFile=CODE)
    assert invoke(lam, name, {"n": 1})["Body"]["event"] == {"n": 1}


def test_init_longer_than_the_init_timeout(
    rlimit_server: Server, rlam: Any, tmp_path: Path, reap: list[int]
) -> None:
    name = "mb-init-sleeps"
    pid_file = tmp_path / "init.pid"
    source = (
        "import os, time\n"
        "with open(os.environ['PID_FILE'], 'w') as f:\n"
        "    f.write(str(os.getpid()))\n"
        "time.sleep(60)\n\n"
        "def handler(event, context):\n"
        "    return 1\n"
    )
    create(
        rlam,
        name,
        zip_files({"app.py": source}),
        Environment={"Variables": {"PID_FILE": str(pid_file)}},
    )
    response = invoke(rlam, name)
    assert response["StatusCode"] == 200
    assert response.get("FunctionError") == "Unhandled"
    assert response["Body"]["errorType"]
    assert "timed out" in response["Body"]["errorMessage"]
    init_pid = int(pid_file.read_text())
    reap.append(init_pid)
    assert eventually(lambda: not alive(init_pid)), "the stuck init is stopped"
    reports = [m for m in log_messages(rlimit_server, name) if m.startswith("INIT_REPORT")]
    assert len(reports) == 1 and re.fullmatch(
        r"INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: timeout", reports[0]
    ), reports
    rlam.update_function_code(FunctionName=name, ZipFile=CODE)
    assert invoke(rlam, name, {"n": 1})["Body"]["event"] == {"n": 1}


# -- 7. bad responses -------------------------------------------------------------------------


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.parametrize("mb", [7, 300])
def test_response_too_large(server: Server, lam: Any, mb: int) -> None:
    assert server.proc is not None
    name = make(lam, f"mb-big-response-{mb}", MemorySize=1536, Timeout=30)
    pid = healthy_pid(lam, name)
    peak_before = peak_rss_kb(server.proc.pid)
    response = invoke(lam, name, {"action": "big_response", "mb": mb})
    body = assert_unhandled(response, "Function.ResponseSizeTooLarge")
    assert "6291456" in body["errorMessage"]
    assert report_fields(response["Log"])["Error Type"] == "Function.ResponseSizeTooLarge"
    # The platform discards what it will not return instead of holding it.
    assert peak_rss_kb(server.proc.pid) - peak_before < 100 * 1024
    # The environment survives, and its control channel is in step.
    after = invoke(lam, name, {"n": 1})
    assert after["Body"] == {"pid": pid, "event": {"n": 1}}


def test_response_that_is_not_json(lam: Any) -> None:
    name = make(lam, "mb-unserializable")
    body = assert_unhandled(invoke(lam, name, {"action": "unserializable"}), "Runtime.MarshalError")
    assert "set" in body["errorMessage"]
    assert invoke(lam, name, {"n": 1})["Body"]["event"] == {"n": 1}


def test_garbage_on_the_control_channel(lam: Any) -> None:
    name = make(lam, "mb-garbage")
    pid = healthy_pid(lam, name)
    response = invoke(lam, name, {"action": "garbage"})
    assert response.get("FunctionError") == "Unhandled"
    assert response["Body"]["errorType"] == "Runtime.ExitError"
    assert_fresh_environment(lam, name, pid)


# -- 8. and the platform is fine --------------------------------------------------------------


def test_the_platform_survived(server: Server, lam: Any) -> None:
    assert server.proc is not None and server.proc.poll() is None
    assert server.health()["status"] == "ok"
    name = make(lam, "mb-survivor")
    for n in range(3):
        response = invoke(lam, name, {"n": n})
        assert "FunctionError" not in response
        assert response["Body"]["event"] == {"n": n}
