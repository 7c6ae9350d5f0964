"""The sandbox's OAuth scopes per application, and the item URLs it serves, as eBay does."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from core.marketplace.urls import parse_listing_ref
from core.models import Marketplace
from sandbox import (
    API_SCOPE,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    INSIGHTS_SCOPE,
    Catalog,
    SandboxMarketplace,
    build_catalog,
    serve_forever,
)
from tests.clock import ManualClock
from tests.marketplace.test_sandbox import NOW, SALES, SEARCH, TOKEN

BASIC = (
    "Basic " + base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()
)
# eBay's answer to a scope the application was not granted (RFC 6749 section 5.2: HTTP 400).
REFUSAL = {
    "error": "invalid_scope",
    "error_description": "The requested scope is invalid, unknown, malformed, or exceeds the "
    "scope granted to the client",
}
DOMAINS = {
    Marketplace.EBAY_US: "www.ebay.com",
    Marketplace.EBAY_GB: "www.ebay.co.uk",
    Marketplace.EBAY_DE: "www.ebay.de",
    Marketplace.EBAY_AU: "www.ebay.com.au",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog(seed=7, size=600, now=NOW)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def market(catalog: Catalog) -> AsyncIterator[SandboxMarketplace]:
    async with SandboxMarketplace(catalog, clock=ManualClock(NOW)) as running:
        yield running


async def ask_token(
    http: aiohttp.ClientSession, market: SandboxMarketplace, scope: str
) -> tuple[int, dict[str, Any], str]:
    assert market.base_url is not None
    form = {"grant_type": "client_credentials", "scope": scope}
    async with http.post(market.base_url + TOKEN, data=form, headers={"Authorization": BASIC}) as r:
        return r.status, await r.json(), r.content_type


async def get(
    http: aiohttp.ClientSession, market: SandboxMarketplace, path: str, token: str,
    params: dict[str, str], marketplace: str = "EBAY_US",
) -> tuple[int, dict[str, Any]]:  # fmt: skip
    assert market.base_url is not None
    headers = {"Authorization": f"Bearer {token}", "X-EBAY-C-MARKETPLACE-ID": marketplace}
    async with http.get(market.base_url + path, params=params, headers=headers) as r:
        return r.status, await r.json()


# --- scopes ---------------------------------------------------------------------------------


async def test_an_ungranted_scope_is_refused_as_ebay_refuses_it(
    http: aiohttp.ClientSession, market: SandboxMarketplace
) -> None:
    # A new application holds the base scope only; Marketplace Insights is Limited Release.
    for scope in (f"{API_SCOPE} {INSIGHTS_SCOPE}", INSIGHTS_SCOPE):
        status, body, kind = await ask_token(http, market, scope)
        assert (status, body, kind) == (400, REFUSAL, "application/json")
    status, body, _ = await ask_token(http, market, API_SCOPE)
    assert status == 200
    assert body["token_type"] == "Application Access Token"


async def test_a_granted_scope_is_issued_and_reaches_insights(
    http: aiohttp.ClientSession, market: SandboxMarketplace
) -> None:
    market.grant_scopes(INSIGHTS_SCOPE)
    status, body, _ = await ask_token(http, market, f"{API_SCOPE} {INSIGHTS_SCOPE}")
    assert status == 200
    sold, page = await get(http, market, SALES, body["access_token"], {"q": "ddr4"})
    assert sold == 200
    assert page["total"] > 0
    # The application may ask for any subset of its grant, the restricted scope alone too.
    assert (await ask_token(http, market, INSIGHTS_SCOPE))[0] == 200

    market.revoke_scopes(INSIGHTS_SCOPE)
    assert (await ask_token(http, market, INSIGHTS_SCOPE))[:2] == (400, REFUSAL)
    # A token already issued keeps its scopes until it expires.
    assert (await get(http, market, SALES, body["access_token"], {"q": "ddr4"}))[0] == 200


async def test_granted_scopes_can_be_given_at_start(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="knows no scope"):
        SandboxMarketplace(catalog, granted_scopes={API_SCOPE, "https://example/scope"})
    async with (
        SandboxMarketplace(catalog, granted_scopes={API_SCOPE, INSIGHTS_SCOPE}) as market,
        aiohttp.ClientSession() as http,
    ):
        assert (await ask_token(http, market, f"{API_SCOPE} {INSIGHTS_SCOPE}"))[0] == 200


@pytest.mark.parametrize("grant", [False, True])
async def test_spt_sandbox_grants_insights_only_when_asked(grant: bool) -> None:
    lines: list[str] = []
    task = asyncio.create_task(
        serve_forever(port=0, size=300, grant_insights=grant, out=lines.append)
    )
    try:
        for _ in range(200):
            if len(lines) >= 5:
                break
            await asyncio.sleep(0.02)
        found = re.search(r"http://127\.0\.0\.1:\d+", lines[0])
        assert found is not None
        assert any("Marketplace Insights scope: " in line for line in lines)
        form = {"grant_type": "client_credentials", "scope": f"{API_SCOPE} {INSIGHTS_SCOPE}"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(found[0] + TOKEN, data=form, headers={"Authorization": BASIC}) as r,
        ):
            assert r.status == (200 if grant else 400)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


# --- item URLs ------------------------------------------------------------------------------


async def test_item_web_urls_carry_tracking_parameters_as_ebays_do(
    http: aiohttp.ClientSession, market: SandboxMarketplace, catalog: Catalog
) -> None:
    status, body, _ = await ask_token(http, market, API_SCOPE)
    token = body["access_token"]
    for marketplace, domain in DOMAINS.items():
        categories = sorted({i.category_id for i in catalog.in_marketplace(marketplace)})[:3]
        items = []
        for category in categories:
            params = {"category_ids": category, "limit": "200"}
            status, page = await get(http, market, SEARCH, token, params, marketplace.value)
            assert status == 200
            items += page.get("itemSummaries", [])
        assert items
        for item in items:
            legacy, url = item["legacyItemId"], item["itemWebUrl"]
            # Real itemWebUrl values run to several hundred characters of tracking.
            assert 350 <= len(url) <= 500, url
            assert url.startswith(f"https://{domain}/itm/{legacy}?_skw=")
            assert f"&hash=item{int(legacy):x}:g:" in url
            assert "&_trkparms=ispr%3D1&" in url
            assert re.search(r"&amdata=enc%3A[A-Za-z0-9%]{200,}%7Ctkp%3A", url)
            assert parse_listing_ref(url).item_number == legacy
    _, again = await get(http, market, SEARCH, token, params, marketplace.value)
    assert [i["itemWebUrl"] for i in again["itemSummaries"]] == [
        i["itemWebUrl"] for i in page["itemSummaries"]
    ]  # the same listing always has the same URL
