"""`/status` says whether Marketplace Insights works, and why not when eBay refused it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import embeds
from core.marketplace.auth import INSIGHTS_SCOPES, Access, ScopeAccess
from core.marketplace.quota import QuotaState
from core.status import InsightsStatus, StatusReport

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def report(insights: InsightsStatus) -> StatusReport:
    return StatusReport(
        services=[], quota=QuotaState(5000, 10, NOW + timedelta(hours=3)),
        ingestion_paused=False, stretch=1.0,
        queue={"pending": 0, "running": 0, "parked": 0},
        watches={"enabled": 1, "total": 1, "due": 0, "muted": 0, "last_run": None,
                 "next_due": None},
        problems=[], last_success={}, insights=insights,
    )  # fmt: skip


def access(state: Access, enabled: bool = True, detail: str | None = None) -> ScopeAccess:
    retry = NOW + timedelta(hours=1) if state is Access.UNAVAILABLE else None
    return ScopeAccess("Marketplace Insights", INSIGHTS_SCOPES, enabled, state, detail, NOW, retry)


def field(embed: object, name: str) -> str | None:
    for f in embed.fields:  # type: ignore[attr-defined]
        if f.name == name:
            return str(f.value)
    return None


def test_status_embed_says_insights_is_unavailable_and_why() -> None:
    refused = InsightsStatus(access(Access.UNAVAILABLE, detail="exceeds the scope <@123>"))
    value = field(embeds.status(report(refused), NOW), "Marketplace Insights")
    assert value is not None
    assert value.startswith("⚠️ unavailable (the eBay application has no access to the")
    assert "<@123>" not in value  # eBay's text is made inert like any other


def test_status_embed_names_insights_only_when_it_is_on() -> None:
    on = InsightsStatus(access(Access.AVAILABLE))
    assert field(embeds.status(report(on), NOW), "Marketplace Insights") == (
        "available (sold prices are read on sweeps)"
    )
    off = InsightsStatus(access(Access.UNKNOWN, enabled=False))
    assert field(embeds.status(report(off), NOW), "Marketplace Insights") is None
