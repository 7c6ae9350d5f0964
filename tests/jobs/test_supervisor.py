"""The loop supervisor and the health monitor: loops survive their errors and stop cleanly."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from core.jobs.supervisor import Supervisor
from core.observability.health import HealthMonitor
from core.observability.metrics import REGISTRY
from tests.clock import ManualClock


def errors(job: str) -> float:
    return REGISTRY.get_sample_value("spt_job_errors_total", {"job": job}) or 0.0


async def test_a_crashing_loop_is_restarted_and_stops_with_the_others() -> None:
    supervisor = Supervisor(restart_base=0.01)
    runs: list[int] = []
    before = errors("flaky")

    async def flaky(stop: asyncio.Event) -> None:
        runs.append(len(runs))
        if len(runs) < 3:
            raise RuntimeError("boom")
        await stop.wait()

    async def steady(stop: asyncio.Event) -> None:
        await stop.wait()

    supervisor.spawn("flaky", flaky)
    supervisor.spawn("steady", steady)
    for _ in range(200):
        if len(runs) >= 3:
            break
        await asyncio.sleep(0.01)
    assert len(runs) == 3
    assert supervisor.restarts == {"flaky": 2, "steady": 0}
    assert errors("flaky") == before + 2
    assert sorted(supervisor.running()) == ["flaky", "steady"]
    await supervisor.stop(grace_seconds=1)
    assert supervisor.running() == []


async def test_a_loop_that_returns_early_is_restarted() -> None:
    supervisor = Supervisor(restart_base=0.01)
    calls = 0

    async def quitter(stop: asyncio.Event) -> None:
        nonlocal calls
        calls += 1

    supervisor.spawn("quitter", quitter)
    await asyncio.sleep(0.2)
    await supervisor.stop(grace_seconds=1)
    assert calls >= 3


async def test_a_loop_ignoring_stop_is_cancelled_after_the_grace_period() -> None:
    supervisor = Supervisor()
    cleaned = asyncio.Event()

    async def stubborn(stop: asyncio.Event) -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            cleaned.set()

    supervisor.spawn("stubborn", stubborn)
    await asyncio.sleep(0)
    await supervisor.stop(grace_seconds=0.05)
    assert cleaned.is_set()
    assert supervisor.running() == []


async def test_periodic_steps_back_off_after_failures_and_record_success() -> None:
    supervisor = Supervisor()
    calls: list[float] = []
    loop = asyncio.get_running_loop()

    async def step() -> None:
        calls.append(loop.time())
        if len(calls) <= 2:
            raise ValueError("not yet")

    supervisor.every("periodic-test", lambda: 0.02, step)
    for _ in range(300):
        if len(calls) >= 4:
            break
        await asyncio.sleep(0.01)
    await supervisor.stop(grace_seconds=1)
    assert len(calls) >= 4
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps[1] > gaps[0]  # the second failure waited longer than the first
    assert REGISTRY.get_sample_value(
        "spt_job_last_success_timestamp_seconds", {"job": "periodic-test"}
    )


def test_two_loops_may_not_share_a_name() -> None:
    async def go() -> None:
        supervisor = Supervisor()

        async def idle(stop: asyncio.Event) -> None:
            await stop.wait()

        supervisor.spawn("one", idle)
        with pytest.raises(ValueError, match="already running"):
            supervisor.spawn("one", idle)
        await supervisor.stop()

    asyncio.run(go())


def up(service: str) -> float | None:
    return REGISTRY.get_sample_value("spt_external_service_up", {"service": service})


async def test_health_checks_set_the_up_gauges_and_keep_the_latest() -> None:
    clock = ManualClock(datetime(2026, 12, 1, tzinfo=UTC))
    monitor = HealthMonitor(clock, timeout=0.05)
    state = {"fine": True}

    async def flapping() -> bool:
        return state["fine"]

    async def broken() -> None:
        raise ConnectionError("refused")

    async def slow() -> None:
        await asyncio.sleep(1)

    monitor.register("hc-flapping", flapping)
    monitor.register("hc-broken", broken)
    monitor.register("hc-slow", slow)
    results = await monitor.check_all()
    assert results["hc-flapping"].up
    assert not results["hc-broken"].up
    assert results["hc-broken"].detail == "refused"
    assert results["hc-slow"].detail == "no answer within 0.05s"
    assert (up("hc-flapping"), up("hc-broken"), up("hc-slow")) == (1.0, 0.0, 0.0)
    state["fine"] = False
    clock.advance(30)
    again = await monitor.check("hc-flapping")
    assert (again.up, again.detail, again.checked_at) == (False, "not reachable", clock())
    assert up("hc-flapping") == 0.0
    assert monitor.latest()["hc-flapping"] == again
    assert monitor.services == ["hc-flapping", "hc-broken", "hc-slow"]


def wakeups(job: str, reason: str) -> float:
    return REGISTRY.get_sample_value("spt_job_wakeups_total", {"job": job, "reason": reason}) or 0.0


async def until(condition: Callable[[], bool], what: str, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within {seconds} s: {what}")


async def test_a_woken_loop_runs_early_once_for_a_burst_of_wakes() -> None:
    supervisor = Supervisor()
    wake = asyncio.Event()
    calls: list[float] = []
    release = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def step() -> None:
        calls.append(loop.time())
        if len(calls) == 2:
            await release.wait()  # a slow pass: wakes pile up meanwhile

    supervisor.every("woken-test", lambda: 60.0, step, wake=wake, min_gap=0.05)
    await until(lambda: len(calls) == 1, "the first pass")
    for _ in range(100):
        wake.set()
    await until(lambda: len(calls) == 2, "woken")
    for _ in range(100):  # during the pass: one more pass, not a hundred
        wake.set()
    release.set()
    await until(lambda: len(calls) == 3, "woken by what came during the pass")
    await asyncio.sleep(0.3)
    await supervisor.stop(grace_seconds=1)
    assert len(calls) == 3
    assert calls[2] - calls[1] >= 0.05  # the minimum gap
    assert wakeups("woken-test", "wake") == 2
    assert wakeups("woken-test", "interval") == 0


async def test_a_loop_runs_when_its_work_comes_due_and_a_past_due_time_does_not_spin() -> None:
    supervisor = Supervisor()
    calls: list[float] = []
    loop = asyncio.get_running_loop()
    dues = iter([0.2, -30.0, None])

    async def step() -> None:
        calls.append(loop.time())

    async def next_due() -> float | None:
        return next(dues, None)

    supervisor.every("due-test", lambda: 60.0, step, next_due=next_due, min_gap=0.1)
    await until(lambda: len(calls) == 3, "the due passes")
    await asyncio.sleep(0.3)
    await supervisor.stop(grace_seconds=1)
    assert len(calls) == 3  # then nothing is due and the poll is a minute away
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert 0.2 <= gaps[0] < 1
    assert 0.1 <= gaps[1] < 1  # overdue: at once, but not before the minimum gap
    assert wakeups("due-test", "due") == 2


async def test_a_failing_woken_loop_backs_off_from_the_restart_base_up_to_its_interval() -> None:
    supervisor = Supervisor(restart_base=0.01)
    calls: list[float] = []
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    async def step() -> None:
        calls.append(loop.time())
        raise ConnectionError("database gone")

    supervisor.every("failing-woken-test", lambda: 0.15, step, wake=wake)
    await until(lambda: len(calls) >= 8, "the retries", 10)
    await supervisor.stop(grace_seconds=1)
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps[0] < gaps[2] < gaps[4]  # 0.01, 0.02, 0.04, 0.08, ...
    assert max(gaps) < 0.15 + 0.1  # ... capped at the interval, the fallback poll
    assert errors("failing-woken-test") >= 8
    assert wakeups("failing-woken-test", "retry") >= 7
