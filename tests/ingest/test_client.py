"""The eBay client over real HTTP against the sandbox: tokens, 401, retries, breaker, metrics."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from core.marketplace.auth import EbayAuthError, TokenProvider
from core.marketplace.client import SearchRequest
from core.marketplace.wiring import credentials
from core.models import Marketplace
from core.observability.metrics import REGISTRY
from core.resilience import (
    BadResponseError,
    CircuitOpenError,
    PermanentError,
    RetryableError,
    ServicePolicy,
    breaker_factory,
)
from core.settings import ResilienceSettings
from sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Endpoint
from tests.ingest.conftest import Env

US_RAM = SearchRequest(Marketplace.EBAY_US, "DDR4", limit=10)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def searches(env: Env, status: int | None = None) -> int:
    return env.sandbox.stats.count(Endpoint.SEARCH, status)


def tokens(env: Env) -> int:
    return env.sandbox.stats.count(Endpoint.TOKEN, 200)


async def test_token_is_cached_across_calls(env: Env) -> None:
    for _ in range(3):
        page = await env.client.search(US_RAM)
        assert page.listings
    assert tokens(env) == 1
    assert searches(env, 200) == 3


async def test_concurrent_callers_share_one_token_fetch(env: Env) -> None:
    await asyncio.gather(*(env.client.search(US_RAM) for _ in range(8)))
    assert tokens(env) == 1


async def test_token_refreshes_60s_before_expiry(env: Env) -> None:
    now = [1000.0]
    provider = TokenProvider(
        env.session,
        base_url=lambda: env.settings.ebay.api_base_url,
        credentials=lambda: credentials(env.settings),
        policy=env.client.policy,
        timeout=lambda: 5.0,
        clock=lambda: now[0],
    )
    first = await provider.get()
    now[0] += 7200 - 61  # the sandbox's tokens live 7200 s
    assert await provider.get() == first
    now[0] += 2  # now inside the 60 s margin
    second = await provider.get()
    assert second != first
    assert provider.fetches == 2


async def test_one_reauthentication_on_401(env: Env) -> None:
    await env.client.search(US_RAM)
    env.sandbox.expire_all_tokens()
    page = await env.client.search(US_RAM)
    assert page.listings
    assert tokens(env) == 2
    assert searches(env, 401) == 1


async def test_bad_credentials_fail_clearly_without_retrying(env: Env) -> None:
    env.configure("ebay.client_secret=wrong")
    client = env.new_client()
    with pytest.raises(EbayAuthError, match="eBay rejected the client credentials"):
        await client.search(US_RAM)
    assert env.sandbox.stats.count(Endpoint.TOKEN, 401) == 1
    assert searches(env) == 0


async def test_retries_5xx_then_succeeds_and_counts_metrics(env: Env) -> None:
    errors, successes = (
        metric("spt_ebay_requests_total", status="error"),
        metric("spt_ebay_requests_total", status="success"),
    )
    observed = metric("spt_ebay_request_duration_seconds_count")
    await env.client.tokens.get()
    env.sandbox.fail_next(2, status=503, endpoint=Endpoint.SEARCH)
    page = await env.client.search(US_RAM)
    assert page.listings
    assert searches(env, 503) == 2
    assert searches(env, 200) == 1
    assert metric("spt_ebay_requests_total", status="error") == errors + 2
    assert metric("spt_ebay_requests_total", status="success") >= successes + 1
    assert metric("spt_ebay_request_duration_seconds_count") >= observed + 3
    assert metric("spt_external_service_up", service="ebay") == 1


async def test_gives_up_after_max_attempts(env: Env) -> None:
    env.configure("resilience.max_attempts=3")
    await env.client.tokens.get()
    env.sandbox.fail_next(5, status=500, endpoint=Endpoint.SEARCH)
    with pytest.raises(RetryableError, match="HTTP 500"):
        await env.client.search(US_RAM)
    assert searches(env, 500) == 3
    assert metric("spt_external_service_up", service="ebay") == 0


async def test_429_waits_for_retry_after(env: Env) -> None:
    await env.client.tokens.get()
    env.sandbox.throttle_next(1, retry_after=1, endpoint=Endpoint.SEARCH)
    started = time.monotonic()
    page = await env.client.search(US_RAM)
    waited = time.monotonic() - started
    assert page.listings
    assert searches(env, 429) == 1
    assert waited >= 0.95  # the server's Retry-After, not the 0.01 s backoff


async def test_long_retry_after_fails_the_call_at_once(env: Env) -> None:
    env.configure("resilience.max_retry_after_seconds=0.5")
    await env.client.tokens.get()
    env.sandbox.throttle_next(1, retry_after=30, endpoint=Endpoint.SEARCH)
    with pytest.raises(RetryableError) as info:
        await env.client.search(US_RAM)
    assert info.value.retry_after == 30
    assert searches(env) == 1


@pytest.mark.parametrize("status", [400, 403, 404])
async def test_no_retry_on_other_4xx(env: Env, status: int) -> None:
    await env.client.tokens.get()
    env.sandbox.fail_next(1, status=status, endpoint=Endpoint.SEARCH)
    with pytest.raises(PermanentError, match=f"HTTP {status}"):
        await env.client.search(US_RAM)
    assert searches(env) == 1
    assert metric("spt_external_service_up", service="ebay") == 1  # it answered


async def test_malformed_json_is_a_bad_response_not_retried(env: Env) -> None:
    await env.client.tokens.get()
    env.sandbox.malform_next(1, endpoint=Endpoint.SEARCH)
    with pytest.raises(BadResponseError, match="search response is not valid JSON"):
        await env.client.search(US_RAM)
    assert searches(env) == 1
    assert (await env.client.search(US_RAM)).listings


async def test_breaker_opens_after_consecutive_failures_and_half_opens(env: Env) -> None:
    env.configure(
        "resilience.max_attempts=1",
        "resilience.breaker_failure_threshold=3",
        "resilience.breaker_cooldown_seconds=0.5",
    )
    client = env.new_client()
    await client.tokens.get()
    env.sandbox.fail_next(4, status=502, endpoint=Endpoint.SEARCH)
    for _ in range(3):
        with pytest.raises(RetryableError):
            await client.search(US_RAM)
    assert metric("spt_circuit_breaker_state", service="ebay") == 2
    with pytest.raises(CircuitOpenError, match="circuit open") as opened:
        await client.search(US_RAM)
    # The real cause comes first: the failure that began the run, not only "circuit open".
    cause = str(opened.value).split("circuit open")[0]
    assert cause.startswith("ebay: ")
    assert "502" in cause
    assert searches(env) == 3  # the open circuit kept the call from leaving
    await asyncio.sleep(0.6)
    # half-open: one trial call goes out; it fails (the 4th queued 502) and re-opens
    with pytest.raises(RetryableError):
        await client.search(US_RAM)
    with pytest.raises(CircuitOpenError):
        await client.search(US_RAM)
    await asyncio.sleep(0.6)
    assert (await client.search(US_RAM)).listings  # trial succeeds: closed again
    assert metric("spt_circuit_breaker_state", service="ebay") == 0
    assert (await client.search(US_RAM)).listings


async def test_connection_refused_is_retryable_and_marks_service_down(env: Env) -> None:
    env.configure("ebay.api_base_url=http://127.0.0.1:9", "resilience.max_attempts=2")
    with pytest.raises(RetryableError, match="connection failed"):
        await env.new_client().search(US_RAM)
    assert metric("spt_external_service_up", service="ebay") == 0


async def test_timeout_is_retryable(env: Env) -> None:
    env.configure("ebay.request_timeout_seconds=0.2", "resilience.max_attempts=2")
    client = env.new_client()
    await client.tokens.get()
    env.sandbox.set_latency(1.0, Endpoint.SEARCH)
    with pytest.raises(RetryableError, match=r"timed out after 0\.2s"):
        await client.search(US_RAM)


async def test_policy_is_shared_shape_for_any_service() -> None:
    """The same policy wraps any coroutine: here a plain aiohttp call to a closed port."""
    policy = ServicePolicy("example", lambda: _fast(), breaker_factory())

    async def attempt() -> int:
        async with aiohttp.ClientSession() as session, session.get("http://127.0.0.1:9/"):
            return 1

    with pytest.raises(RetryableError, match=r"example: connection failed"):
        await policy.call(attempt, attempt_timeout=1)


def _fast() -> ResilienceSettings:
    return ResilienceSettings(max_attempts=2, backoff_base_seconds=0.01, backoff_max_seconds=0.02)


async def test_filters_and_marketplace_reach_the_server(env: Env) -> None:
    request = SearchRequest(
        Marketplace.EBAY_DE, "DDR4", min_price=None, max_price=None, condition_ids=(3000,), limit=50
    )
    page = await env.client.search(request)
    assert page.listings
    assert {x.currency for x in page.listings} == {"EUR"}
    assert {x.condition_id for x in page.listings} == {3000}
    assert {x.marketplace for x in page.listings} == {Marketplace.EBAY_DE}
    cheap = await env.client.search(
        SearchRequest(Marketplace.EBAY_GB, "DDR4", max_price=20, limit=50)  # type: ignore[arg-type]
    )
    assert cheap.listings
    assert all(x.price <= 20 for x in cheap.listings)
    assert {x.currency for x in cheap.listings} == {"GBP"}


async def test_rate_limits_come_from_the_analytics_api(env: Env) -> None:
    await env.client.search(US_RAM)
    await env.client.search(US_RAM)
    snapshot = await env.client.rate_limits()
    assert snapshot is not None
    assert (snapshot.limit, snapshot.count, snapshot.remaining) == (5000, 2, 4998)
    assert snapshot.window_seconds == 86400


def test_default_credentials_constants_are_what_the_sandbox_expects() -> None:
    assert (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET) == ("sandbox-client", "sandbox-secret")
