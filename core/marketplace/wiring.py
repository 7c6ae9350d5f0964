"""Assembles the eBay client from resources the composition root owns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
from purgatory import AsyncCircuitBreakerFactory

from core.db.pool import Pool
from core.marketplace.auth import (
    BROWSE_SCOPES,
    INSIGHTS_SCOPES,
    Credentials,
    RestrictedTokenProvider,
    ScopeUnavailableError,
    TokenProvider,
)
from core.marketplace.client import EbayClient, SalesPage, SearchRequest, ebay_observer
from core.marketplace.quota import DailyBudget, TokenBucket
from core.resilience import ServicePolicy
from core.settings import Settings

INSIGHTS = "Marketplace Insights"


def credentials(settings: Settings) -> Credentials | None:
    """The configured eBay client credentials, if both are set."""
    ebay = settings.ebay
    if ebay.client_id is None or ebay.client_secret is None:
        return None
    return Credentials(ebay.client_id.get_secret_value(), ebay.client_secret.get_secret_value())


@dataclass
class ScopedEbayClient(EbayClient):
    """An EbayClient whose Marketplace Insights calls carry a token of their own.

    Browse and Analytics use `tokens` (the base scope only), so an application without
    Insights access keeps searching. `sales()` uses `insights`; while eBay refuses that
    scope it returns an empty page without calling eBay (the refusal is logged once and
    shown by `spt status`), so a sweep goes on with the ended-early signal alone.
    """

    insights: RestrictedTokenProvider | None = None
    _sales: EbayClient | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.insights is not None:
            # Same session, policy, bucket and call counts; only the token differs.
            self._sales = EbayClient(
                session=self.session, settings=self.settings, policy=self.policy,
                tokens=self.insights, bucket=self.bucket, budget=None, calls=self.calls,
            )  # fmt: skip

    async def sales(self, request: SearchRequest) -> SalesPage:
        """One page of sold items, or an empty page while Insights is unavailable."""
        if self._sales is None:
            return await super().sales(request)
        try:
            return await self._sales.sales(request)
        except ScopeUnavailableError:
            return SalesPage(sales=[], total=0, has_next=False)


def build_ebay_client(
    session: aiohttp.ClientSession,
    settings: Callable[[], Settings],
    pool: Pool,
    breakers: AsyncCircuitBreakerFactory,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ScopedEbayClient:
    """An EbayClient sharing `session`, with the `ebay` resilience policy, bucket and budget.

    Browse gets a token for the base scope; Marketplace Insights a second one, cached
    apart, for the base and Insights scopes. Every setting is read through `settings()` at
    call time, so hot reloads apply.
    """
    policy = ServicePolicy(
        "ebay", lambda: settings().resilience, breakers, observer=ebay_observer()
    )
    tokens = TokenProvider(
        session,
        base_url=lambda: settings().ebay.api_base_url,
        credentials=lambda: credentials(settings()),
        policy=policy,
        timeout=lambda: settings().ebay.request_timeout_seconds,
        scopes=lambda: BROWSE_SCOPES,
    )
    insights = RestrictedTokenProvider(
        session,
        base_url=lambda: settings().ebay.api_base_url,
        credentials=lambda: credentials(settings()),
        policy=policy,
        timeout=lambda: settings().ebay.request_timeout_seconds,
        scopes=lambda: INSIGHTS_SCOPES,
        name=INSIGHTS,
        enabled=lambda: settings().ebay.marketplace_insights,
        wall_clock=clock,
    )
    bucket = TokenBucket(
        rate=lambda: settings().ebay.requests_per_second, burst=lambda: settings().ebay.burst
    )
    budget = DailyBudget(pool, budget=lambda: settings().ebay.daily_call_budget, clock=clock)
    return ScopedEbayClient(
        session, lambda: settings().ebay, policy, tokens, bucket, budget, insights=insights
    )
