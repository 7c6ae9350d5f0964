"""One status report for a scope: services, eBay quota, the queue, watches and loops.

`/status` in Discord and the dashboard show it. Shared facts (service health, quota, the
extraction queue) are the same for everyone; watch counts and problems are the scope's
own, and nothing here names another guild's listings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.db import extraction as extraction_repo
from core.db.pool import Pool
from core.jobs.status import ingest_status
from core.marketplace.quota import DailyBudget, QuotaState
from core.observability.health import HealthMonitor, ServiceHealth
from core.observability.metrics import JOBS, REGISTRY
from core.watches import WatchService

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class WatchProblem:
    """A watch whose last run failed or whose channel refused its alerts."""

    watch_id: int
    name: str
    run_error: str | None
    delivery_error: str | None
    delivery_error_at: datetime | None


@dataclass(frozen=True)
class StatusReport:
    """Everything `/status` shows."""

    services: list[ServiceHealth]
    quota: QuotaState
    ingestion_paused: bool
    stretch: float
    queue: dict[str, int]
    watches: dict[str, Any]
    problems: list[WatchProblem]
    last_success: dict[str, datetime | None]


class StatusService:
    """Builds status reports from the database, the health monitor and the metrics."""

    def __init__(
        self,
        pool: Pool,
        budget: DailyBudget,
        monitor: HealthMonitor,
        watches: WatchService,
        clock: Clock,
    ) -> None:
        self._pool = pool
        self._budget = budget
        self._monitor = monitor
        self._watches = watches
        self._clock = clock

    async def report(self, guild_id: int | None) -> StatusReport:
        """The status as the scope sees it; services never checked yet are checked now."""
        now = self._clock()
        latest = self._monitor.latest()
        if any(name not in latest for name in self._monitor.services):
            latest = await self._monitor.check_all()
        ingest = await ingest_status(self._pool, self._budget, now)  # quota, pause, stretch
        async with self._pool.acquire() as conn:
            queue = await extraction_repo.counts(conn)
        facts = await self._watches.overview(guild_id, now)
        problems = [
            WatchProblem(p["id"], p["name"], p["last_error"], p["delivery_error"],
                         p["delivery_error_at"])
            for p in facts.pop("problems")
        ]  # fmt: skip
        return StatusReport(
            services=[latest[name] for name in self._monitor.services if name in latest],
            quota=ingest.quota,
            ingestion_paused=ingest.paused,
            stretch=ingest.stretch,
            queue=queue,
            watches=facts,
            problems=problems,
            last_success={job: last_success(job) for job in JOBS},
        )


def last_success(job: str) -> datetime | None:
    """When a background job last succeeded in this process (from its metric)."""
    value = REGISTRY.get_sample_value("spt_job_last_success_timestamp_seconds", {"job": job})
    return datetime.fromtimestamp(value, UTC) if value else None
