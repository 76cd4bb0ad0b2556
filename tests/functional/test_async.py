"""Asynchronous invocation (InvocationType=Event) against real servers: the durable
queue, retries, event age, destinations, the dead-letter store, throttling and a
``kill -9`` of the server.  Every wait is a bounded poll of an observable outcome."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import Server, create, zip_function

ENV = {
    "SNAPLAMBDA_ASYNC_RETRY_DELAYS": "0.2,0.4",
    "SNAPLAMBDA_ASYNC_THROTTLE_BACKOFF": "0.1,0.5",
}
ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll ``check`` every 0.1 s until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.1)


def lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def event(lam: Any, name: str, payload: dict[str, Any]) -> str:
    response = lam.invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps(payload).encode()
    )
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    return str(response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("async") / "state", env=ENV).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def alam(srv: Server) -> Any:
    return srv.client()


@pytest.fixture(scope="module")
def fn(alam: Any) -> str:
    create(alam, "async-fn", zip_function("asyncfn"))
    return "async-fn"


def destination(lam: Any, name: str, out: Path) -> str:
    """A destination function that appends each record it receives to ``out``."""
    create(lam, name, zip_function("asyncfn"), Environment={"Variables": {"DEST_FILE": str(out)}})
    return ACCOUNT_ARN + name


def test_event_answers_202_then_runs_with_the_request_id(
    alam: Any, fn: str, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    request_id = event(alam, fn, {"marker": str(marker)})
    done = wait_for(lambda: lines(marker))
    assert done == [{"requestId": request_id, "runs": 1}]


def test_function_errors_are_retried_until_success(alam: Any, fn: str, tmp_path: Path) -> None:
    marker, counter = tmp_path / "marker", tmp_path / "counter"
    event(alam, fn, {"marker": str(marker), "counter": str(counter), "failTimes": 2})
    assert wait_for(lambda: lines(marker))[0]["runs"] == 3
    assert counter.read_text() == "3"


def test_no_retries_and_failure_destination_record(alam: Any, tmp_path: Path) -> None:
    out = tmp_path / "records"
    dest = destination(alam, "async-dest-fail", out)
    create(alam, "async-noretry", zip_function("asyncfn"))
    alam.put_function_event_invoke_config(
        FunctionName="async-noretry",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": dest}},
    )
    counter = tmp_path / "counter"
    payload = {"counter": str(counter), "failTimes": -1}
    request_id = event(alam, "async-noretry", payload)
    (record,) = wait_for(lambda: lines(out))
    assert counter.read_text() == "1"
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z")
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": ACCOUNT_ARN + "async-noretry:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == payload
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "failing run 1"


def test_success_destination_record(alam: Any, tmp_path: Path) -> None:
    out = tmp_path / "records"
    dest = destination(alam, "async-dest-ok", out)
    create(alam, "async-ok", zip_function("asyncfn"))
    alam.put_function_event_invoke_config(
        FunctionName="async-ok", DestinationConfig={"OnSuccess": {"Destination": dest}}
    )
    request_id = event(alam, "async-ok", {"x": 1})
    (record,) = wait_for(lambda: lines(out))
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": ACCOUNT_ARN + "async-ok:$LATEST",
        "condition": "Success",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == {"x": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"ok": True, "runs": 1}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "snaplambda", *args], capture_output=True, text=True, timeout=60
    )


def test_exhausted_events_go_to_the_dlq_and_can_be_redriven(
    srv: Server, alam: Any, tmp_path: Path
) -> None:
    create(alam, "async-dlq", zip_function("asyncfn"))
    marker, counter = tmp_path / "marker", tmp_path / "counter"
    # Runs 1-3 (the first try and the default two retries) fail; a fourth succeeds.
    request_id = event(
        alam, "async-dlq", {"marker": str(marker), "counter": str(counter), "failTimes": 3}
    )
    ep = ["--endpoint", srv.endpoint]

    def listed() -> list[list[str]]:
        result = cli("dlq", "list", "--function", "async-dlq", *ep)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        # Each dead letter: "ID  FUNCTION", then why and when, then the error.
        return [lines[i : i + 3] for i, line in enumerate(lines) if line.startswith(request_id)]

    (letter,) = wait_for(listed)
    assert letter[0].split() == [request_id, "async-dlq"]
    assert letter[1].startswith("  RetriesExhausted after 3 attempt(s), ")
    assert "failing run 3" in letter[2]
    assert not marker.exists()
    redriven = cli("dlq", "redrive", request_id, *ep)
    assert redriven.returncode == 0, redriven.stderr
    assert "redriven 1 event" in redriven.stdout
    assert wait_for(lambda: lines(marker)) == [{"requestId": request_id, "runs": 4}]
    assert not listed()
    missing = cli("dlq", "redrive", "no-such-id", *ep)
    assert missing.returncode == 1
    assert "no-such-id" in missing.stderr


def test_throttled_events_wait_and_run(srv: Server, alam: Any, tmp_path: Path) -> None:
    create(alam, "async-throttled", zip_function("asyncfn"))
    alam.put_function_concurrency(FunctionName="async-throttled", ReservedConcurrentExecutions=0)
    before = srv.health()["throttles"]
    marker = tmp_path / "marker"
    request_id = event(alam, "async-throttled", {"marker": str(marker)})
    wait_for(lambda: srv.health()["throttles"] >= before + 2)
    assert not marker.exists()
    alam.delete_function_concurrency(FunctionName="async-throttled")
    assert wait_for(lambda: lines(marker)) == [{"requestId": request_id, "runs": 1}]


def test_async_payload_limit_is_1_mb(alam: Any, fn: str) -> None:
    filler = "x" * ((1 << 20) - 20)
    accepted = alam.invoke(
        FunctionName=fn, InvocationType="Event", Payload=json.dumps({"f": filler}).encode()
    )
    assert accepted["StatusCode"] == 202
    with pytest.raises(ClientError) as caught:
        alam.invoke(
            FunctionName=fn,
            InvocationType="Event",
            Payload=json.dumps({"f": filler + "x" * 100}).encode(),
        )
    assert caught.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_event_must_be_json_and_function_must_exist(alam: Any, fn: str) -> None:
    with pytest.raises(alam.exceptions.InvalidRequestContentException):
        alam.invoke(FunctionName=fn, InvocationType="Event", Payload=b"{nope")
    with pytest.raises(alam.exceptions.ResourceNotFoundException):
        alam.invoke(FunctionName="async-missing", InvocationType="Event", Payload=b"{}")


def test_event_invoke_config_operations(srv: Server, alam: Any, fn: str) -> None:
    with pytest.raises(alam.exceptions.ResourceNotFoundException):
        alam.get_function_event_invoke_config(FunctionName=fn)
    put = alam.put_function_event_invoke_config(FunctionName=fn, MaximumEventAgeInSeconds=100)
    assert put["FunctionArn"] == ACCOUNT_ARN + fn + ":$LATEST"
    assert (put["MaximumRetryAttempts"], put["MaximumEventAgeInSeconds"]) == (2, 100)
    updated = alam.update_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=1)
    assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (1, 100)
    replaced = alam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=0)
    assert replaced["MaximumEventAgeInSeconds"] == 21600
    got = alam.get_function_event_invoke_config(FunctionName=fn)
    assert got["MaximumRetryAttempts"] == 0
    listed = alam.list_function_event_invoke_configs(FunctionName=fn)
    assert [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]] == [
        ACCOUNT_ARN + fn + ":$LATEST"
    ]
    unchecked = srv.client(validate=False)
    for field, value in [("MaximumRetryAttempts", 3), ("MaximumEventAgeInSeconds", 59)]:
        with pytest.raises(ClientError) as caught:
            unchecked.put_function_event_invoke_config(FunctionName=fn, **{field: value})
        assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(alam.exceptions.InvalidParameterValueException) as refused:
        alam.put_function_event_invoke_config(
            FunctionName=fn,
            DestinationConfig={
                "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:q"}
            },
        )
    assert "only Lambda function destinations" in str(refused.value)
    with pytest.raises(alam.exceptions.ResourceNotFoundException):
        alam.put_function_event_invoke_config(FunctionName=fn, Qualifier="nope")
    alam.delete_function_event_invoke_config(FunctionName=fn)
    with pytest.raises(alam.exceptions.ResourceNotFoundException):
        alam.get_function_event_invoke_config(FunctionName=fn)


def test_events_older_than_the_maximum_age_are_dropped(tmp_path: Path) -> None:
    server = Server(tmp_path / "state", env=ENV).start()
    out = tmp_path / "records"
    try:
        lam = server.client()
        dest = destination(lam, "age-dest", out)
        create(lam, "age-fn", zip_function("asyncfn"))
        lam.put_function_event_invoke_config(
            FunctionName="age-fn",
            MaximumEventAgeInSeconds=60,
            DestinationConfig={"OnFailure": {"Destination": dest}},
        )
        # Throttled, so it stays queued while the server stops.
        lam.put_function_concurrency(FunctionName="age-fn", ReservedConcurrentExecutions=0)
        request_id = event(lam, "age-fn", {"old": True})
    finally:
        server.stop()
    with sqlite3.connect(tmp_path / "state" / "events.db") as db:
        changed = db.execute(
            "UPDATE events SET enqueued_at = enqueued_at - 3600 WHERE id = ?", (request_id,)
        ).rowcount
    assert changed == 1
    server = Server(tmp_path / "state", env=ENV).start()
    try:
        (record,) = wait_for(lambda: lines(out))
        assert record["requestContext"]["condition"] == "EventAgeExceeded"
        assert record["requestContext"]["requestId"] == request_id
        assert record["requestContext"]["approximateInvokeCount"] == 0
        assert record["requestPayload"] == {"old": True}
        assert "responseContext" not in record
    finally:
        server.stop()


def test_accepted_events_survive_kill_9(tmp_path: Path) -> None:
    state = tmp_path / "state"
    release, started, marker = tmp_path / "release", tmp_path / "started", tmp_path / "marker"
    server = Server(state, env=ENV).start()
    lam = server.client()
    create(lam, "crash-fn", zip_function("asyncfn"))
    # One at a time: the first blocks, the others wait in the queue (throttled).
    lam.put_function_concurrency(FunctionName="crash-fn", ReservedConcurrentExecutions=1)
    payload = {"release": str(release), "started": str(started), "marker": str(marker)}
    ids = [event(lam, "crash-fn", payload) for _ in range(3)]
    wait_for(lambda: lines(started))
    server.stop(signal.SIGKILL)
    server = Server(state, env=ENV).start()
    try:
        release.touch()
        done = wait_for(lambda: {line["requestId"] for line in lines(marker)} >= set(ids) or None)
        assert done
        # At least once: only the event that was running at the kill may run twice
        # (its environment finishes it; the restarted platform runs it again).
        runs = [line["requestId"] for line in lines(marker)]
        assert all(runs.count(i) >= 1 for i in ids)
        assert len(runs) - len(ids) <= 1, runs
    finally:
        server.stop()


def test_alias_event_uses_the_alias_config_and_names_the_version(alam: Any, tmp_path: Path) -> None:
    out = tmp_path / "records"
    dest = destination(alam, "async-dest-alias", out)
    create(alam, "async-aliased", zip_function("asyncfn"), Publish=True)
    alam.create_alias(FunctionName="async-aliased", Name="live", FunctionVersion="1")
    alam.put_function_event_invoke_config(
        FunctionName="async-aliased",
        Qualifier="live",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": dest}},
    )
    response = alam.invoke(
        FunctionName="async-aliased",
        Qualifier="live",
        InvocationType="Event",
        Payload=json.dumps({"failTimes": -1}).encode(),
    )
    assert response["StatusCode"] == 202
    (record,) = wait_for(lambda: lines(out))
    assert record["requestContext"]["functionArn"] == ACCOUNT_ARN + "async-aliased:1"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"]["executedVersion"] == "1"
    listed = alam.list_function_event_invoke_configs(FunctionName="async-aliased")
    assert [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]] == [
        ACCOUNT_ARN + "async-aliased:live"
    ]
