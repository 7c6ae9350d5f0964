"""Ingestion status from the database, so any process (CLI, bot, web) can show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.db import schedule as schedule_repo
from core.db.pool import Pool
from core.jobs.fairness import stretch_factor
from core.marketplace.quota import DailyBudget, QuotaState


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

    @property
    def paused(self) -> bool:
        """True while the daily budget is spent."""
        return self.quota.remaining <= 0

    def lines(self) -> list[str]:
        """A readable summary, one fact per line."""
        q = self.quota
        lines = [
            f"eBay quota: {q.used} of {q.limit} calls used, {q.remaining} left, "
            f"resets {q.reset_at.isoformat(timespec='seconds')}"
            + (f" (synced {q.synced_at.isoformat(timespec='seconds')})" if q.synced_at else ""),
            "ingestion: paused until the reset (daily budget spent)"
            if self.paused
            else "ingestion: running",
        ]
        if self.stretch > 1:
            lines.append(
                f"intervals stretched x{self.stretch:.2f}: the budget cannot cover every "
                "watch's interval until the reset"
            )
        lines.append(f"watches: {self.enabled} enabled, {self.due} due, {self.failing} failing")
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
    stretch = stretch_factor(demand, quota.remaining, now, quota.reset_at)
    return IngestStatus(
        quota=quota,
        stretch=stretch,
        enabled=facts["enabled"],
        due=facts["due"],
        failing=facts["failing"],
        next_due=facts["next_due"],
        last_run=facts["last_run"],
    )
