"""OAuth scopes: Browse on the base scope alone, Marketplace Insights in a token of its own.

An application without the restricted Insights scope gets `invalid_scope` for it from
eBay; ingestion must go on, spt must say why sold prices are missing, and must not keep
asking.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from click.testing import CliRunner

from app.cli import cli
from core.jobs.ingest import search_request
from core.marketplace.auth import (
    INSIGHTS_SCOPE,
    SCOPE,
    Access,
    RestrictedTokenProvider,
    ScopeRefusedError,
    TokenProvider,
)
from core.marketplace.wiring import credentials
from core.status import insights_status
from sandbox import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    Endpoint,
    SandboxMarketplace,
    build_catalog,
)
from tests.ingest.conftest import Env

UNAVAILABLE = (
    "Marketplace Insights: unavailable (the eBay application has no access to the "
    f"restricted scope {INSIGHTS_SCOPE}; eBay answered invalid_scope: The requested scope is "
    "invalid, unknown, malformed, or exceeds the scope granted to the client)"
)


def insights_of(env: Env) -> RestrictedTokenProvider | None:
    tokens = env.client.insights_tokens
    assert tokens is None or isinstance(tokens, RestrictedTokenProvider)
    return tokens


def token_answers(env: Env, status: int) -> int:
    return env.sandbox.stats.count(Endpoint.TOKEN, status)


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "core.marketplace.auth" and r.levelno == logging.WARNING
    ]


async def test_insights_not_granted_leaves_ingestion_working_and_status_says_why(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.configure("ebay.marketplace_insights=true", "ebay.page_size=20", "ebay.sweep_max_pages=1")
    watch = await env.watch(query="DDR4")
    result = await env.ingestor().run_watch(watch)
    assert result.error is None
    assert result.swept
    assert result.outcome.new > 0  # Browse searched with the base scope
    assert result.sold_recorded == 0
    assert await env.pool.fetchval("SELECT count(*) FROM listings") == result.outcome.new
    assert token_answers(env, 400) == 1  # the Insights token, refused once
    assert env.sandbox.stats.count(Endpoint.INSIGHTS) == 0  # no call without a token

    status = await insights_status(insights_of(env))
    assert status.unavailable
    line = status.line()
    assert line.startswith(UNAVAILABLE), line
    assert "spt asks eBay again at " in line
    logged = warnings(caplog)
    assert len(logged) == 1
    assert "Marketplace Insights is unavailable" in logged[0]
    assert DEFAULT_CLIENT_SECRET not in caplog.text


async def test_a_refusal_is_remembered_for_an_hour_and_logged_once(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="core.marketplace.auth")
    env.configure("ebay.marketplace_insights=true", "ebay.page_size=20")
    watch = await env.watch(query="DDR4")
    request = search_request(watch, env.settings, 0)
    insights = insights_of(env)
    assert insights is not None
    for _ in range(5):
        page = await env.client.sales(request)
        assert page.sales == []
    assert insights.refusals == 1  # no retry storm
    assert token_answers(env, 400) == 1

    env.clock.advance(timedelta(minutes=61))
    await env.client.sales(request)
    assert token_answers(env, 400) == 2  # asked again after the hour
    assert len(warnings(caplog)) == 1  # and did not say it twice

    env.sandbox.grant_scopes(INSIGHTS_SCOPE)  # eBay approved the application
    await env.client.sales(request)
    assert token_answers(env, 400) == 2  # still inside the new hour
    env.clock.advance(timedelta(minutes=61))
    page = await env.client.sales(request)
    assert page.sales
    assert insights.state().access is Access.AVAILABLE
    assert "Marketplace Insights is available again" in caplog.text


async def test_insights_granted_gets_its_own_token_and_records_sold_prices(env: Env) -> None:
    env.sandbox.grant_scopes(INSIGHTS_SCOPE)
    env.configure("ebay.marketplace_insights=true", "ebay.page_size=20", "ebay.sweep_max_pages=1")
    watch = await env.watch(query="DDR4")
    result = await env.ingestor().run_watch(watch)
    assert result.error is None
    assert result.sold_recorded > 0
    assert token_answers(env, 200) == 2  # one per scope set
    insights = insights_of(env)
    assert insights is not None
    browse = env.sandbox.tokens.check(await env.client.tokens.get())
    sold = env.sandbox.tokens.check(await insights.get())
    assert browse is not None
    assert sold is not None
    assert browse.scopes == {SCOPE}  # Browse never depends on the restricted scope
    assert sold.scopes == {SCOPE, INSIGHTS_SCOPE}
    status = await insights_status(insights)
    assert status.line() == "Marketplace Insights: available (sold prices are read on sweeps)"


async def test_insights_off_asks_for_the_base_scope_only(env: Env) -> None:
    watch = await env.watch(query="DDR4")
    result = await env.ingestor().run_watch(watch)
    assert result.error is None
    assert token_answers(env, 200) == 1
    assert token_answers(env, 400) == 0
    status = await insights_status(insights_of(env))
    assert status.line().startswith("Marketplace Insights: off (ebay.marketplace_insights is")
    assert token_answers(env, 200) + token_answers(env, 400) == 1  # status asked nothing


async def test_status_says_why_when_ebay_cannot_be_asked(env: Env) -> None:
    env.configure("ebay.marketplace_insights=true", "ebay.api_base_url=http://127.0.0.1:9",
                  "resilience.max_attempts=1")  # fmt: skip
    status = await insights_status(insights_of(env))
    assert not status.unavailable
    assert status.line().startswith("Marketplace Insights: unknown (could not ask eBay: ")


async def test_the_token_cache_is_keyed_by_scope_set(env: Env) -> None:
    env.sandbox.grant_scopes(INSIGHTS_SCOPE)
    scopes: list[tuple[str, ...]] = [(SCOPE,)]
    provider = TokenProvider(
        env.session,
        base_url=lambda: env.settings.ebay.api_base_url,
        credentials=lambda: credentials(env.settings),
        policy=env.client.policy,
        timeout=lambda: 5.0,
        scopes=lambda: scopes[0],
    )
    first = await provider.get()
    assert await provider.get() == first
    scopes[0] = (SCOPE, INSIGHTS_SCOPE)  # e.g. a reload: the cached token no longer fits
    second = await provider.get()
    assert second != first
    grant = env.sandbox.tokens.check(second)
    assert grant is not None
    assert INSIGHTS_SCOPE in grant.scopes


async def test_invalid_scope_is_a_permanent_error_with_ebays_reason(env: Env) -> None:
    provider = TokenProvider(
        env.session,
        base_url=lambda: env.settings.ebay.api_base_url,
        credentials=lambda: credentials(env.settings),
        policy=env.client.policy,
        timeout=lambda: 5.0,
        scopes=lambda: (SCOPE, INSIGHTS_SCOPE),
    )
    with pytest.raises(ScopeRefusedError, match="invalid_scope") as caught:
        await provider.get()
    assert caught.value.status == 400
    assert "exceeds the scope granted to the client" in caught.value.description
    assert token_answers(env, 400) == 1  # never retried


# --- spt status, as a separate process would run it ----------------------------------------


@pytest.fixture
def sandbox_thread() -> Iterator[str]:
    """A sandbox (base scope only) on its own event loop, for commands that run their own."""
    loop = asyncio.new_event_loop()
    market = SandboxMarketplace(build_catalog(seed=3, size=300))
    url = loop.run_until_complete(market.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        asyncio.run_coroutine_threadsafe(market.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_spt_status_reports_insights_unavailable(database_url: str, sandbox_thread: str) -> None:
    env = {
        "SPT_EBAY__API_BASE_URL": sandbox_thread,
        "SPT_EBAY__MARKETPLACE_INSIGHTS": "true",
        "EBAY_CLIENT_ID": DEFAULT_CLIENT_ID,
        "EBAY_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
    }
    runner = CliRunner()
    result = runner.invoke(cli, ["--database-url", database_url, "status"], env=env)
    assert result.exit_code == 0, result.output
    assert UNAVAILABLE in result.stdout
    shown = runner.invoke(cli, ["--database-url", database_url, "status", "--json"], env=env)
    assert '"marketplace_insights": "unavailable (the eBay application has no access' in (
        shown.stdout
    )


async def test_status_line_without_an_ebay_client() -> None:
    status = await insights_status(None)
    assert status.line().startswith("Marketplace Insights: off")
