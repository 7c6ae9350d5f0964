"""One status report for a scope: services, eBay quota, the queue, watches and loops.

`/status` in Discord and the dashboard show it. Shared facts (service health, quota, the
extraction queue) are the same for everyone; watch counts, problems and the guild's own
settings (`/config`) are the scope's own, and nothing here names another guild's listings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.alerts.service import delivery_promise
from core.clock import Clock
from core.db import extraction as extraction_repo
from core.db.pool import Pool
from core.guild_settings import GuildOverview, GuildSettingsService
from core.jobs.status import ingest_status
from core.marketplace.auth import SCOPE, Access, RestrictedTokenProvider, ScopeAccess
from core.marketplace.quota import DailyBudget, QuotaState
from core.observability.health import HealthMonitor, ServiceHealth
from core.observability.metrics import JOBS, REGISTRY
from core.resilience import ServiceError
from core.settings import Settings
from core.watches import WatchService

# How long a status report waits for eBay to say whether Insights is granted: a report must
# come back promptly even when eBay is unreachable.
INSIGHTS_PROBE_SECONDS = 10.0
ENDED_EARLY = "sold prices come from listings that end early"


@dataclass(frozen=True)
class InsightsStatus:
    """Whether Marketplace Insights (sold prices) works for this eBay application."""

    access: ScopeAccess | None  # None: this process has no eBay client
    error: str | None = None  # why eBay could not be asked

    @property
    def unavailable(self) -> bool:
        """Enabled in the settings, but eBay refused the scope."""
        a = self.access
        return a is not None and a.enabled and a.access is Access.UNAVAILABLE

    def summary(self) -> str:
        """One phrase: off, available, unavailable (and why), or unknown."""
        a = self.access
        if a is None or not a.enabled:
            return f"off (ebay.marketplace_insights is false); {ENDED_EARLY}"
        if a.access is Access.AVAILABLE:
            return "available (sold prices are read on sweeps)"
        if a.access is Access.UNAVAILABLE:
            restricted = " ".join(s for s in a.scopes if s != SCOPE)
            again = (f"at {a.retry_at.isoformat(timespec='minutes')} or at restart"
                     if a.retry_at else "at restart")  # fmt: skip
            return (
                f"unavailable (the eBay application has no access to the restricted scope "
                f"{restricted}; eBay answered invalid_scope: {a.detail}); {ENDED_EARLY}; "
                f"spt asks eBay again {again}"
            )
        if self.error:
            return f"unknown (could not ask eBay: {self.error})"
        return "not checked yet"

    def line(self) -> str:
        """The summary as a status line."""
        return f"Marketplace Insights: {self.summary()}"


async def insights_status(
    insights: RestrictedTokenProvider | None, wait: float = INSIGHTS_PROBE_SECONDS
) -> InsightsStatus:
    """What spt knows about Insights; asks eBay first (one token request) if enabled and
    not known yet, so a fresh process (`spt status`) reports the truth."""
    if insights is None:
        return InsightsStatus(None)
    if not insights.enabled():
        return InsightsStatus(insights.state())
    try:
        async with asyncio.timeout(wait):
            return InsightsStatus(await insights.probe())
    except TimeoutError:
        return InsightsStatus(insights.state(), f"no answer within {wait:g}s")
    except ServiceError as exc:
        return InsightsStatus(insights.state(), str(exc))


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
    insights: InsightsStatus = InsightsStatus(None)
    delivery: str = ""  # where alerts go and what is promised (core.alerts.service.PROMISES)
    guild: GuildOverview | None = None  # the guild's own settings (`/config`)
    ingestion: str = ""  # "running (1 process)", "not running (...)", "paused until ..."


class StatusService:
    """Builds status reports from the database, the health monitor and the metrics."""

    def __init__(
        self,
        pool: Pool,
        budget: DailyBudget,
        monitor: HealthMonitor,
        watches: WatchService,
        clock: Clock,
        insights: RestrictedTokenProvider | None = None,
        settings: Callable[[], Settings] | None = None,
        guild_settings: GuildSettingsService | None = None,
    ) -> None:
        self._pool = pool
        self._guild_settings = guild_settings
        self._settings = settings
        self._budget = budget
        self._monitor = monitor
        self._watches = watches
        self._clock = clock
        self._insights = insights

    async def insights(self) -> InsightsStatus:
        """Whether Marketplace Insights works (asks eBay once if not known yet)."""
        return await insights_status(self._insights)

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
            ingestion=ingest.state(),
            stretch=ingest.stretch,
            queue=queue,
            watches=facts,
            problems=problems,
            last_success={job: last_success(job) for job in JOBS},
            insights=await self.insights(),
            delivery=self.delivery(),
            guild=await self._guild(guild_id),
        )

    async def _guild(self, guild_id: int | None) -> GuildOverview | None:
        if guild_id is None or self._guild_settings is None:
            return None
        return await self._guild_settings.overview(guild_id)

    def delivery(self) -> str:
        """Where alerts go and what is promised about them."""
        return delivery_promise(self._settings()) if self._settings is not None else ""


def last_success(job: str) -> datetime | None:
    """When a background job last succeeded in this process (from its metric)."""
    value = REGISTRY.get_sample_value("spt_job_last_success_timestamp_seconds", {"job": job})
    return datetime.fromtimestamp(value, UTC) if value else None
