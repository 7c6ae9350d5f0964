"""Whole-database totals a pass reports (the demo's summary): listings stored, alerts
decided, listings scored, and the best current scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.db import alerts as alerts_repo
from core.db import listings as listings_repo
from core.db import scores as scores_repo
from core.db.pool import Pool


@dataclass(frozen=True)
class Totals:
    """Counts across every scope at one moment."""

    listings: int
    alerts: int
    scored: int


async def totals(pool: Pool) -> Totals:
    """Listings stored, alerts ever decided, listings with a current score."""
    async with pool.acquire() as conn:
        return Totals(
            await listings_repo.count(conn),
            await alerts_repo.count(conn),
            await scores_repo.count_current(conn),
        )


async def best_scores(pool: Pool, limit: int) -> list[dict[str, Any]]:
    """The best current scores of active listings (mature baselines first), with titles."""
    async with pool.acquire() as conn:
        return await scores_repo.top(conn, limit)
