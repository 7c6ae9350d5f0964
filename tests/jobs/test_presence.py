"""A running pipeline says so in `processes`; `spt status` reads it from any process."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.db import processes as repo
from core.db.pool import Pool
from core.jobs.presence import STALE_AFTER, Presence, running
from tests.clock import ManualClock

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


async def test_a_process_is_running_while_it_beats_and_gone_when_it_stops(pool: Pool) -> None:
    clock = ManualClock(NOW)
    presence = Presence(pool, "host-a:41", lambda: ["ingest"], clock, beat_seconds=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(presence.run(stop))
    for _ in range(100):
        if await running(pool, clock()):
            break
        await asyncio.sleep(0.02)
    (found,) = await running(pool, clock())
    assert (found.process_id, found.roles, found.started_at) == ("host-a:41", ["ingest"], NOW)
    clock.advance(30)
    await asyncio.sleep(0.2)  # a few beats at the new time
    assert (await running(pool, clock()))[0].seen_at == NOW + timedelta(seconds=30)
    stop.set()
    await task
    assert await running(pool, clock()) == []
    assert await pool.fetchval("SELECT count(*) FROM processes") == 0


async def test_a_process_that_stopped_beating_is_not_running(pool: Pool) -> None:
    async with pool.acquire() as conn:
        await repo.beat(conn, "crashed:1", ["ingest"], NOW, NOW)
        await repo.beat(conn, "alive:2", [], NOW, NOW + STALE_AFTER)
    later = NOW + STALE_AFTER + timedelta(seconds=1)
    assert [p.process_id for p in await running(pool, later)] == ["alive:2"]
    # A day later the crashed process's row is dropped for good.
    await running(pool, NOW + timedelta(days=2))
    assert await pool.fetchval("SELECT count(*) FROM processes") == 0
