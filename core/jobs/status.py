"""Ingestion status from the database, so any process (CLI, bot, web) can show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.db import schedule as schedule_repo
from core.db.pool import Pool
from core.jobs.fairness import stretch_factor
from core.jobs.presence import Running, running
from core.marketplace.quota import DailyBudget, QuotaState

FAILING_SHOWN = 10  # failing watches named in a status; the count covers the rest


@dataclass(frozen=True)
class IngestStatus:
    """eBay quota, whether ingestion is paused, how intervals are stretched, what is due."""

    quota: QuotaState
    stretch: float
    enabled: int
    due: int
    failing: int
    next_due: datetime | None
    last_run: datetime | None
    # The processes running the pipeline now, and the failing watches (first few).
    processes: list[Running] = field(default_factory=list)
    failing_watches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def paused(self) -> bool:
        """True while the daily budget is spent."""
        return self.quota.remaining <= 0

    @property
    def ingesting(self) -> int:
        """Running processes that search eBay (those with credentials)."""
        return sum("ingest" in p.roles for p in self.processes)

    def state(self) -> str:
        """Whether ingestion runs, in a few words."""
        if not self.processes:
            return "not running (no `spt run` is running on this database)"
        if not self.ingesting:
            return "off (the running spt has no eBay credentials)"
        if self.paused:
            return "paused until the reset (daily budget spent)"
        return f"running ({self.ingesting} process{'es' if self.ingesting > 1 else ''})"

    def lines(self) -> list[str]:
        """A readable summary, one fact per line."""
        q = self.quota
        lines = [
            f"eBay quota: {q.used} of {q.limit} calls used, {q.remaining} left, "
            f"resets {q.reset_at.isoformat(timespec='seconds')}"
            + (f" (synced {q.synced_at.isoformat(timespec='seconds')})" if q.synced_at else ""),
            f"ingestion: {self.state()}",
        ]
        if self.stretch > 1:
            lines.append(
                f"intervals stretched x{self.stretch:.2f}: the budget cannot cover every "
                "watch's interval until the reset"
            )
        lines.append(f"watches: {self.enabled} enabled, {self.due} due, {self.failing} failing")
        for watch in self.failing_watches:
            scope = f"guild {watch['guild_id']}" if watch["guild_id"] is not None else "local"
            lines.append(f"  failing: watch {watch['id']} ({watch['name']}, {scope}): "
                         f"{watch['last_error']}")  # fmt: skip
        if self.next_due:
            lines.append(f"next run: {self.next_due.isoformat(timespec='seconds')}")
        if self.last_run:
            lines.append(f"last run: {self.last_run.isoformat(timespec='seconds')}")
        return lines


async def ingest_status(pool: Pool, budget: DailyBudget, now: datetime) -> IngestStatus:
    """Read the current status."""
    quota = await budget.state()
    async with pool.acquire() as conn:
        facts = await schedule_repo.overview(conn, now)
        demand = await schedule_repo.demand(conn)
        failing = await schedule_repo.failing(conn, FAILING_SHOWN)
    stretch = stretch_factor(demand, quota.remaining, now, quota.reset_at)
    return IngestStatus(
        quota=quota,
        stretch=stretch,
        enabled=facts["enabled"],
        due=facts["due"],
        failing=facts["failing"],
        next_due=facts["next_due"],
        last_run=facts["last_run"],
        processes=await running(pool, now),
        failing_watches=failing,
    )
