"""The schedule runner: when a job fires next (its missed fires caught up once, its
window and state honoured), and the timer task firing a source's deliveries."""

from __future__ import annotations

import asyncio

from snaplambda.eventbridge.runner import Delivery, Job, ScheduleRunner, first_due, upcoming
from snaplambda.scheduling import parse

EVERY_10 = parse("rate(1 minute)").scaled(10.0)


def job(**changes: object) -> Job:
    fields: dict[str, object] = {
        "key": "rule/r",
        "expression": EVERY_10,
        "anchor": 100.0,
        "since": 100.0,
        **changes,
    }
    return Job(**fields)  # type: ignore[arg-type]


def test_the_next_fire_follows_the_anchor() -> None:
    assert first_due(job(), 100.0) == 110.0
    assert first_due(job(), 105.0) == 110.0
    assert upcoming(job(), 110.0) == 120.0


def test_missed_fires_are_caught_up_once_at_the_latest() -> None:
    # down from 100 to 135: fires at 110, 120 and 130 were missed
    assert first_due(job(), 135.0) == 130.0
    # once that one is recorded, the schedule goes on
    assert first_due(job(since=130.0), 135.0) == 140.0


def test_a_disabled_job_never_fires() -> None:
    assert first_due(job(enabled=False), 135.0) is None
    assert upcoming(job(enabled=False), 100.0) is None


def test_start_and_end_dates_bound_the_fires() -> None:
    assert first_due(job(start=200.0), 105.0) == 200.0
    assert upcoming(job(end=125.0), 120.0) is None
    assert first_due(job(end=125.0), 300.0) == 120.0  # the last fire before the end, once
    assert first_due(job(since=120.0, end=125.0), 300.0) is None


def test_a_one_time_schedule_missed_while_down_fires_once() -> None:
    once = parse("at(2026-01-01T00:00:00)")
    assert once.at is not None
    at = once.at
    assert first_due(job(expression=once, since=at - 50), at + 600) == at
    assert first_due(job(expression=once, since=at), at + 600) is None
    assert first_due(job(expression=once, since=at - 50), at - 10) == at


class Recorder:
    """A source whose one job fires every 20 ms."""

    def __init__(self, runner: ScheduleRunner) -> None:
        self.runner = runner
        self.fires: list[float] = []
        now = runner.clock()
        self.job = Job("test/one", parse("rate(1 minute)").scaled(0.02), now, now)

    def deliveries(self, key: str, when: float) -> list[Delivery]:
        return [("arn:a", f"{when}".encode()), ("arn:b", b"{}")]

    def fired(self, key: str, when: float) -> Job | None:
        self.fires.append(when)
        self.job = Job(key, self.job.expression, self.job.anchor, when)
        return self.job


def test_the_timer_delivers_each_fire_to_every_target_then_stops_when_forgotten() -> None:
    delivered: list[tuple[str, bytes]] = []

    async def deliver(arn: str, payload: bytes) -> None:
        delivered.append((arn, payload))

    async def scenario() -> None:
        runner = ScheduleRunner(deliver)
        source = Recorder(runner)
        runner.add_source("test", source)
        runner.plan(source.job)
        runner.start()
        for _ in range(500):
            if len(source.fires) >= 3:
                break
            await asyncio.sleep(0.01)
        runner.forget("test/one")
        seen = len(source.fires)
        await asyncio.sleep(0.1)
        await runner.stop()
        assert seen >= 3
        assert len(source.fires) <= seen + 1  # at most the fire already under way
        assert source.fires == sorted(source.fires)
        assert delivered[0] == ("arn:a", f"{source.fires[0]}".encode())
        assert delivered[1] == ("arn:b", b"{}")
        assert runner.next_fire("test/one") is None

    asyncio.run(scenario())


def test_a_failing_delivery_does_not_stop_the_other_targets() -> None:
    delivered: list[str] = []

    async def deliver(arn: str, payload: bytes) -> None:
        if arn == "arn:a":
            raise OSError("disk full")
        delivered.append(arn)

    async def scenario() -> None:
        runner = ScheduleRunner(deliver)
        source = Recorder(runner)
        runner.add_source("test", source)
        runner.plan(source.job)
        runner.start()
        for _ in range(500):
            if source.fires:
                break
            await asyncio.sleep(0.01)
        await runner.stop()
        assert source.fires and delivered[0] == "arn:b"

    asyncio.run(scenario())
