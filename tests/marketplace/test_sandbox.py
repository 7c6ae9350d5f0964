"""The sandbox marketplace: its catalog, and eBay's protocol spoken over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy

from core.models import ComponentType, Marketplace
from sandbox import (
    API_SCOPE,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    INSIGHTS_SCOPE,
    Catalog,
    DealClass,
    Endpoint,
    Listing,
    SandboxMarketplace,
    build_catalog,
    serve_forever,
)
from tests.clock import ManualClock

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TOKEN = "/identity/v1/oauth2/token"
SEARCH = "/buy/browse/v1/item_summary/search"
RATE_LIMIT = "/developer/analytics/v1_beta/rate_limit/"
SALES = "/buy/marketplace_insights/v1_beta/item_sales/search"
GERMAN = ("Arbeitsspeicher", "Festplatte", "gebraucht", "getestet", "Versand", "defekt")


def words(title: str) -> set[str]:
    return set(re.findall(r"\w+", title.lower()))


def basic(client_id: str = DEFAULT_CLIENT_ID, secret: str = DEFAULT_CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog(seed=7, now=NOW)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


Factory = Callable[..., Awaitable[SandboxMarketplace]]


@pytest.fixture
async def start_market(catalog: Catalog, clock: ManualClock) -> AsyncIterator[Factory]:
    started: list[SandboxMarketplace] = []

    async def start(**options: Any) -> SandboxMarketplace:
        market = SandboxMarketplace(catalog, clock=clock, **options)
        await market.start()
        started.append(market)
        return market

    yield start
    for market in started:
        await market.stop()


@pytest.fixture
async def market(start_market: Factory) -> SandboxMarketplace:
    return await start_market()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def url(market: SandboxMarketplace, path: str) -> str:
    assert market.base_url is not None
    return market.base_url + path


async def get_token(
    http: aiohttp.ClientSession, market: SandboxMarketplace, scope: str = API_SCOPE
) -> str:
    form = {"grant_type": "client_credentials", "scope": scope}
    async with http.post(url(market, TOKEN), data=form, headers={"Authorization": basic()}) as r:
        assert r.status == 200
        body = await r.json()
    token = body["access_token"]
    assert isinstance(token, str)
    return token


async def call(
    http: aiohttp.ClientSession,
    market: SandboxMarketplace,
    path: str,
    token: str | None,
    params: dict[str, str] | None = None,
    marketplace: str | None = None,
) -> tuple[int, Any, CIMultiDictProxy[str]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if marketplace:
        headers["X-EBAY-C-MARKETPLACE-ID"] = marketplace
    async with http.get(url(market, path), params=params or {}, headers=headers) as r:
        text = await r.text()
        return r.status, json.loads(text), r.headers


async def search_all(
    http: aiohttp.ClientSession,
    market: SandboxMarketplace,
    token: str,
    params: dict[str, str],
    marketplace: str | None = None,
) -> tuple[list[dict[str, Any]], list[int]]:
    """Follow `next` from the first page; returns every item and each page's `total`."""
    status, page, _ = await call(http, market, SEARCH, token, params, marketplace)
    assert status == 200, page
    items, totals = list(page.get("itemSummaries", [])), [page["total"]]
    while "next" in page:
        headers = {"Authorization": f"Bearer {token}"}
        if marketplace:
            headers["X-EBAY-C-MARKETPLACE-ID"] = marketplace
        async with http.get(page["next"], headers=headers) as r:
            assert r.status == 200
            page = await r.json()
        assert page["offset"] > 0
        assert "prev" in page
        items.extend(page.get("itemSummaries", []))
        totals.append(page["total"])
    return items, totals


def visible(catalog: Catalog, when: datetime, market: Marketplace) -> list[Listing]:
    return catalog.visible_at(when, market)


def by_default(listing: Listing) -> bool:
    """Whether Browse returns the listing to a request without a buyingOptions filter."""
    return "FIXED_PRICE" in listing.buying_options


# --- the catalog ---------------------------------------------------------------------------


def test_same_seed_gives_the_same_catalog_and_another_seed_another() -> None:
    first = build_catalog(seed=3, size=800, now=NOW)
    again = build_catalog(seed=3, size=800, now=NOW)
    other = build_catalog(seed=4, size=800, now=NOW)
    assert first == again
    assert [item.title for item in first] == [item.title for item in again]
    assert [item.title for item in first] != [item.title for item in other]
    assert {item.item_id for item in first} != {item.item_id for item in other}


def test_catalog_is_large_and_covers_every_type_and_marketplace(catalog: Catalog) -> None:
    assert len(catalog) >= 2000
    assert {item.truth.component_type for item in catalog} == set(ComponentType)
    assert {item.marketplace for item in catalog} == set(Marketplace)
    for item in catalog:
        assert item.currency == item.marketplace.currency
        assert len(item.title) <= 80
        assert re.fullmatch(r"v1\|\d{12}\|0", item.item_id)
        assert item.item_id == f"v1|{item.legacy_item_id}|0"
        assert 0 <= item.seller.feedback_score <= 100_000
        assert 90.0 <= float(item.seller.feedback_percentage) <= 100.0
        if item.truth.component_type is ComponentType.OTHER:
            assert item.truth.product_key is None
        else:
            key = item.truth.product_key
            assert key is not None
            assert key.startswith(item.truth.component_type.value + ":")
    assert len({item.item_id for item in catalog}) == len(catalog)
    assert len({item.seller.username for item in catalog}) >= 50
    assert {item.condition_id for item in catalog} == {1000, 1500, 2000, 2500, 3000, 7000}


def test_german_titles_appear_on_ebay_de_only(catalog: Catalog) -> None:
    def german(item: Listing) -> bool:
        return any(word in item.title for word in GERMAN)

    de = catalog.in_marketplace(Marketplace.EBAY_DE)
    assert sum(german(item) for item in de) > len(de) / 3
    assert any("Arbeitsspeicher" in item.title for item in de)
    assert any("Festplatte" in item.title for item in de)
    assert not any(german(item) for item in catalog.in_marketplace(Marketplace.EBAY_US))


def test_prices_follow_the_deal_class(catalog: Catalog) -> None:
    classes = {item.truth.deal_class for item in catalog}
    assert classes == set(DealClass)
    deals = 0
    for item in catalog:
        ratio = item.price / item.truth.quantity / item.truth.market_unit_price
        truth = item.truth.deal_class
        if truth is DealClass.DEAL:  # 40-70% under market (rounding can go a cent lower)
            deals += 1
            assert Decimal("0.29") <= ratio <= Decimal("0.60"), item
        elif truth is DealClass.OVERPRICED:
            assert ratio >= Decimal("1.29"), item
        elif truth is DealClass.MARKET and item.truth.market_unit_price >= 20:
            assert Decimal("0.80") <= ratio <= Decimal("1.15"), item
        if truth is DealClass.FOR_PARTS:
            assert item.condition_id == 7000
            assert "parts" in item.title.lower() or "defekt" in item.title, item.title
        else:
            assert item.condition_id != 7000
    # Real deals are rare: a few in a hundred listings (2.5% drawn), as on eBay.
    assert len(catalog) * 0.015 <= deals <= len(catalog) * 0.04


def test_accessories_named_after_products_are_other(catalog: Catalog) -> None:
    others = [item for item in catalog if item.truth.component_type is ComponentType.OTHER]
    assert any("R740xd" in item.title and "Backplane" in item.title for item in others)
    assert any("Rail" in item.title and "DL380" in item.title for item in others)
    assert any("Caddy" in item.title for item in others)
    servers = [item for item in catalog if item.truth.component_type is ComponentType.SERVER]
    assert not any("Backplane" in item.title or "Rail Kit" in item.title for item in servers)


def test_kits_and_lots_carry_their_quantity(catalog: Catalog) -> None:
    lots = [item for item in catalog if item.truth.quantity > 1]
    assert len(lots) > len(catalog) * 0.05
    assert {item.truth.component_type for item in lots} >= {
        ComponentType.RAM,
        ComponentType.DRIVE,
        ComponentType.CPU,
    }
    for item in lots:
        stated = {int(n) for n in re.findall(r"\d+", item.title)}
        pair = item.truth.quantity == 2 and ("Pair" in item.title or "Paar" in item.title)
        assert item.truth.quantity in stated or pair, item.title
    kits = [i for i in lots if re.search(r"\(\d+x\d+GB\)", i.title)]
    assert kits, "expected RAM kits written like 64GB (4x16GB)"


def test_timeline_has_future_ended_and_sold_listings(catalog: Catalog) -> None:
    upcoming = [item for item in catalog if item.listed_at > NOW]
    ended = [item for item in catalog if item.ended_at and item.ended_at <= NOW]
    early = [i for i in catalog if not i.is_auction and i.ended_at and i.ended_at > NOW]
    auctions = [item for item in catalog if item.is_auction]
    assert len(upcoming) > 100
    assert len(ended) > 100
    assert early
    assert all(item.sold for item in early)
    assert all(item.item_end_date == item.ended_at for item in auctions)
    assert any(item.sold for item in auctions)
    assert any(not item.sold for item in auctions)
    assert catalog.sold_by(NOW)
    assert all(item.listed_at < item.ended_at for item in ended if item.ended_at)


# --- OAuth ---------------------------------------------------------------------------------


async def test_token_is_issued_for_client_credentials(
    http: aiohttp.ClientSession, start_market: Factory
) -> None:
    market = await start_market(token_ttl_seconds=1234)
    form = {"grant_type": "client_credentials", "scope": API_SCOPE}
    async with http.post(url(market, TOKEN), data=form, headers={"Authorization": basic()}) as r:
        assert r.status == 200
        body = await r.json()
    assert body["expires_in"] == 1234
    assert body["token_type"] == "Application Access Token"
    status, _, _ = await call(http, market, SEARCH, body["access_token"], {"q": "ddr4"})
    assert status == 200


@pytest.mark.parametrize(
    ("headers", "form", "status", "error"),
    [
        ({"Authorization": basic(secret="wrong")}, {"grant_type": "client_credentials"}, 401,
         "invalid_client"),
        ({}, {"grant_type": "client_credentials", "scope": API_SCOPE}, 401, "invalid_client"),
        ({"Authorization": basic()}, {"grant_type": "password", "scope": API_SCOPE}, 400,
         "unsupported_grant_type"),
        ({"Authorization": basic()}, {"grant_type": "client_credentials", "scope": "x"}, 400,
         "invalid_scope"),
    ],
)  # fmt: skip
async def test_token_refusals(
    http: aiohttp.ClientSession,
    market: SandboxMarketplace,
    headers: dict[str, str],
    form: dict[str, str],
    status: int,
    error: str,
) -> None:
    async with http.post(url(market, TOKEN), data=form, headers=headers) as r:
        assert r.status == status
        body = await r.json()
    assert body["error"] == error
    assert body["error_description"]
    if error == "invalid_client":
        assert body["error_description"] == "client authentication failed"


async def test_api_calls_need_a_valid_bearer_token(
    http: aiohttp.ClientSession, market: SandboxMarketplace, clock: ManualClock
) -> None:
    status, body, _ = await call(http, market, SEARCH, None, {"q": "ddr4"})
    assert status == 401
    assert body["errors"][0]["domain"] == "OAuth"
    status, body, _ = await call(http, market, SEARCH, "not-a-token", {"q": "ddr4"})
    assert status == 401
    assert body["errors"][0]["errorId"] == 1001
    assert body["errors"][0]["message"] == "Invalid access token"

    token = await get_token(http, market)
    assert (await call(http, market, SEARCH, token, {"q": "ddr4"}))[0] == 200
    market.expire_all_tokens()
    status, body, _ = await call(http, market, SEARCH, token, {"q": "ddr4"})
    assert status == 401
    assert body["errors"][0]["errorId"] == 1001
    assert (await call(http, market, RATE_LIMIT, token))[0] == 401

    token = await get_token(http, market)
    clock.advance(timedelta(seconds=7200))  # the default TTL runs out
    assert (await call(http, market, SEARCH, token, {"q": "ddr4"}))[0] == 401


# --- Browse search -------------------------------------------------------------------------


async def test_paging_follows_next_until_exhausted_without_duplicates(
    http: aiohttp.ClientSession, market: SandboxMarketplace, catalog: Catalog
) -> None:
    token = await get_token(http, market)
    items, totals = await search_all(
        http, market, token, {"q": "DDR4", "limit": "23", "sort": "newlyListed"}
    )
    ids = [item["itemId"] for item in items]
    expected = {
        i.item_id
        for i in visible(catalog, NOW, Marketplace.EBAY_US)
        if "ddr4" in words(i.title) and by_default(i)
    }
    assert len(totals) > 3
    assert set(totals) == {len(expected)}
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected


async def test_every_query_word_must_be_in_the_title(
    http: aiohttp.ClientSession, market: SandboxMarketplace, catalog: Catalog
) -> None:
    token = await get_token(http, market)
    items, totals = await search_all(http, market, token, {"q": "32gb ddr4 ECC", "limit": "200"})
    expected = [
        i
        for i in visible(catalog, NOW, Marketplace.EBAY_US)
        if {"32gb", "ddr4", "ecc"} <= words(i.title) and by_default(i)
    ]
    assert items
    assert totals[0] == len(items) == len(expected)
    for item in items:
        assert {"32gb", "ddr4", "ecc"} <= words(item["title"])

    items, _ = await search_all(http, market, token, {"q": "(ddr3,ddr5) -lot", "limit": "200"})
    assert items
    for item in items:
        title = words(item["title"])
        assert title & {"ddr3", "ddr5"}
        assert "lot" not in title

    status, body, _ = await call(http, market, SEARCH, token, {"q": "zzzz-no-such-thing"})
    assert status == 200
    assert body["total"] == 0
    assert "itemSummaries" not in body


async def test_category_filter(
    http: aiohttp.ClientSession, market: SandboxMarketplace, catalog: Catalog
) -> None:
    token = await get_token(http, market)
    items, _ = await search_all(http, market, token, {"category_ids": "164", "limit": "200"})
    expected = [
        i
        for i in visible(catalog, NOW, Marketplace.EBAY_US)
        if i.category_id == "164" and by_default(i)
    ]
    assert len(items) == len(expected) > 0
    assert all(item["categories"][0]["categoryId"] == "164" for item in items)
    items, _ = await search_all(
        http, market, token, {"q": "Dell", "category_ids": "11211", "limit": "200"}
    )
    assert items
    assert all(item["categories"][0]["categoryId"] == "11211" for item in items)
    assert all("dell" in words(item["title"]) for item in items)


async def test_price_condition_and_buying_option_filters(
    http: aiohttp.ClientSession, market: SandboxMarketplace
) -> None:
    token = await get_token(http, market)
    params = {
        "q": "ddr4",
        "limit": "200",
        "filter": "price:[10..50],priceCurrency:USD,conditionIds:{1000|3000},"
        "buyingOptions:{FIXED_PRICE|AUCTION}",
    }
    items, _ = await search_all(http, market, token, params)
    assert items
    for item in items:
        assert 10 <= float(item["price"]["value"]) <= 50
        assert item["conditionId"] in {"1000", "3000"}
        assert set(item["buyingOptions"]) & {"FIXED_PRICE", "AUCTION"}

    auctions, _ = await search_all(
        http, market, token, {"category_ids": "170083", "filter": "buyingOptions:{AUCTION}"}
    )
    assert auctions
    assert all(item["buyingOptions"] == ["AUCTION"] for item in auctions)
    assert all(datetime.fromisoformat(item["itemEndDate"]) > NOW for item in auctions)

    cheap, _ = await search_all(
        http, market, token, {"q": "ddr4", "filter": "price:[..20],priceCurrency:USD"}
    )
    dear, _ = await search_all(
        http, market, token, {"q": "ddr4", "filter": "price:[500..],priceCurrency:USD"}
    )
    assert cheap
    assert all(float(i["price"]["value"]) <= 20 for i in cheap)
    assert dear
    assert all(float(i["price"]["value"]) >= 500 for i in dear)

    status, body, _ = await call(
        http, market, SEARCH, token, {"q": "ddr4", "filter": "price:[abc..]"}
    )
    assert status == 400
    assert body["errors"][0]["errorId"] == 12002


async def test_unknown_filters_and_sorts_are_ignored_with_warnings(
    http: aiohttp.ClientSession, market: SandboxMarketplace
) -> None:
    token = await get_token(http, market)
    _, plain, _ = await call(http, market, SEARCH, token, {"q": "ddr4"})
    params = {"q": "ddr4", "filter": "notAFilter:{x},price:[1..2]", "sort": "cheapest"}
    status, body, _ = await call(http, market, SEARCH, token, params)
    assert status == 200
    assert body["total"] == plain["total"]
    assert {w["errorId"] for w in body["warnings"]} == {12002, 12008}


async def test_currency_and_domain_follow_the_marketplace_header(
    http: aiohttp.ClientSession, market: SandboxMarketplace
) -> None:
    token = await get_token(http, market)
    domains = {"EBAY_GB": "ebay.co.uk", "EBAY_DE": "ebay.de", "EBAY_AU": "ebay.com.au"}
    currencies = {"EBAY_GB": "GBP", "EBAY_DE": "EUR", "EBAY_AU": "AUD"}
    for marketplace, currency in currencies.items():
        status, body, _ = await call(
            http, market, SEARCH, token, {"q": "ddr4", "limit": "100"}, marketplace
        )
        assert status == 200
        assert body["itemSummaries"]
        for item in body["itemSummaries"]:
            assert item["price"]["currency"] == currency
            assert f"www.{domains[marketplace]}/itm/" in item["itemWebUrl"]
            assert item["listingMarketplaceId"] == marketplace
    params = {"q": "ddr4", "filter": "price:[10..50],priceCurrency:USD"}
    status, body, _ = await call(http, market, SEARCH, token, params, "EBAY_GB")
    assert status == 400
    assert body["errors"][0]["errorId"] == 12012
    status, body, _ = await call(http, market, SEARCH, token, {"q": "ddr4"}, "EBAY_XX")
    assert status == 400
    assert body["errors"][0]["errorId"] == 12019


async def test_sorts(http: aiohttp.ClientSession, market: SandboxMarketplace) -> None:
    token = await get_token(http, market)
    base = {"category_ids": "170083", "limit": "200"}
    _, newest, _ = await call(http, market, SEARCH, token, {**base, "sort": "newlyListed"})
    created = [datetime.fromisoformat(i["itemCreationDate"]) for i in newest["itemSummaries"]]
    assert created == sorted(created, reverse=True)
    assert created[0] <= NOW

    def cost(item: dict[str, Any]) -> Decimal:
        shipping = item.get("shippingOptions", [{}])[0].get("shippingCost", {"value": "0"})
        return Decimal(item["price"]["value"]) + Decimal(shipping["value"])

    _, cheap, _ = await call(http, market, SEARCH, token, {**base, "sort": "price"})
    _, dear, _ = await call(http, market, SEARCH, token, {**base, "sort": "-price"})
    up = [cost(i) for i in cheap["itemSummaries"]]
    down = [cost(i) for i in dear["itemSummaries"]]
    assert up == sorted(up)
    assert down == sorted(down, reverse=True)
    assert up[0] < down[0]

    _, best, _ = await call(http, market, SEARCH, token, base)
    _, again, _ = await call(http, market, SEARCH, token, base)
    order = [i["itemId"] for i in best["itemSummaries"]]
    assert order == [i["itemId"] for i in again["itemSummaries"]]
    assert order != [i["itemId"] for i in newest["itemSummaries"]]


async def test_listings_appear_and_end_as_the_clock_advances(
    http: aiohttp.ClientSession, start_market: Factory, catalog: Catalog, clock: ManualClock
) -> None:
    market = await start_market(token_ttl_seconds=30 * 86400)
    token = await get_token(http, market)
    us = catalog.in_marketplace(Marketplace.EBAY_US)
    coming = min((i for i in us if i.listed_at > NOW), key=lambda i: i.listed_at)
    params = {
        "category_ids": coming.category_id,
        "sort": "newlyListed",
        "limit": "200",
        "filter": "buyingOptions:{FIXED_PRICE|AUCTION}",  # auctions too: the default hides them
    }
    _, before, _ = await call(http, market, SEARCH, token, params)
    assert coming.item_id not in {i["itemId"] for i in before.get("itemSummaries", [])}

    clock.set(coming.listed_at)
    _, after, _ = await call(http, market, SEARCH, token, params)
    assert after["itemSummaries"][0]["itemId"] == coming.item_id
    shown = visible(catalog, coming.listed_at, Marketplace.EBAY_US)
    assert after["total"] == sum(i.category_id == coming.category_id for i in shown)

    ending = min(
        (i for i in shown if i.ended_at is not None and i.category_id == coming.category_id),
        key=lambda i: i.ended_at or NOW,
    )
    clock.set(ending.ended_at or NOW)
    items, _ = await search_all(http, market, token, params)
    assert ending.item_id not in {i["itemId"] for i in items}


@pytest.mark.parametrize(
    ("params", "error_id"),
    [
        ({"q": "ddr4", "limit": "201"}, 12006),
        ({"q": "ddr4", "limit": "0"}, 12006),
        ({"q": "ddr4", "limit": "ten"}, 12007),
        ({"q": "ddr4", "offset": "-1"}, 12004),
        ({"q": "ddr4", "offset": "10000"}, 12029),
        ({"limit": "10"}, 12001),
        ({"q": "ddr4", "category_ids": "abc"}, 12009),
    ],
)
async def test_invalid_parameters_are_refused(
    http: aiohttp.ClientSession,
    market: SandboxMarketplace,
    params: dict[str, str],
    error_id: int,
) -> None:
    token = await get_token(http, market)
    status, body, _ = await call(http, market, SEARCH, token, params)
    assert status == 400
    assert body["errors"][0]["errorId"] == error_id
    assert body["errors"][0]["message"]


# --- rate limits and the daily limit --------------------------------------------------------


async def test_rate_limit_view_counts_search_calls(
    http: aiohttp.ClientSession, start_market: Factory
) -> None:
    market = await start_market(daily_limit=100)
    token = await get_token(http, market)
    await call(http, market, SEARCH, token, {"q": "ddr4"})
    await call(http, market, SEARCH, token, {"q": "ddr5"})
    await call(http, market, SEARCH, token, {"q": "ddr4", "limit": "500"})  # a failed call
    params = {"api_context": "buy", "api_name": "browse"}
    status, body, _ = await call(http, market, RATE_LIMIT, token, params)
    assert status == 200
    api = body["rateLimits"][0]
    assert (api["apiContext"], api["apiName"]) == ("buy", "Browse")
    resource = next(r for r in api["resources"] if r["name"] == "buy.browse")
    rate = resource["rates"][0]
    assert (rate["count"], rate["limit"], rate["remaining"]) == (3, 100, 97)
    assert rate["timeWindow"] == 86400
    assert rate["reset"] == "2026-03-03T08:00:00.000Z"
    assert (await call(http, market, RATE_LIMIT, None, params))[0] == 401


async def test_daily_limit_answers_429_until_the_window_resets(
    http: aiohttp.ClientSession, start_market: Factory, clock: ManualClock
) -> None:
    market = await start_market(daily_limit=3, token_ttl_seconds=10**6)
    token = await get_token(http, market)
    for _ in range(3):
        assert (await call(http, market, SEARCH, token, {"q": "ddr4"}))[0] == 200
    status, body, headers = await call(http, market, SEARCH, token, {"q": "ddr4"})
    assert status == 429
    assert body["errors"][0]["errorId"] == 2001
    assert body["errors"][0]["message"] == "Too many requests"
    reset = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    assert int(headers["Retry-After"]) == int((reset - NOW).total_seconds())
    _, view, _ = await call(http, market, RATE_LIMIT, token)
    assert view["rateLimits"][0]["resources"][0]["rates"][0]["remaining"] == 0

    clock.set(reset - timedelta(seconds=1))
    assert (await call(http, market, SEARCH, token, {"q": "ddr4"}))[0] == 429
    clock.set(reset)
    assert (await call(http, market, SEARCH, token, {"q": "ddr4"}))[0] == 200


# --- Marketplace Insights -------------------------------------------------------------------


async def test_insights_returns_sold_items(
    http: aiohttp.ClientSession, start_market: Factory, catalog: Catalog
) -> None:
    market = await start_market(granted_scopes={API_SCOPE, INSIGHTS_SCOPE})
    token = await get_token(http, market, f"{API_SCOPE} {INSIGHTS_SCOPE}")
    params = {"category_ids": "170083", "limit": "10"}
    status, body, _ = await call(http, market, SALES, token, params)
    assert status == 200
    sold = {
        i.item_id: i
        for i in catalog.sold_by(NOW, Marketplace.EBAY_US)
        if i.category_id == "170083" and i.ended_at and NOW - i.ended_at < timedelta(days=90)
    }
    assert body["total"] == len(sold) > 0
    assert "next" in body
    assert body["next"].startswith(url(market, SALES))
    dates = [datetime.fromisoformat(s["lastSoldDate"]) for s in body["itemSales"]]
    assert dates == sorted(dates, reverse=True)
    for sale in body["itemSales"]:
        listing = sold[sale["itemId"]]
        assert Decimal(sale["lastSoldPrice"]["value"]) == listing.sold_price
        assert sale["lastSoldPrice"]["currency"] == "USD"
        assert sale["totalSoldQuantity"] >= 1
        assert sale["title"] == listing.title
        assert {"condition", "conditionId", "itemWebUrl", "image", "seller"} <= sale.keys()


async def test_insights_needs_its_scope_and_can_be_disabled(
    http: aiohttp.ClientSession, start_market: Factory
) -> None:
    market = await start_market(granted_scopes={API_SCOPE, INSIGHTS_SCOPE})
    browse_only = await get_token(http, market)
    status, body, _ = await call(http, market, SALES, browse_only, {"q": "ddr4"})
    assert status == 403
    assert body["errors"][0]["errorId"] == 1100

    disabled = await start_market(
        insights_enabled=False, granted_scopes={API_SCOPE, INSIGHTS_SCOPE}
    )
    token = await get_token(http, disabled, f"{API_SCOPE} {INSIGHTS_SCOPE}")
    status, body, _ = await call(http, disabled, SALES, token, {"q": "ddr4"})
    assert status == 403
    assert "not enabled" in body["errors"][0]["longMessage"]


# --- faults ----------------------------------------------------------------------------------


async def test_fail_next_answers_the_status_with_an_error_envelope(
    http: aiohttp.ClientSession, market: SandboxMarketplace
) -> None:
    token = await get_token(http, market)
    market.faults.fail_next(2, status=503, endpoint=Endpoint.SEARCH)
    statuses = []
    for _ in range(3):
        status, body, _ = await call(http, market, SEARCH, token, {"q": "ddr4"})
        statuses.append(status)
        if status != 200:
            assert body["errors"][0]["errorId"] == 12000
    assert statuses == [503, 503, 200]
    assert market.stats.count(Endpoint.SEARCH, 503) == 2
    assert market.stats.count(Endpoint.SEARCH) == 3
    assert market.stats.count(Endpoint.TOKEN, 200) == 1

    market.faults.fail_next(1, status=400)  # any endpoint: the token request takes it
    form = {"grant_type": "client_credentials", "scope": API_SCOPE}
    async with http.post(url(market, TOKEN), data=form, headers={"Authorization": basic()}) as r:
        assert r.status == 400
    assert market.stats.snapshot()[Endpoint.TOKEN] == {200: 1, 400: 1}


async def test_throttle_next_answers_429_with_retry_after(
    http: aiohttp.ClientSession, market: SandboxMarketplace
) -> None:
    token = await get_token(http, market)
    market.throttle_next(1, retry_after=7)
    status, body, headers = await call(http, market, SEARCH, token, {"q": "ddr4"})
    assert status == 429
    assert headers["Retry-After"] == "7"
    assert body["errors"][0]["errorId"] == 2001
    assert (await call(http, market, SEARCH, token, {"q": "ddr4"}))[0] == 200


async def test_malform_next_serves_truncated_json(
    http: aiohttp.ClientSession, market: SandboxMarketplace
) -> None:
    token = await get_token(http, market)
    market.faults.malform_next(1, endpoint=Endpoint.SEARCH)
    headers = {"Authorization": f"Bearer {token}"}
    async with http.get(url(market, SEARCH), params={"q": "ddr4"}, headers=headers) as r:
        assert r.status == 200
        assert r.content_type == "application/json"
        text = await r.text()
    assert text.startswith("{")
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert (await call(http, market, SEARCH, token, {"q": "ddr4"}))[0] == 200


async def test_error_rate_is_seeded_and_clear_faults_stops_it(
    http: aiohttp.ClientSession, start_market: Factory
) -> None:
    async def statuses(market: SandboxMarketplace, token: str) -> list[int]:
        return [(await call(http, market, SEARCH, token, {"q": "ddr4"}))[0] for _ in range(12)]

    runs = []
    for _ in range(2):
        market = await start_market(fault_seed=42)
        token = await get_token(http, market)
        market.faults.set_error_rate(0.5, Endpoint.SEARCH)
        runs.append(await statuses(market, token))
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500}

    market.clear_faults()
    assert set(await statuses(market, token)) == {200}


async def test_latency_delays_responses(
    http: aiohttp.ClientSession, market: SandboxMarketplace
) -> None:
    token = await get_token(http, market)
    market.faults.set_latency(0.3, Endpoint.SEARCH)
    started = time.monotonic()
    assert (await call(http, market, SEARCH, token, {"q": "ddr4"}))[0] == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await get_token(http, market)  # another endpoint is not delayed
    assert time.monotonic() - started < 0.3


# --- running it -------------------------------------------------------------------------------


async def test_serve_forever_prints_url_and_credentials_until_cancelled() -> None:
    lines: list[str] = []
    task = asyncio.create_task(serve_forever(port=0, size=300, out=lines.append))
    for _ in range(200):
        if len(lines) >= 4:
            break
        await asyncio.sleep(0.02)
    found = re.search(r"http://127\.0\.0\.1:\d+", lines[0])
    assert found is not None
    base = found.group(0)
    assert f"EBAY_CLIENT_ID={DEFAULT_CLIENT_ID}" in [line.strip() for line in lines]
    assert f"EBAY_CLIENT_SECRET={DEFAULT_CLIENT_SECRET}" in [line.strip() for line in lines]
    async with aiohttp.ClientSession() as http:
        form = {"grant_type": "client_credentials", "scope": API_SCOPE}
        async with http.post(base + TOKEN, data=form, headers={"Authorization": basic()}) as r:
            assert r.status == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.post(base + TOKEN)


def test_manual_clock_only_moves_forward() -> None:
    clock = ManualClock(NOW)
    assert clock.advance(90) == NOW + timedelta(seconds=90)
    with pytest.raises(ValueError):
        clock.advance(-1)
