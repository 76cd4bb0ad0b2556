"""Provisioned concurrency through boto3 against a real server: status transitions,
routing and spill-over, scaling under load, replacement of a killed environment,
refusals, keep-alive exemption and restarts.

Every wait polls with an upper bound, so a broken platform fails instead of hanging.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.support import Server, create, invoke, report_fields, zip_function

WAIT = 30.0


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(
        tmp_path_factory.mktemp("provisioned") / "state", "--max-concurrency", "200"
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lam(srv: Server) -> Any:
    return srv.client()


def published(lam: Any, name: str, **config: Any) -> str:
    """A function with version 1 and alias ``live`` pointing to it."""
    create(lam, name, zip_function("provisioned"), Timeout=60, **config)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    return "live"


def wait_status(lam: Any, name: str, qualifier: str, status: str) -> dict[str, Any]:
    """Poll until the configuration has ``status``; every answer must be consistent."""
    deadline = time.monotonic() + WAIT
    while True:
        got = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
        requested = got["RequestedProvisionedConcurrentExecutions"]
        allocated = got["AllocatedProvisionedConcurrentExecutions"]
        available = got["AvailableProvisionedConcurrentExecutions"]
        assert 0 <= available <= allocated <= requested, got
        if got["Status"] == "READY":
            assert allocated == requested, got
        if got["Status"] == status:
            return got  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"still {got['Status']}, wanted {status}: {got}"
        time.sleep(0.05)


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def ok(response: dict[str, Any]) -> dict[str, Any]:
    assert "FunctionError" not in response, response["Raw"]
    return response["Body"]  # type: ignore[no-any-return]


# -- refusals ----------------------------------------------------------------------


def test_refused_on_latest_unknown_qualifier_and_missing_config(lam: Any) -> None:
    published(lam, "pc-refuse")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
        lam.put_provisioned_concurrency_config(
            FunctionName="pc-refuse", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    assert "cannot be applied to unpublished function versions" in str(exc.value)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.put_provisioned_concurrency_config(
            FunctionName="pc-refuse", Qualifier="nope", ProvisionedConcurrentExecutions=1
        )
    lam.create_alias(FunctionName="pc-refuse", Name="dev", FunctionVersion="$LATEST")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
        lam.put_provisioned_concurrency_config(
            FunctionName="pc-refuse", Qualifier="dev", ProvisionedConcurrentExecutions=1
        )
    assert "unpublished function versions" in str(exc.value)
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName="pc-refuse", Qualifier="live")
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.delete_provisioned_concurrency_config(FunctionName="pc-refuse", Qualifier="1")
    assert (
        lam.list_provisioned_concurrency_configs(FunctionName="pc-refuse")[
            "ProvisionedConcurrencyConfigs"
        ]
        == []
    )


def test_over_limit_refused(lam: Any) -> None:
    published(lam, "pc-limit")
    lam.put_function_concurrency(FunctionName="pc-limit", ReservedConcurrentExecutions=3)
    lam.put_provisioned_concurrency_config(
        FunctionName="pc-limit", Qualifier="live", ProvisionedConcurrentExecutions=2
    )
    # All qualifiers together must fit in the reservation.
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
        lam.put_provisioned_concurrency_config(
            FunctionName="pc-limit", Qualifier="1", ProvisionedConcurrentExecutions=2
        )
    assert "reservedConcurrentExecution" in str(exc.value)
    lam.delete_provisioned_concurrency_config(FunctionName="pc-limit", Qualifier="live")
    lam.delete_function_concurrency(FunctionName="pc-limit")
    # Without a reservation: the unreserved pool (200) less its minimum (20).
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
        lam.put_provisioned_concurrency_config(
            FunctionName="pc-limit", Qualifier="live", ProvisionedConcurrentExecutions=181
        )
    assert "UnreservedConcurrentExecution below its minimum value of [20]" in str(exc.value)
    lam.delete_function(FunctionName="pc-limit")


# -- status, routing, spill-over ------------------------------------------------------


def test_ready_then_provisioned_first_and_spill_over(lam: Any, tmp_path: Path) -> None:
    alias = published(lam, "pc-route")
    put = lam.put_provisioned_concurrency_config(
        FunctionName="pc-route", Qualifier=alias, ProvisionedConcurrentExecutions=2
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert put["RequestedProvisionedConcurrentExecutions"] == 2
    assert put["Status"] in ("IN_PROGRESS", "READY")
    ready = wait_status(lam, "pc-route", alias, "READY")
    assert ready["AvailableProvisionedConcurrentExecutions"] == 2
    listed = lam.list_provisioned_concurrency_configs(FunctionName="pc-route")
    [item] = listed["ProvisionedConcurrencyConfigs"]
    assert item["FunctionArn"].endswith(":function:pc-route:live")
    assert item["Status"] == "READY"

    # Through the alias: a provisioned environment, no Init Duration.
    first = invoke(lam, "pc-route", {}, Qualifier=alias)
    assert ok(first)["initType"] == "provisioned-concurrency"
    assert "Init Duration" not in report_fields(first["Log"])
    assert "Restore Duration" not in report_fields(first["Log"])
    # The version itself has no configuration: an on-demand cold start.
    direct = invoke(lam, "pc-route", {}, Qualifier="1")
    assert ok(direct)["initType"] == "on-demand"
    assert "Init Duration" in report_fields(direct["Log"])

    # Both provisioned environments busy: the third invoke spills over to on-demand.
    release = tmp_path / "release"
    started = tmp_path / "started"
    event = {"release": str(release), "started": str(started), "maxWait": WAIT}
    with ThreadPoolExecutor(2) as pool:
        held = [pool.submit(invoke, lam, "pc-route", event, Qualifier=alias) for _ in range(2)]
        wait_for(lambda: len(list(tmp_path.glob("started.*"))) == 2, "two busy invokes")
        busy = lam.get_provisioned_concurrency_config(FunctionName="pc-route", Qualifier=alias)
        assert busy["AllocatedProvisionedConcurrentExecutions"] == 2
        assert busy["AvailableProvisionedConcurrentExecutions"] == 0
        assert busy["Status"] == "READY"
        # (Version 1's on-demand environment, warm from the direct invoke above.)
        spill = ok(invoke(lam, "pc-route", {}, Qualifier=alias))
        assert spill["initType"] == "on-demand"
        assert spill["pid"] == ok(direct)["pid"]
        release.touch()
        bodies = [ok(f.result()) for f in held]
    assert {b["initType"] for b in bodies} == {"provisioned-concurrency"}
    assert all(b["released"] for b in bodies)
    wait_status(lam, "pc-route", alias, "READY")

    lam.delete_provisioned_concurrency_config(FunctionName="pc-route", Qualifier=alias)
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName="pc-route", Qualifier=alias)
    after = invoke(lam, "pc-route", {}, Qualifier=alias)
    assert ok(after)["initType"] == "on-demand"


def test_weighted_alias_routes_per_version(lam: Any) -> None:
    published(lam, "pc-weighted")
    lam.update_function_configuration(FunctionName="pc-weighted", Description="v2")
    lam.get_waiter("function_updated_v2").wait(FunctionName="pc-weighted")
    assert lam.publish_version(FunctionName="pc-weighted")["Version"] == "2"
    lam.update_alias(
        FunctionName="pc-weighted",
        Name="live",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    lam.put_provisioned_concurrency_config(
        FunctionName="pc-weighted", Qualifier="live", ProvisionedConcurrentExecutions=2
    )
    wait_status(lam, "pc-weighted", "live", "READY")
    versions = set()
    for _ in range(12):
        body = ok(invoke(lam, "pc-weighted", {}, Qualifier="live"))
        assert body["initType"] == "provisioned-concurrency", body
        versions.add(body["version"])
    assert versions == {"1", "2"}
    # Pointing the alias elsewhere moves its provisioned environments.
    lam.update_alias(
        FunctionName="pc-weighted",
        Name="live",
        FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {}},
    )
    wait_status(lam, "pc-weighted", "live", "READY")
    for _ in range(3):
        body = ok(invoke(lam, "pc-weighted", {}, Qualifier="live"))
        assert (body["version"], body["initType"]) == ("2", "provisioned-concurrency")
    lam.delete_function(FunctionName="pc-weighted")


# -- scaling, replacement, failure ----------------------------------------------------


def test_scale_down_and_up_under_load_without_failed_invokes(lam: Any, tmp_path: Path) -> None:
    published(lam, "pc-scale")
    lam.put_provisioned_concurrency_config(
        FunctionName="pc-scale", Qualifier="1", ProvisionedConcurrentExecutions=3
    )
    wait_status(lam, "pc-scale", "1", "READY")
    release = tmp_path / "release"
    event = {"release": str(release), "started": str(tmp_path / "started"), "maxWait": WAIT}
    with ThreadPoolExecutor(8) as pool:
        held: list[Future[dict[str, Any]]] = [
            pool.submit(invoke, lam, "pc-scale", event, Qualifier="1") for _ in range(3)
        ]
        wait_for(lambda: len(list(tmp_path.glob("started.*"))) == 3, "three busy invokes")
        # Scale down while all three are busy: none is killed.
        lam.put_provisioned_concurrency_config(
            FunctionName="pc-scale", Qualifier="1", ProvisionedConcurrentExecutions=1
        )
        release.touch()
        bodies = [ok(f.result()) for f in held]
        assert {b["initType"] for b in bodies} == {"provisioned-concurrency"}
        assert all(b["released"] for b in bodies)
        ready = wait_status(lam, "pc-scale", "1", "READY")
        assert ready["AllocatedProvisionedConcurrentExecutions"] == 1
        # Scale up while invokes keep coming.
        lam.put_provisioned_concurrency_config(
            FunctionName="pc-scale", Qualifier="1", ProvisionedConcurrentExecutions=4
        )
        load = [pool.submit(invoke, lam, "pc-scale", {}, Qualifier="1") for _ in range(20)]
        results = [ok(f.result()) for f in load]
    assert all(r["version"] == "1" for r in results)
    ready = wait_status(lam, "pc-scale", "1", "READY")
    assert ready["AllocatedProvisionedConcurrentExecutions"] == 4
    lam.delete_function(FunctionName="pc-scale")


def test_killed_environment_is_replaced(lam: Any) -> None:
    published(lam, "pc-kill")
    lam.put_provisioned_concurrency_config(
        FunctionName="pc-kill", Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    wait_status(lam, "pc-kill", "live", "READY")
    victim = ok(invoke(lam, "pc-kill", {}, Qualifier="live"))
    assert victim["initType"] == "provisioned-concurrency"
    os.kill(victim["pid"], signal.SIGKILL)
    # Gone from the process table means the server reaped it (a zombie still answers).
    wait_for(lambda: not _alive(victim["pid"]), "the killed environment to be reaped")
    ready = wait_status(lam, "pc-kill", "live", "READY")
    assert ready["AllocatedProvisionedConcurrentExecutions"] == 1
    after = ok(invoke(lam, "pc-kill", {}, Qualifier="live"))
    assert after["initType"] == "provisioned-concurrency"
    assert after["pid"] != victim["pid"]
    lam.delete_function(FunctionName="pc-kill")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def test_failed_init_reports_failed(lam: Any) -> None:
    published(lam, "pc-fail", Environment={"Variables": {"FAIL_INIT": "1"}})
    lam.put_provisioned_concurrency_config(
        FunctionName="pc-fail", Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    failed = wait_status(lam, "pc-fail", "live", "FAILED")
    assert failed["AllocatedProvisionedConcurrentExecutions"] == 0
    assert "FUNCTION_ERROR_INIT_FAILURE" in failed["StatusReason"]
    assert "init refused on purpose" in failed["StatusReason"]
    lam.delete_function(FunctionName="pc-fail")


# -- keep-alive and restarts --------------------------------------------------------------


def test_not_expired_by_keep_alive_and_restored_after_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    server = Server(state, "--keep-alive", "0.5").start()
    try:
        lam = server.client()
        published(lam, "pc-keep")
        lam.put_provisioned_concurrency_config(
            FunctionName="pc-keep", Qualifier="live", ProvisionedConcurrentExecutions=1
        )
        wait_status(lam, "pc-keep", "live", "READY")
        first = ok(invoke(lam, "pc-keep", {}, Qualifier="live"))
        time.sleep(1.5)  # three keep-alives
        second = ok(invoke(lam, "pc-keep", {}, Qualifier="live"))
        assert second["pid"] == first["pid"]
        assert second["initType"] == "provisioned-concurrency"
    finally:
        server.stop()
    again = Server(state, "--keep-alive", "0.5").start()
    try:
        lam = again.client()
        ready = wait_status(lam, "pc-keep", "live", "READY")
        assert ready["RequestedProvisionedConcurrentExecutions"] == 1
        body = ok(invoke(lam, "pc-keep", {}, Qualifier="live"))
        assert body["initType"] == "provisioned-concurrency"
    finally:
        again.stop()


def _has_312() -> bool:
    from snaplambda.execution.errors import RuntimeUnavailable
    from snaplambda.execution.runtimes import RuntimeResolver

    try:
        RuntimeResolver({}).resolve("python3.12")
    except RuntimeUnavailable:
        return False
    return True


@pytest.mark.skipif(not _has_312(), reason="SnapStart needs a python3.12 interpreter")
def test_snapstart_version_fills_by_restoring(lam: Any) -> None:
    create(
        lam,
        "pc-snap",
        zip_function("provisioned"),
        runtime="python3.12",
        Timeout=60,
        SnapStart={"ApplyOn": "PublishedVersions"},
    )
    lam.publish_version(FunctionName="pc-snap")
    lam.get_waiter("published_version_active").wait(FunctionName="pc-snap", Qualifier="1")
    lam.put_provisioned_concurrency_config(
        FunctionName="pc-snap", Qualifier="1", ProvisionedConcurrentExecutions=2
    )
    wait_status(lam, "pc-snap", "1", "READY")
    first = invoke(lam, "pc-snap", {}, Qualifier="1")
    body = ok(first)
    assert body["initType"] == "provisioned-concurrency"
    # Restored: its init ran once, in the snapshot holder, not in this process.
    assert body["initPid"] != body["pid"]
    fields = report_fields(first["Log"])
    assert "Init Duration" not in fields and "Restore Duration" not in fields
    lam.delete_function(FunctionName="pc-snap")


def test_reservation_below_provisioned_refused(lam: Any) -> None:
    published(lam, "pc-reserve")
    lam.put_provisioned_concurrency_config(
        FunctionName="pc-reserve", Qualifier="live", ProvisionedConcurrentExecutions=2
    )
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
        lam.put_function_concurrency(FunctionName="pc-reserve", ReservedConcurrentExecutions=1)
    assert "provisioned concurrency (2)" in str(exc.value)
    lam.put_function_concurrency(FunctionName="pc-reserve", ReservedConcurrentExecutions=2)
    got = lam.get_function_concurrency(FunctionName="pc-reserve")
    assert got["ReservedConcurrentExecutions"] == 2
    lam.delete_function(FunctionName="pc-reserve")
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert "pc-reserve" not in names


# -- statistics (beyond AWS) -----------------------------------------------------------


def test_stats_endpoint_and_cli(srv: Server, lam: Any, tmp_path: Path) -> None:
    import subprocess
    import sys

    import httpx

    published(lam, "pc-stats")
    lam.put_provisioned_concurrency_config(
        FunctionName="pc-stats", Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    wait_status(lam, "pc-stats", "live", "READY")
    ok(invoke(lam, "pc-stats", {}))  # $LATEST: cold
    ok(invoke(lam, "pc-stats", {}))  # warm
    ok(invoke(lam, "pc-stats", {}, Qualifier="live"))  # provisioned
    release = tmp_path / "release"
    event = {"release": str(release), "started": str(tmp_path / "started"), "maxWait": WAIT}
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(invoke, lam, "pc-stats", event, Qualifier="live")
        wait_for(lambda: bool(list(tmp_path.glob("started.*"))), "the busy invoke")
        spill = ok(invoke(lam, "pc-stats", {}, Qualifier="live"))
        assert spill["initType"] == "on-demand"
        release.touch()
        ok(held.result())
    doc = httpx.get(srv.endpoint + "/_snaplambda/stats", params={"FunctionName": "pc-stats"}).json()
    assert doc["KeepAlive"] == {"Policy": "fixed", "KeepAliveSeconds": 600.0}
    latest, live = doc["Qualifiers"]["$LATEST"], doc["Qualifiers"]["live"]
    assert (latest["Invocations"], latest["ColdStarts"], latest["ColdStartRate"]) == (2, 1, 0.5)
    assert latest["IdleGBSeconds"] > 0  # its environment is idle since the warm invoke
    assert (live["Invocations"], live["ColdStarts"], live["ProvisionedInvocations"]) == (3, 1, 2)
    pc = live["Provisioned"]
    assert (pc["Requested"], pc["Allocated"], pc["Status"], pc["SpillOvers"]) == (1, 1, "READY", 1)
    assert 0 < pc["Utilization"] < 1
    assert pc["IdleGBSeconds"] > 0
    missing = httpx.get(srv.endpoint + "/_snaplambda/stats", params={"FunctionName": "nope"})
    assert missing.status_code == 404

    out = subprocess.run(
        [sys.executable, "-m", "snaplambda", "stats", "pc-stats", "--endpoint", srv.endpoint],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "keep-alive: fixed" in out.stdout
    [row] = [line.split() for line in out.stdout.splitlines() if line.startswith("live")]
    assert row[:4] == ["live", "3", "1", "33.3%"]
    assert row[5:7] == ["1/1", "READY"]
    lam.delete_function(FunctionName="pc-stats")


def test_adaptive_keep_alive_policy_selectable(tmp_path: Path) -> None:
    import httpx

    server = Server(tmp_path / "state", "--keep-alive-policy", "adaptive").start()
    try:
        lam = server.client()
        create(lam, "ka-adaptive", zip_function("provisioned"))
        first = ok(invoke(lam, "ka-adaptive", {}))
        second = ok(invoke(lam, "ka-adaptive", {}))
        assert second["pid"] == first["pid"]  # kept warm (the fixed fallback, 600 s)
        doc = httpx.get(
            server.endpoint + "/_snaplambda/stats", params={"FunctionName": "ka-adaptive"}
        ).json()
        assert doc["KeepAlive"] == {
            "Policy": "adaptive",
            "Source": "fixed",  # too few idle times yet
            "KeepAliveSeconds": 600.0,
            "PreWarmSeconds": 0.0,
        }
    finally:
        server.stop()


def test_adaptive_policy_unloads_and_prewarms(tmp_path: Path) -> None:
    """With quarter-second buckets, a function invoked every 2 s is learned after
    10 idle times: then each environment is unloaded after use and a new one is
    started just before the next invoke, which finds it warm (no Init Duration)."""
    import httpx

    server = Server(
        tmp_path / "state",
        "--keep-alive-policy",
        "adaptive",
        env={"SNAPLAMBDA_KEEP_ALIVE_BUCKET": "0.25"},
    ).start()
    try:
        lam = server.client()
        create(lam, "ka-prewarm", zip_function("provisioned"))
        for _ in range(11):
            ok(invoke(lam, "ka-prewarm", {}))
            time.sleep(2.0)
        doc = httpx.get(
            server.endpoint + "/_snaplambda/stats", params={"FunctionName": "ka-prewarm"}
        ).json()
        keep = doc["KeepAlive"]
        assert keep["Source"] == "histogram", keep
        # Learned from the idle times: unload, and pre-warm before the keep-alive ends.
        assert 0 < keep["PreWarmSeconds"] < keep["KeepAliveSeconds"], keep
        before = ok(invoke(lam, "ka-prewarm", {}))
        # Unloaded right after use, then one environment is pre-warmed: it is idle
        # (its idle GB-seconds grow) once its init is done.
        wait_for(lambda: server.health()["environments"] == 0, "the unload")

        def idle_gb_s() -> float:
            stats = httpx.get(
                server.endpoint + "/_snaplambda/stats", params={"FunctionName": "ka-prewarm"}
            ).json()
            return float(stats["Qualifiers"]["$LATEST"]["IdleGBSeconds"])

        unloaded = idle_gb_s()
        wait_for(lambda: idle_gb_s() > unloaded, "the pre-warmed environment")
        after = invoke(lam, "ka-prewarm", {})
        assert ok(after)["pid"] != before["pid"]
        assert "Init Duration" not in report_fields(after["Log"])
    finally:
        server.stop()
