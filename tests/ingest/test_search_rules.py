"""The client sends what eBay's Browse documentation says eBay accepts, and runs watches
the way a user expects within those rules (the sandbox enforces them: see
`tests/marketplace/test_sandbox_strict.py`)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from core.jobs.ingest import search_categories, search_request
from core.marketplace.client import DEFAULT_BUYING_OPTIONS, EbayClient, SearchRequest
from core.models import BuyingOption, Marketplace
from core.settings import load_settings
from core.watches import Watch, unsaved
from sandbox import Endpoint, Listing
from sandbox.products import category_subtree
from tests.ingest.conftest import NOW, Env


def words(title: str) -> set[str]:
    return set(re.findall(r"\w+", title.lower()))


def visible(env: Env, market: Marketplace = Marketplace.EBAY_US) -> list[Listing]:
    return env.sandbox.catalog.visible_at(env.clock(), market)


async def stored(env: Env) -> list[dict[str, Any]]:
    return [dict(r) for r in await env.pool.fetch("SELECT * FROM listings")]


# --- buying options ---------------------------------------------------------------------------
# Browse: "Only FIXED_PRICE (Buy It Now) items are returned by default."
# https://developer.ebay.com/api-docs/buy/browse/resources/item_summary/methods/search


async def test_a_watch_naming_no_buying_options_asks_for_fixed_price_and_auctions(
    env: Env,
) -> None:
    env.configure("ebay.page_size=50", "ebay.sweep_max_pages=20")
    watch = await env.watch(query="DDR4", marketplace="EBAY_US")
    assert watch.buying_options == []
    result = await env.ingestor().run_watch(watch)
    assert result.error is None
    assert result.complete
    expected = {x.item_id for x in visible(env) if "ddr4" in words(x.title)}
    auctions = {x.item_id for x in visible(env) if "ddr4" in words(x.title) and x.is_auction}
    assert auctions, "the catalog has DDR4 auctions"
    rows = await stored(env)
    assert auctions <= {r["item_id"] for r in rows if "AUCTION" in r["buying_options"]}
    assert {r["item_id"] for r in rows} == expected
    sent = search_request(watch, env.settings, 0).params()["filter"]
    assert sent == "buyingOptions:{FIXED_PRICE|AUCTION}"


@pytest.mark.parametrize(
    ("options", "sent"),
    [
        (["AUCTION"], "buyingOptions:{AUCTION}"),
        (["BEST_OFFER"], "buyingOptions:{BEST_OFFER}"),
        (["FIXED_PRICE", "BEST_OFFER"], "buyingOptions:{FIXED_PRICE|BEST_OFFER}"),
    ],
)
async def test_a_watch_naming_buying_options_sends_exactly_those(
    env: Env, options: list[str], sent: str
) -> None:
    env.configure("ebay.page_size=50", "ebay.sweep_max_pages=20")
    watch = await env.watch(query="DDR4", marketplace="EBAY_US", buying_options=options)
    assert search_request(watch, env.settings, 0).params()["filter"] == sent
    result = await env.ingestor().run_watch(watch)
    assert result.error is None
    rows = await stored(env)
    assert rows
    # "Only items offering the specified buying formats are returned" (any of them).
    # https://developer.ebay.com/api-docs/buy/static/ref-buy-browse-filters.html
    assert all(set(r["buying_options"]) & set(options) for r in rows)


async def test_insights_requests_never_carry_best_offer(env: Env) -> None:
    # BEST_OFFER "is not supported in the Marketplace Insights API".
    # https://developer.ebay.com/api-docs/buy/static/ref-buy-browse-filters.html
    sent: list[dict[str, str]] = []

    async def capture(path: str, params: dict[str, str], *_: Any) -> dict[str, Any]:
        sent.append(params)
        return {"itemSales": [], "total": 0}

    base = env.client
    client = EbayClient(base.session, base.settings, base.policy, base.tokens, base.bucket)
    client._get_json = capture  # type: ignore[method-assign, assignment]
    for options in (("BEST_OFFER",), ("FIXED_PRICE", "BEST_OFFER")):
        await client.sales(SearchRequest(Marketplace.EBAY_US, "DDR4", buying_options=options))
    assert [p["filter"] for p in sent] == [
        "buyingOptions:{FIXED_PRICE|AUCTION}",
        "buyingOptions:{FIXED_PRICE}",
    ]


# --- one category per request ------------------------------------------------------------------
# category_ids: "Note: Currently, you can pass in only one category ID per request."
# https://developer.ebay.com/api-docs/buy/browse/resources/item_summary/methods/search


def test_a_request_holds_at_most_one_category() -> None:
    with pytest.raises(ValueError, match="one category id per request"):
        SearchRequest(Marketplace.EBAY_US, "dell", category_ids=("11211", "1244"))
    assert (
        SearchRequest(Marketplace.EBAY_US, "", category_ids=("11211",)).params()["category_ids"]
        == "11211"
    )


async def test_a_watch_with_several_categories_runs_one_search_per_category(env: Env) -> None:
    env.configure("ebay.page_size=50", "ebay.sweep_max_pages=20")
    watch = await env.watch(query="(ddr4,xeon)", category_ids=["170083", "164"])
    assert search_categories(watch) == ["170083", "164"]
    for category in watch.category_ids:
        params = search_request(watch, env.settings, 0, category).params()
        assert params["category_ids"] == category
    result = await env.ingestor().run_watch(watch)
    assert result.error is None
    assert result.complete
    expected = {
        x.item_id
        for x in visible(env)
        if x.category_id in {"170083", "164"} and words(x.title) & {"ddr4", "xeon"}
    }
    rows = await stored(env)
    assert {r["category_ids"][0] for r in rows} == {"170083", "164"}
    assert {r["item_id"] for r in rows} == expected
    # every page of both searches went out and was counted against the daily budget
    assert env.sandbox.stats.count(Endpoint.SEARCH, 200) == result.pages
    assert env.client.budget is not None
    state = await env.client.budget.state()
    assert state.used == result.pages >= 2


async def test_categories_overlapping_in_the_tree_store_each_listing_once(env: Env) -> None:
    # 58058 (Computers/Tablets & Networking) holds 11211 (servers): a Dell server is found
    # by both searches and counted once.
    env.configure("ebay.page_size=50", "ebay.sweep_max_pages=20")
    watch = await env.watch(query="Dell", category_ids=["11211", "58058"])
    result = await env.ingestor().run_watch(watch)
    assert result.error is None
    both = {
        x.item_id
        for x in visible(env)
        if "dell" in words(x.title) and x.category_id in category_subtree("58058")
    }
    servers = {
        x.item_id for x in visible(env) if "dell" in words(x.title) and x.category_id == "11211"
    }
    assert servers
    assert servers < both
    assert {r["item_id"] for r in await stored(env)} == both
    assert result.outcome.seen == result.outcome.new == len(both)


async def test_the_early_stop_applies_to_each_category(env: Env) -> None:
    env.configure(
        "ebay.page_size=5", "ebay.max_pages_per_run=3", "schedule.sweep_interval_hours=700"
    )
    watch = await env.watch(query="(ddr4,xeon)", category_ids=["170083", "164"])
    await env.pool.execute("UPDATE watches SET last_sweep_at = $1 WHERE id = $2", NOW, watch.id)
    watch = await env.watches.get(None, watch.id)
    first = await env.ingestor().run_watch(watch)
    assert (first.pages, first.outcome.new) == (6, 30)  # each category up to its cap
    again = await env.ingestor().run_watch(watch)
    assert (again.pages, again.outcome.new) == (2, 0)  # each stops at its first known page


async def test_a_watch_without_categories_makes_one_uncategorised_search(env: Env) -> None:
    watch = await env.watch(query="DDR4")
    assert search_categories(watch) == [None]
    assert "category_ids" not in search_request(watch, env.settings, 0).params()


# --- prices ------------------------------------------------------------------------------------
# Filter bounds are plain amounts, `price:[10..50]` with `priceCurrency`.
# https://developer.ebay.com/api-docs/buy/static/ref-buy-browse-filters.html


def test_a_validated_watch_can_hold_a_price_in_exponent_form() -> None:
    fields = {"name": "x", "query": "ddr4", "component_type": "ram", "max_price": Decimal("1E+2")}
    watch = unsaved(fields, load_settings(None, None, {}).settings, NOW)
    assert str(watch.max_price) == "1E+2"  # what f"{price}" used to send


def test_price_bounds_are_plain_decimals_with_cents() -> None:
    request = SearchRequest(
        Marketplace.EBAY_GB, "ddr4", min_price=Decimal("0.5E+1"), max_price=Decimal("1E+2")
    )
    assert request.filter_expression() == (
        "price:[5.00..100.00],priceCurrency:GBP,buyingOptions:{FIXED_PRICE|AUCTION}"
    )
    # Prices are whole cents: a minimum rounds up, a maximum down, keeping the same listings.
    odd = SearchRequest(
        Marketplace.EBAY_US, "ddr4", min_price=Decimal("9.001"), max_price=Decimal("100.009")
    )
    assert odd.params()["filter"].startswith("price:[9.01..100.00],priceCurrency:USD,")
    assert (
        SearchRequest(Marketplace.EBAY_US, "x", max_price=Decimal("100.000"))
        .params()["filter"]
        .startswith("price:[..100.00],")
    )


async def test_a_watch_with_an_exponent_max_price_runs(env: Env) -> None:
    env.configure("ebay.page_size=50", "ebay.sweep_max_pages=20")
    stored_watch = await env.watch(query="DDR4", max_price="100")
    watch = Watch.model_validate(
        {**stored_watch.model_dump(), "max_price": Decimal("1E+2"), "min_price": Decimal("2E+1")}
    )
    assert (str(watch.min_price), str(watch.max_price)) == ("2E+1", "1E+2")
    result = await env.ingestor().run_watch(watch)
    assert result.error is None
    rows = await stored(env)
    assert rows
    assert all(Decimal(20) <= r["price"] <= Decimal(100) for r in rows)
    sent = search_request(watch, env.settings, 0).params()["filter"]
    assert sent.startswith("price:[20.00..100.00],priceCurrency:USD,")


def test_default_buying_options_are_fixed_price_and_auction() -> None:
    assert DEFAULT_BUYING_OPTIONS == (BuyingOption.FIXED_PRICE, BuyingOption.AUCTION)
