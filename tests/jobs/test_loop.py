"""`repeat`: the loops' one way to run a step until stopped, surviving its errors."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime

import pytest

from core.jobs.loop import repeat
from core.observability.metrics import REGISTRY


def sample(name: str, job: str) -> float:
    return REGISTRY.get_sample_value(name, {"job": job}) or 0.0


async def test_failures_are_counted_logged_and_back_off_doubling(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop, starts = asyncio.Event(), []

    async def step() -> None:
        starts.append(time.monotonic())
        if len(starts) <= 3:
            raise RuntimeError("the database is away")
        stop.set()

    errors = sample("spt_job_errors_total", "loop-test")
    await asyncio.wait_for(
        repeat("loop-test", step, lambda: 0.05, stop, lambda: datetime.now(UTC),
               what="test step"), 10)  # fmt: skip
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 4
    assert [round(g, 1) >= want for g, want in zip(gaps, (0.1, 0.2, 0.4), strict=True)] == [
        True,
        True,
        True,
    ]  # 0.05 x 2, 4, 8
    assert sample("spt_job_errors_total", "loop-test") == errors + 3
    assert "test step failed (3 in a row)" in caplog.text
    assert sample("spt_job_last_success_timestamp_seconds", "loop-test") > 0


async def test_a_step_with_more_work_runs_again_at_once_and_stop_ends_the_loop() -> None:
    stop, runs = asyncio.Event(), []

    async def step() -> bool:
        runs.append(1)
        if len(runs) == 50:
            stop.set()
        return True  # more is ready

    started = time.monotonic()
    await asyncio.wait_for(repeat("loop-more", step, lambda: 60.0, stop,
                                  lambda: datetime.now(UTC)), 5)  # fmt: skip
    assert len(runs) == 50
    assert time.monotonic() - started < 5  # never waited the 60 s delay
