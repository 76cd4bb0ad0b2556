"""Pure pieces of asynchronous invocation: retry and age decisions, throttle
backoff, the destination record, event invoke configuration validation, and the
durable queue on a temporary SQLite file."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from snaplambda.asyncinvoke import policy
from snaplambda.asyncinvoke.destinations import destination_record
from snaplambda.asyncinvoke.eventconfig import EventInvokeConfig, apply
from snaplambda.asyncinvoke.queue import Event, EventQueue
from snaplambda.config import from_environ
from snaplambda.control.errors import InvalidParameterValue, ValidationError

DELAYS = (60.0, 120.0)


def test_success_is_final() -> None:
    assert policy.after_attempt(False, 1, 2, DELAYS, 0.0) == policy.Final("Success")


def test_failures_retry_with_the_configured_delays_then_exhaust() -> None:
    assert policy.after_attempt(True, 1, 2, DELAYS, 100.0) == policy.Retry(160.0)
    assert policy.after_attempt(True, 2, 2, DELAYS, 100.0) == policy.Retry(220.0)
    assert policy.after_attempt(True, 3, 2, DELAYS, 100.0) == policy.Final("RetriesExhausted")


def test_zero_retries_fail_after_the_first_attempt() -> None:
    assert policy.after_attempt(True, 1, 0, DELAYS, 0.0) == policy.Final("RetriesExhausted")


def test_last_delay_repeats_and_no_delays_means_immediately() -> None:
    assert policy.retry_delay(7, DELAYS) == 120.0
    assert policy.retry_delay(0, ()) == 0.0


def test_event_age() -> None:
    assert not policy.is_expired(1000.0, 1060.0, 60)
    assert policy.is_expired(1000.0, 1060.001, 60)


def test_throttle_backoff_doubles_up_to_the_cap() -> None:
    assert [policy.throttle_delay(n, (0.5, 3.0)) for n in range(1, 6)] == [
        0.5,
        1.0,
        2.0,
        3.0,
        3.0,
    ]
    assert policy.throttle_delay(10_000, (1.0, 300.0)) == 300.0


def test_failure_record_shape() -> None:
    record = destination_record(
        request_id="rid",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:f:3",
        condition="RetriesExhausted",
        invoke_count=3,
        request_payload=b'{"a": 1}',
        executed_version="3",
        response_payload=b'{"errorMessage": "boom", "errorType": "ValueError"}',
        function_error="ValueError",
        now=1_700_000_000.25,
    )
    assert record == {
        "version": "1.0",
        "timestamp": "2023-11-14T22:13:20.250Z",
        "requestContext": {
            "requestId": "rid",
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:f:3",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"a": 1},
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "3",
            "functionError": "Unhandled",
        },
        "responsePayload": {"errorMessage": "boom", "errorType": "ValueError"},
    }


def test_age_exceeded_record_has_no_response() -> None:
    record = destination_record(
        request_id="rid",
        function_arn="arn:f:$LATEST",
        condition="EventAgeExceeded",
        invoke_count=0,
        request_payload=b"{}",
        executed_version=None,
        response_payload=None,
        function_error=None,
        now=0.0,
    )
    assert "responseContext" not in record and "responsePayload" not in record
    assert record["requestContext"]["condition"] == "EventAgeExceeded"


def test_config_apply_merges_and_validates() -> None:
    base = EventInvokeConfig("f", "$LATEST")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:dest:live"
    cfg = apply(
        base,
        {"MaximumRetryAttempts": 0, "DestinationConfig": {"OnSuccess": {"Destination": arn}}},
        5.0,
    )
    assert (cfg.max_retry_attempts, cfg.max_event_age_s, cfg.on_success, cfg.on_failure) == (
        0,
        21600,
        arn,
        None,
    )
    cleared = apply(cfg, {"DestinationConfig": {"OnSuccess": {"Destination": ""}}}, 6.0)
    assert cleared.on_success is None and cleared.max_retry_attempts == 0
    for body in (
        {"MaximumRetryAttempts": 3},
        {"MaximumRetryAttempts": True},
        {"MaximumEventAgeInSeconds": 59},
        {"MaximumEventAgeInSeconds": 21601},
    ):
        with pytest.raises(ValidationError):
            apply(base, body, 0.0)
    for dest in ("arn:aws:sns:us-east-1:123456789012:topic", "dest", "arn:aws:lambda:x"):
        with pytest.raises(InvalidParameterValue, match="only Lambda function destinations"):
            apply(base, {"DestinationConfig": {"OnFailure": {"Destination": dest}}}, 0.0)


def test_config_reads_retry_delays_from_the_environment() -> None:
    cfg = from_environ(
        {"SNAPLAMBDA_ASYNC_RETRY_DELAYS": "0.2,0.4", "SNAPLAMBDA_ASYNC_THROTTLE_BACKOFF": "0.1,2"}
    )
    assert cfg.async_retry_delays_s == (0.2, 0.4)
    assert cfg.async_throttle_backoff_s == (0.1, 2.0)
    assert cfg.events_db_path.name == "events.db"


def test_queue_due_order_exclusion_and_reschedule(tmp_path: Path) -> None:
    queue = EventQueue(tmp_path / "events.db")
    queue.put(Event("b", "f", None, b"{}", 1.0, 2.0))
    queue.put(Event("a", "f", "live", b"{}", 1.0, 1.0))
    queue.put(Event("c", "f", None, b"{}", 1.0, 50.0))
    assert [e.id for e in queue.due(10.0, set(), 10)] == ["a", "b"]
    assert [e.id for e in queue.due(10.0, {"a"}, 10)] == ["b"]
    assert [e.id for e in queue.due(10.0, set(), 1)] == ["a"]
    assert queue.next_due({"a", "b"}) == 50.0
    queue.reschedule("a", 60.0, 1, 0)
    assert queue.next_due({"b", "c"}) == 60.0
    queue.delete("b")
    assert queue.count() == 2
    queue.close()
    reopened = EventQueue(tmp_path / "events.db")
    (event,) = reopened.due(100.0, {"c"}, 10)
    assert (event.id, event.qualifier, event.attempts) == ("a", "live", 1)
    reopened.close()


def test_dead_letters_and_redrive(tmp_path: Path) -> None:
    queue = EventQueue(tmp_path / "events.db")
    payload = orjson.dumps({"k": 1})
    for event_id, function in (("x", "f"), ("y", "g")):
        queue.put(Event(event_id, function, None, payload, 1.0, 1.0, attempts=3))
        queue.bury(queue.due(10.0, set(), 10)[0], 5.0, "RetriesExhausted", "boom")
    assert queue.count() == 0
    assert [d.id for d in queue.dead_letters()] == ["x", "y"]
    (letter,) = queue.dead_letters("g")
    assert (letter.attempts, letter.condition, letter.error) == (3, "RetriesExhausted", "boom")
    assert queue.redrive(["y", "zzz"], 20.0) == ["y"]
    (event,) = queue.due(20.0, set(), 10)
    assert (event.id, event.enqueued_at, event.attempts, event.payload) == ("y", 20.0, 0, payload)
    assert queue.redrive(None, 30.0) == ["x"]
    assert queue.dead_letters() == []
    queue.close()


def test_worker_retries_throttles_and_delivers_to_destinations(tmp_path: Path) -> None:
    """The worker with a fake runner: a throttle is retried without counting as an
    attempt, function errors are retried, the success record goes to OnSuccess."""
    import asyncio

    from snaplambda.asyncinvoke.worker import AsyncWorker, Attempt
    from snaplambda.execution.errors import Throttled

    calls: list[tuple[str, str]] = []
    outcomes = {"f": ["throttle", "error", "ok"], "dest": ["ok"]}
    dest_arn = "arn:aws:lambda:us-east-1:123456789012:function:dest"
    done = asyncio.Event()

    async def run(name: str, qualifier: str | None, payload: bytes, request_id: str) -> Attempt:
        outcome = outcomes[name].pop(0)
        calls.append((name, outcome))
        if name == "dest":
            received.append(orjson.loads(payload))
            done.set()
        if outcome == "throttle":
            raise Throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
        if outcome == "error":
            return Attempt(b'{"errorType": "E"}', "E", "$LATEST")
        return Attempt(b'"fine"', None, "$LATEST")

    received: list[dict[str, object]] = []

    def settings(name: str, qualifier: str | None) -> EventInvokeConfig:
        target = dest_arn if name == "f" else None
        return EventInvokeConfig(name, qualifier or "$LATEST", on_success=target)

    async def scenario() -> None:
        worker = AsyncWorker(
            EventQueue(tmp_path / "events.db"),
            run,
            settings,
            lambda name, version: f"arn:{name}:{version}",
            (0.01,),
            (0.01, 0.05),
            10,
        )
        worker.start()
        request_id = worker.enqueue("f", None, b'{"n": 1}')
        await asyncio.wait_for(done.wait(), 10)
        await worker.stop()
        assert worker.queue.count() == 0
        worker.queue.close()
        (record,) = received
        assert record["requestContext"] == {
            "requestId": request_id,
            "functionArn": "arn:f:$LATEST",
            "condition": "Success",
            "approximateInvokeCount": 2,
        }
        assert record["responsePayload"] == "fine"

    asyncio.run(scenario())
    assert calls == [("f", "throttle"), ("f", "error"), ("f", "ok"), ("dest", "ok")]
