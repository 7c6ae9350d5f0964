"""Assembles the eBay client from resources the composition root owns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp
from purgatory import AsyncCircuitBreakerFactory

from core.db.pool import Pool
from core.marketplace.auth import (
    BROWSE_SCOPES,
    INSIGHTS_SCOPES,
    Credentials,
    RestrictedTokenProvider,
    TokenProvider,
)
from core.marketplace.client import EbayClient, ebay_observer
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


def build_ebay_client(
    session: aiohttp.ClientSession,
    settings: Callable[[], Settings],
    pool: Pool,
    breakers: AsyncCircuitBreakerFactory,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> EbayClient:
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
    return EbayClient(
        session, lambda: settings().ebay, policy, tokens, bucket, budget, insights_tokens=insights
    )
