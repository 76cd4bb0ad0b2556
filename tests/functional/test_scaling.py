"""Scaling against a real server: parallel cold starts, warm reuse, reserved and
platform-wide concurrency, isolation of slow inits, keep-alive, restarts and runtimes.

Concurrency is observed by what happened, never by how long it took: handlers of
``tests/functions/gated`` hold an invocation open until the test creates a release
file (or until their peers arrive at a rendezvous), so "A was still running when B
was throttled" is a fact of the test's own ordering, not a guess from a stopwatch.
Every wait has a generous upper bound so a broken platform fails instead of hanging.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.support import Server, create, interpreter_for, invoke, report_fields, zip_function

RESERVED = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT = "ConcurrentInvocationLimitExceeded"
WAIT = 30.0  # upper bound on any wait for the platform; never reached when it works


# -- fixtures ------------------------------------------------------------------


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A platform of this module's own, so /health counters only see these tests."""
    server = Server(tmp_path_factory.mktemp("scaling") / "state").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lam(srv: Server) -> Any:
    return srv.client()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start extra servers (``servers("--keep-alive", "1")``); all stopped afterwards."""
    started: list[Server] = []

    def start(*args: str, state_dir: Path | None = None) -> Server:
        server = Server(state_dir or tmp_path / f"state-{len(started)}", *args)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        if server.proc is not None:
            server.stop()


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor


# -- helpers -------------------------------------------------------------------


def wait_for_file(path: Path, *watch: Future[Any]) -> None:
    """Wait until ``path`` exists; fail early if a watched invoke ends first."""
    deadline = time.monotonic() + WAIT
    while not path.exists():
        for future in watch:
            if future.done():
                pytest.fail(f"invoke ended before {path.name} appeared: {future.result()!r}")
        if time.monotonic() > deadline:
            pytest.fail(f"{path.name} did not appear within {WAIT} s")
        time.sleep(0.01)


def throttle_reason(exc: Any) -> str:
    """``Reason`` of a TooManyRequestsException, wherever botocore put it."""
    response = exc.response
    return str(response.get("Reason") or response["Error"].get("Reason", ""))


def ok(response: dict[str, Any]) -> dict[str, Any]:
    """The body of a successful invoke (and check it was one)."""
    assert response["StatusCode"] == 200, response
    assert "FunctionError" not in response, response["Body"]
    body: dict[str, Any] = response["Body"]
    return body


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for a reaper does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def is_cold(response: dict[str, Any]) -> bool:
    return "Init Duration" in report_fields(response["Log"])


# -- 1, 2: parallel cold starts and warm reuse ------------------------------------


@pytest.fixture(scope="module")
def burst(srv: Server, lam: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Four invokes of a fresh function at once.  Each init, and then each handler,
    waits at a rendezvous until all four are running, so they can only all get
    through if the four cold starts and the four invocations ran in parallel."""
    init_gate = tmp_path_factory.mktemp("init-gate")
    create(
        lam,
        "burst",
        zip_function("gated"),
        Timeout=60,
        Environment={"Variables": {"INIT_GATE": str(init_gate), "INIT_PARTIES": "4"}},
    )
    gate = tmp_path_factory.mktemp("gate")
    before = srv.health()
    with ThreadPoolExecutor(max_workers=4) as executor:
        futures = [
            executor.submit(
                invoke, lam, "burst", {"gate": str(gate), "parties": 4, "maxWait": WAIT}
            )
            for _ in range(4)
        ]
        responses = [f.result() for f in futures]
    return {"before": before, "after": srv.health(), "responses": responses}


def test_parallel_invokes_cold_start_parallel_environments(burst: dict[str, Any]) -> None:
    bodies = [ok(r) for r in burst["responses"]]
    assert all(b["initGateMet"] for b in bodies), "the four inits never ran at the same time"
    assert all(b["released"] for b in bodies), "the four handlers never ran at the same time"
    assert len({b["pid"] for b in bodies}) == 4, "each concurrent invoke gets its own environment"
    assert all(is_cold(r) for r in burst["responses"])
    # Every handler started before any finished: the intervals share a moment.
    assert max(b["start"] for b in bodies) < min(b["end"] for b in bodies)
    assert burst["after"]["coldStarts"] - burst["before"]["coldStarts"] == 4
    assert burst["after"]["throttles"] == burst["before"]["throttles"]
    assert burst["after"]["environments"] >= 4


def test_sequential_invokes_after_a_burst_reuse_warm_environments(
    srv: Server, lam: Any, burst: dict[str, Any]
) -> None:
    burst_pids = {r["Body"]["pid"] for r in burst["responses"]}
    before = srv.health()
    responses = [invoke(lam, "burst", {}) for _ in range(4)]
    after = srv.health()
    for response in responses:
        body = ok(response)
        assert not is_cold(response), response["Log"]
        assert body["pid"] in burst_pids
        assert body["initPid"] == body["pid"]
    assert after["coldStarts"] == before["coldStarts"]
    assert after["warmStarts"] - before["warmStarts"] == 4
    assert after["environments"] == before["environments"], "no environment started or lost"


# -- 3: reserved concurrency -------------------------------------------------------


def test_reserved_concurrency_caps_the_function(
    lam: Any, pool: ThreadPoolExecutor, tmp_path: Path
) -> None:
    create(lam, "reserved-one", zip_function("gated"), Timeout=60)
    put = lam.put_function_concurrency(FunctionName="reserved-one", ReservedConcurrentExecutions=1)
    assert put["ReservedConcurrentExecutions"] == 1
    got = lam.get_function_concurrency(FunctionName="reserved-one")
    assert got["ReservedConcurrentExecutions"] == 1
    assert lam.get_function(FunctionName="reserved-one")["Concurrency"] == {
        "ReservedConcurrentExecutions": 1
    }

    started, release = tmp_path / "started", tmp_path / "release"
    held = pool.submit(
        invoke,
        lam,
        "reserved-one",
        {"started": str(started), "release": str(release), "maxWait": WAIT},
    )
    wait_for_file(started, held)
    # The one reserved slot is taken (the first invoke cannot end before the release).
    with pytest.raises(lam.exceptions.TooManyRequestsException) as info:
        lam.invoke(FunctionName="reserved-one", Payload=b"{}")
    assert not held.done()
    release.touch()
    assert ok(held.result())["released"]
    assert throttle_reason(info.value) == RESERVED
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429

    # The slot came back when the first invoke ended.
    ok(invoke(lam, "reserved-one"))


def test_reserved_zero_throttles_every_invoke_until_deleted(lam: Any) -> None:
    create(lam, "reserved-zero", zip_function("gated"), Timeout=10)
    lam.put_function_concurrency(FunctionName="reserved-zero", ReservedConcurrentExecutions=0)
    assert (
        lam.get_function_concurrency(FunctionName="reserved-zero")["ReservedConcurrentExecutions"]
        == 0
    )
    for _ in range(3):
        with pytest.raises(lam.exceptions.TooManyRequestsException) as info:
            lam.invoke(FunctionName="reserved-zero", Payload=b"{}")
        assert throttle_reason(info.value) == RESERVED

    lam.delete_function_concurrency(FunctionName="reserved-zero")
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(
        FunctionName="reserved-zero"
    )
    assert "Concurrency" not in lam.get_function(FunctionName="reserved-zero")
    ok(invoke(lam, "reserved-zero"))


def test_reservation_that_leaves_too_little_unreserved_is_refused(lam: Any) -> None:
    create(lam, "reserve-big", zip_function("gated"))
    create(lam, "reserve-other", zip_function("gated"))
    limit = lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
    minimum = min(100, limit // 10)  # AWS keeps 100 unreserved
    most = limit - minimum
    reserved_elsewhere = sum(
        lam.get_function_concurrency(FunctionName=f["FunctionName"]).get(
            "ReservedConcurrentExecutions", 0
        )
        for f in lam.list_functions()["Functions"]
        if f["FunctionName"] not in ("reserve-big", "reserve-other")
    )
    most -= reserved_elsewhere

    with pytest.raises(lam.exceptions.InvalidParameterValueException) as info:
        lam.put_function_concurrency(
            FunctionName="reserve-big", ReservedConcurrentExecutions=most + 1
        )
    assert f"[{minimum}]" in info.value.response["Error"]["Message"]
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(
        FunctionName="reserve-big"
    )

    # Exactly up to the minimum is allowed; then any reservation elsewhere is too much.
    lam.put_function_concurrency(FunctionName="reserve-big", ReservedConcurrentExecutions=most)
    try:
        with pytest.raises(lam.exceptions.InvalidParameterValueException):
            lam.put_function_concurrency(
                FunctionName="reserve-other", ReservedConcurrentExecutions=1
            )
        # Lowering the function's own reservation is checked against the others only.
        lam.put_function_concurrency(
            FunctionName="reserve-big", ReservedConcurrentExecutions=most - 1
        )
        lam.put_function_concurrency(FunctionName="reserve-other", ReservedConcurrentExecutions=1)
        settings = lam.get_account_settings()["AccountLimit"]
        assert settings["UnreservedConcurrentExecutions"] == minimum
    finally:
        lam.delete_function_concurrency(FunctionName="reserve-big")
        lam.delete_function_concurrency(FunctionName="reserve-other")
    # Unreserved functions still run after all that.
    ok(invoke(lam, "reserve-other"))


def test_a_recreated_function_does_not_inherit_the_old_reservation(lam: Any) -> None:
    create(lam, "reborn", zip_function("gated"))
    lam.put_function_concurrency(FunctionName="reborn", ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.invoke(FunctionName="reborn", Payload=b"{}")
    create(lam, "reborn", zip_function("gated"))  # deletes, then creates
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName="reborn")
    ok(invoke(lam, "reborn"))


def test_concurrency_of_an_unknown_function_is_not_found(lam: Any) -> None:
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.put_function_concurrency(FunctionName="no-such-fn", ReservedConcurrentExecutions=1)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_concurrency(FunctionName="no-such-fn")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.delete_function_concurrency(FunctionName="no-such-fn")


# -- 4: platform-wide limit --------------------------------------------------------


def test_platform_limit_throttles_instead_of_queueing(
    servers: Callable[..., Server], pool: ThreadPoolExecutor, tmp_path: Path
) -> None:
    srv = servers("--max-concurrency", "2")
    lam = srv.client()
    create(lam, "limited-a", zip_function("gated"), Timeout=60)
    create(lam, "limited-b", zip_function("gated"), Timeout=60)
    release = tmp_path / "release"
    held = []
    for i, name in enumerate(("limited-a", "limited-a")):
        started = tmp_path / f"started-{i}"
        event = {"started": str(started), "release": str(release), "maxWait": WAIT}
        held.append(pool.submit(invoke, lam, name, event))
        wait_for_file(started, *held)

    # Two in flight on a limit of two: a third invoke, of any function, is refused
    # at once rather than queued behind the two that cannot end yet.
    for name in ("limited-a", "limited-b"):
        with pytest.raises(lam.exceptions.TooManyRequestsException) as info:
            lam.invoke(FunctionName=name, Payload=b"{}")
        assert throttle_reason(info.value) == ACCOUNT
    assert not any(f.done() for f in held)
    assert srv.health()["throttles"] == 2

    release.touch()
    bodies = [ok(f.result()) for f in held]
    assert all(b["released"] for b in bodies)
    assert bodies[0]["pid"] != bodies[1]["pid"]
    # Capacity is back once they end.
    ok(invoke(lam, "limited-b"))
    assert srv.health()["throttles"] == 2


# -- 5: a slow init never delays another function -------------------------------------


def test_slow_init_does_not_delay_other_functions(
    lam: Any, pool: ThreadPoolExecutor, tmp_path: Path
) -> None:
    init_started, release = tmp_path / "init-started", tmp_path / "init-release"
    create(
        lam,
        "slow-init",
        zip_function("slow_init"),
        Timeout=30,
        Environment={
            "Variables": {
                "SLOW_INIT_STARTED": str(init_started),
                "SLOW_INIT_RELEASE": str(release),
                "SLOW_INIT_MAX_WAIT": "8",  # under the platform's 10 s init limit
            }
        },
    )
    create(lam, "fast", zip_function("gated"), Timeout=10)
    ok(invoke(lam, "fast"))  # warm

    events: list[str] = []

    def slow_invoke() -> dict[str, Any]:
        response = invoke(lam, "slow-init")
        events.append("slow returned")
        return response

    slow = pool.submit(slow_invoke)
    wait_for_file(init_started, slow)  # SLOW's init is now running, and cannot finish yet
    fast_responses = []
    for i in range(5):
        fast_responses.append(invoke(lam, "fast", {"n": i}))
        events.append(f"fast {i}")
    assert not slow.done()
    release.touch()
    slow_response = slow.result()

    assert events == [f"fast {i}" for i in range(5)] + ["slow returned"]
    for response in fast_responses:
        ok(response)
        assert not is_cold(response)
    slow_body = ok(slow_response)
    assert slow_body["released"], "SLOW's init gave up waiting: FAST must have been held up"
    assert is_cold(slow_response)


# -- 6: keep-alive and scale to zero ---------------------------------------------------


def test_idle_environments_stop_after_keep_alive(servers: Callable[..., Server]) -> None:
    srv = servers("--keep-alive", "1")
    lam = srv.client()
    create(lam, "ephemeral", zip_function("gated"))
    first = invoke(lam, "ephemeral")
    assert is_cold(first)

    deadline = time.monotonic() + WAIT
    while srv.health()["environments"] != 0:
        assert time.monotonic() < deadline, "the idle environment was never stopped"
        time.sleep(0.1)

    second = invoke(lam, "ephemeral")
    assert is_cold(second), "after scaling to zero the next invoke is a cold start"
    assert ok(second)["pid"] != ok(first)["pid"]
    health = srv.health()
    assert (health["coldStarts"], health["warmStarts"]) == (2, 0)


# -- 7: state survives a restart ------------------------------------------------------


def test_functions_survive_a_restart(servers: Callable[..., Server], tmp_path: Path) -> None:
    state = tmp_path / "durable-state"
    first = servers(state_dir=state)
    lam = first.client()
    created = create(lam, "durable", zip_function("gated"), MemorySize=256, Timeout=7)
    lam.put_function_concurrency(FunctionName="durable", ReservedConcurrentExecutions=3)
    before = ok(invoke(lam, "durable"))
    first.stop()
    assert not process_alive(before["pid"]), "stopping the server leaves no environment behind"

    second = servers(state_dir=state)
    lam = second.client()
    fn = lam.get_function(FunctionName="durable")
    assert fn["Configuration"]["CodeSha256"] == created["CodeSha256"]
    assert fn["Configuration"]["MemorySize"] == 256
    assert fn["Configuration"]["Timeout"] == 7
    assert fn["Concurrency"] == {"ReservedConcurrentExecutions": 3}
    response = invoke(lam, "durable")
    after = ok(response)
    assert is_cold(response)
    assert after["pid"] != before["pid"]
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["durable"]


# -- 8: runtimes ----------------------------------------------------------------------


@pytest.mark.parametrize("runtime", ["python3.11", "python3.12", "python3.13"])
def test_runtime_runs_its_python_version(lam: Any, runtime: str) -> None:
    interpreter_for(runtime)
    name = "version-" + runtime.replace(".", "-")
    create(lam, name, zip_function("pyversion"), runtime=runtime)
    body = ok(invoke(lam, name))
    minor = int(runtime.rsplit(".", 1)[1])
    assert body["versionInfo"][:2] == [3, minor]
    assert body["executionEnv"] == f"AWS_Lambda_{runtime}"
