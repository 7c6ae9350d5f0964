"""The sandbox refuses, or narrows, what eBay's Browse documentation says eBay does.

Each rule cites the page it comes from. Where the fake and the documentation disagreed,
the fake was made stricter; `tests/ingest/test_search_rules.py` shows the client now sends
what eBay accepts.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from core.models import Marketplace
from sandbox import (
    API_SCOPE,
    Catalog,
    Listing,
    SandboxMarketplace,
    build_catalog,
)
from sandbox.products import CATEGORY_CHILDREN, category_subtree
from tests.clock import ManualClock
from tests.marketplace.test_sandbox import NOW, SEARCH, TOKEN, basic

SEARCH_DOC = "https://developer.ebay.com/api-docs/buy/browse/resources/item_summary/methods/search"
FILTERS_DOC = "https://developer.ebay.com/api-docs/buy/static/ref-buy-browse-filters.html"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog(seed=7, now=NOW)


@pytest.fixture
async def market(catalog: Catalog) -> AsyncIterator[SandboxMarketplace]:
    async with SandboxMarketplace(catalog, clock=ManualClock(NOW)) as market:
        yield market


class Browse:
    """Browse search calls with one token."""

    def __init__(self, http: aiohttp.ClientSession, base: str, token: str) -> None:
        self._http, self._base, self._token = http, base, token

    async def __call__(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self._token}"}
        async with self._http.get(self._base + SEARCH, params=params, headers=headers) as r:
            return r.status, json.loads(await r.text())

    async def every(self, params: dict[str, str]) -> list[dict[str, Any]]:
        """All items of a search, page by page."""
        items: list[dict[str, Any]] = []
        offset = 0
        while True:
            status, body = await self({**params, "limit": "200", "offset": str(offset)})
            assert status == 200, body
            items.extend(body.get("itemSummaries", []))
            if "next" not in body:
                return items
            offset += 200


@pytest.fixture
async def search(market: SandboxMarketplace) -> AsyncIterator[Browse]:
    assert market.base_url is not None
    async with aiohttp.ClientSession() as http:
        form = {"grant_type": "client_credentials", "scope": API_SCOPE}
        headers = {"Authorization": basic()}
        async with http.post(market.base_url + TOKEN, data=form, headers=headers) as r:
            assert r.status == 200, await r.text()
            token = (await r.json())["access_token"]
        yield Browse(http, market.base_url, token)


def us(catalog: Catalog) -> list[Listing]:
    return catalog.visible_at(NOW, Marketplace.EBAY_US)


def in_category(listing: Listing, category: str) -> bool:
    return listing.category_id in category_subtree(category)


# --- buying options: SEARCH_DOC "Only FIXED_PRICE (Buy It Now) items are returned by default"


async def test_without_a_buying_options_filter_only_fixed_price_items_come_back(
    search: Browse, catalog: Catalog
) -> None:
    # SEARCH_DOC: "Only FIXED_PRICE (Buy It Now) items are returned by default. However,
    # this method does return items where both FIXED_PRICE and AUCTION are available".
    items = await search.every({"category_ids": "170083"})
    expected = [
        x for x in us(catalog) if x.category_id == "170083" and "FIXED_PRICE" in x.buying_options
    ]
    assert len(items) == len(expected) > 0
    assert all("FIXED_PRICE" in item["buyingOptions"] for item in items)
    auctions = [x for x in us(catalog) if x.category_id == "170083" and x.is_auction]
    assert auctions, "the catalog has RAM auctions the default hides"
    shown = {item["itemId"] for item in items}
    assert not shown & {x.item_id for x in auctions}

    both = await search.every(
        {"category_ids": "170083", "filter": "buyingOptions:{FIXED_PRICE|AUCTION}"}
    )
    assert len(both) == len(expected) + len(auctions)


async def test_best_offer_finds_the_items_that_take_offers(
    search: Browse, catalog: Catalog
) -> None:
    # FILTERS_DOC, buyingOptions: "Only items offering the specified buying formats are
    # returned"; BEST_OFFER: "Items where the buyer can send the seller a price".
    items = await search.every({"category_ids": "58058", "filter": "buyingOptions:{BEST_OFFER}"})
    expected = {x.item_id for x in us(catalog) if "BEST_OFFER" in x.buying_options}
    assert {item["itemId"] for item in items} == expected
    assert expected
    fixed = await search.every({"category_ids": "58058", "filter": "buyingOptions:{FIXED_PRICE}"})
    assert expected <= {item["itemId"] for item in fixed}  # fixed price with offers is both
    auctions = await search.every({"category_ids": "58058", "filter": "buyingOptions:{AUCTION}"})
    assert auctions
    assert all(item["buyingOptions"] == ["AUCTION"] for item in auctions)


# --- categories: SEARCH_DOC, category_ids "only one category ID per request" ----------------


@pytest.mark.parametrize("ids", ["11211,1244", "170083,164,27386", "164,164"])
async def test_more_than_one_category_id_is_refused_with_12009(search: Browse, ids: str) -> None:
    # SEARCH_DOC, category_ids: "Note: Currently, you can pass in only one category ID per
    # request." eBay's error for the parameter is 12009 in its errors envelope.
    status, body = await search({"q": "dell", "category_ids": ids})
    assert status == 400
    (error,) = body["errors"]
    assert error["errorId"] == 12009
    assert (error["domain"], error["category"]) == ("API_BROWSE", "REQUEST")
    assert error["message"] == "The 'category_ids' query parameter is invalid."
    assert "only one category ID" in error["longMessage"]
    assert error["parameters"] == [{"name": "category_ids", "value": ids}]


async def test_a_category_search_includes_its_sub_categories(
    search: Browse, catalog: Catalog
) -> None:
    # Categories form a tree (https://developer.ebay.com/api-docs/buy/buy-categories.html):
    # no listing is filed under "Computer Components & Parts" itself, its children hold them.
    assert not [x for x in us(catalog) if x.category_id == "175673"]
    items = await search.every({"category_ids": "175673", "filter": "buyingOptions:{AUCTION}"})
    expected = {x.item_id for x in us(catalog) if in_category(x, "175673") and x.is_auction}
    assert {item["itemId"] for item in items} == expected
    assert {item["categories"][0]["categoryId"] for item in items} == set(
        CATEGORY_CHILDREN["175673"]
    )
    top = await search.every({"category_ids": "58058", "filter": "buyingOptions:{AUCTION}"})
    assert {item["itemId"] for item in top} == {x.item_id for x in us(catalog) if x.is_auction}


# --- prices: FILTERS_DOC writes bounds as plain amounts, `price:[10..50]` -----------------------


@pytest.mark.parametrize(
    "price",
    ["[..1E+2]", "[1e2..]", "[10..100.000]", "[0.5E+1..100]", "[.5..10]", "[-1..10]", "[1_000..]"],
)
async def test_price_bounds_other_than_plain_decimals_are_refused(
    search: Browse, price: str
) -> None:
    status, body = await search({"q": "ddr4", "filter": f"price:{price},priceCurrency:USD"})
    assert status == 400
    (error,) = body["errors"]
    assert error["errorId"] == 12002
    assert error["parameters"] == [{"name": "filter", "value": f"price:{price}"}]


@pytest.mark.parametrize("price", ["[10..100]", "[10.5..100.00]", "[10]", "[..99.9]"])
async def test_plain_decimal_price_bounds_are_accepted(search: Browse, price: str) -> None:
    status, body = await search({"q": "ddr4", "filter": f"price:{price},priceCurrency:USD"})
    assert status == 200, body
    low, _, high = price.strip("[]").partition("..")
    for item in body.get("itemSummaries", []):
        value = float(item["price"]["value"])
        assert not low or value >= float(low)
        assert not high or value <= float(high)
