"""Listing views against real PostgreSQL: guild scope, ranking, search, detail, references."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.browse import BrowseError, ListingBrowser, ListingNotFoundError, component_type, money
from core.db.pool import Pool
from core.marketplace.urls import ListingRefError, parse_listing_ref
from core.models import ComponentType, Marketplace
from core.settings import load_settings
from tests.alerts.test_alerts_db import SMALL_MARKET, Pipeline
from tests.pricing.test_baselines import NOW

GUILD, OTHER = 111, 222


class Scene:
    """Two guilds' watches over one market of DDR4 listings, scored."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.p = Pipeline(pool, SMALL_MARKET)
        settings = load_settings(None, None, {}).settings
        self.browser = ListingBrowser(pool, lambda: settings, self.p.clock)

    async def build(self) -> None:
        self.mine = await self.p.watch(name="mine", guild_id=GUILD)
        self.theirs = await self.p.watch(name="theirs", guild_id=OTHER)
        self.local = await self.p.watch(name="local")
        self.prices = {}
        for n, price in enumerate(range(100, 220, 10)):
            listing = await self.p.market.listing(str(price), seen=NOW - timedelta(hours=1))
            await self.pool.execute(
                "UPDATE listings SET title = $2, legacy_item_id = $3, url = $4 WHERE id = $1",
                listing, f"Samsung 32GB DDR4 RDIMM lot_{n} 100%", str(110000000000 + n),
                f"https://www.ebay.com/itm/{110000000000 + n}",
            )  # fmt: skip
            self.prices[listing] = price
            await self.p.found(self.mine, listing)
        self.secret = await self.p.market.listing("15", seen=NOW - timedelta(hours=1))
        await self.pool.execute(
            "UPDATE listings SET title = 'Secret DDR4 bargain', legacy_item_id = '119999999999' "
            "WHERE id = $1",
            self.secret,
        )
        await self.p.found(self.theirs, self.secret)
        await self.pool.execute(
            "INSERT INTO listing_prices (listing_id, observed_at, price, shipping) "
            "SELECT id, $1, price + 20, shipping FROM listings",
            NOW - timedelta(days=2),
        )
        await self.p.baselines.refresh()


@pytest.fixture
async def scene(pool: Pool) -> Scene:
    built = Scene(pool)
    await built.build()
    return built


async def test_top_shows_a_guild_only_what_its_watches_found(scene: Scene) -> None:
    mine = await scene.browser.top(GUILD)
    assert {i.listing_id for i in mine} == set(scene.prices)
    assert scene.secret not in {i.listing_id for i in mine}
    theirs = await scene.browser.top(OTHER)
    assert [i.listing_id for i in theirs] == [scene.secret]
    assert await scene.browser.top(None) == []  # the local scope's watch found nothing
    scores = [i.score or 0.0 for i in mine]
    assert scores == sorted(scores, reverse=True)
    assert mine[0].unit_price == Decimal("100.00")  # the cheapest is the best deal


async def test_listings_link_the_item_without_ebays_tracking_parameters(scene: Scene) -> None:
    tracked = ("https://www.ebay.com/itm/110000000001?_skw=ddr4&hash=item19a3c1b2d4:g:AbCdEf"
               "&amdata=enc%3AAQAHAAAA4B" + "x" * 300)  # fmt: skip
    listing, other = list(scene.prices)[:2]
    await scene.pool.execute("UPDATE listings SET url = $1 WHERE id = ANY($2::bigint[])",
                             tracked, [listing, other])  # fmt: skip
    await scene.pool.execute("UPDATE listings SET legacy_item_id = NULL WHERE id = $1", other)
    shown = {i.listing_id: i.url for i in await scene.browser.top(GUILD)}
    # The /itm/{legacyItemId} link alerts use (core.marketplace.urls.item_url) ...
    assert shown[listing] == "https://www.ebay.com/itm/110000000000"
    # ... and without a legacy id, eBay's own link without its tracking parameters.
    assert shown[other] == "https://www.ebay.com/itm/110000000001"


async def test_top_filters_by_watch_type_and_product_key(scene: Scene) -> None:
    assert len(await scene.browser.top(GUILD, watch_id=scene.mine)) == len(scene.prices)
    assert await scene.browser.top(GUILD, watch_id=scene.theirs) == []  # not this guild's
    assert await scene.browser.top(GUILD, kind=ComponentType.GPU) == []
    by_type = await scene.browser.top(GUILD, kind=ComponentType.RAM)
    assert len(by_type) == len(scene.prices)
    by_key = await scene.browser.top(GUILD, product_key=" RAM:DDR4:ECC_REG:32GB:2666 ")
    assert len(by_key) == len(scene.prices)
    assert await scene.browser.top(GUILD, product_key="ram:ddr5:x") == []


async def test_search_needs_every_word_in_any_case_and_takes_wildcards_literally(
    scene: Scene,
) -> None:
    found = await scene.browser.search(GUILD, "samsung LOT_3")
    assert [i.title for i in found] == ["Samsung 32GB DDR4 RDIMM lot_3 100%"]
    assert len(await scene.browser.search(GUILD, "ddr4 100%")) == len(scene.prices)
    assert await scene.browser.search(GUILD, "lot%") == []  # % is a character, not a wildcard
    assert await scene.browser.search(GUILD, "secret") == []  # another guild's find
    assert [i.listing_id for i in await scene.browser.search(OTHER, "secret")] == [scene.secret]
    cheap = await scene.browser.search(GUILD, "ddr4", max_unit_price=Decimal("120"))
    prices = sorted(i.unit_price or Decimal(0) for i in cheap)
    assert prices == [Decimal("100.00"), Decimal("110.00"), Decimal("120.00")]
    assert await scene.browser.search(GUILD, "ddr4", kind=ComponentType.GPU) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [("   ", "at least one word"), ("a b c d e f g h i", "at most 8 words"),
     ("x" * 101, "at most 100 characters")],
)  # fmt: skip
async def test_bad_searches_are_explained(scene: Scene, text: str, problem: str) -> None:
    with pytest.raises(BrowseError, match=problem):
        await scene.browser.search(GUILD, text)


async def test_detail_by_id_url_or_item_number_within_the_guild(scene: Scene) -> None:
    listing = next(iter(scene.prices))
    by_id = await scene.browser.detail(GUILD, str(listing))
    assert by_id.summary.listing_id == listing
    assert by_id.component_type == "ram"
    assert by_id.baseline is not None
    # the other guild's listings are in the same market; its 15 is left out as far under it
    assert by_id.baseline.sample_count == len(scene.prices)
    assert by_id.baseline.left_out_low == 1
    assert by_id.breakdown["price"]["position"]
    assert by_id.found_by == ["mine"]
    assert [p.unit_price for p in by_id.history] == [Decimal("120.00")]
    url = "https://www.ebay.com/itm/Samsung-32GB/110000000000?hash=item1"
    assert (await scene.browser.detail(GUILD, url)).summary.listing_id == listing
    assert (await scene.browser.detail(GUILD, "110000000000")).summary.listing_id == listing
    for ref in (str(scene.secret), "https://www.ebay.com/itm/119999999999", "999999"):
        with pytest.raises(ListingNotFoundError):
            await scene.browser.detail(GUILD, ref)
    with pytest.raises(BrowseError, match="short links"):
        await scene.browser.detail(GUILD, "https://ebay.us/abc")


async def test_product_keys_for_autocomplete(scene: Scene) -> None:
    assert await scene.browser.product_keys("ddr4") == [
        ("ram:ddr4:ecc_reg:32gb:2666", len(scene.prices))
    ]
    assert await scene.browser.product_keys("ddr5") == []


@pytest.mark.parametrize(
    ("text", "listing_id", "number", "market"),
    [
        ("42", 42, None, None),
        ("110000000001", None, "110000000001", None),
        ("https://www.ebay.com/itm/110000000001", None, "110000000001", Marketplace.EBAY_US),
        ("ebay.co.uk/itm/Dell-R740/256123456789?_trkparms=x", None, "256123456789",
         Marketplace.EBAY_GB),
        ("<https://m.ebay.de/itm/256123456789>", None, "256123456789", Marketplace.EBAY_DE),
        ("https://www.ebay.com.au/itm/256123456789#desc", None, "256123456789",
         Marketplace.EBAY_AU),
    ],
)  # fmt: skip
def test_listing_references(
    text: str, listing_id: int | None, number: str | None, market: Marketplace | None
) -> None:
    ref = parse_listing_ref(text)
    assert (ref.listing_id, ref.item_number, ref.marketplace) == (listing_id, number, market)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "give a listing id"),
        ("12345678901234567890", "neither"),
        ("https://evil.example/itm/110000000001", "not an eBay item URL"),
        ("javascript:alert(1)", "not an eBay item URL"),
        ("https://www.ebay.com/sch/i.html?_nkw=ddr4", "no item number"),
        ("https://ebay.us/m/abc", "short links"),
    ],
)
def test_bad_listing_references_are_explained(text: str, problem: str) -> None:
    with pytest.raises(ListingRefError, match=problem):
        parse_listing_ref(text)


def test_type_and_money_inputs() -> None:
    assert component_type(" RAM ") is ComponentType.RAM
    assert component_type(None) is None
    with pytest.raises(BrowseError, match="unknown type 'dimm'"):
        component_type("dimm")
    assert money("99.5", "max_price") == Decimal("99.50")
    for bad in ("abc", "-1", "NaN", "inf"):
        with pytest.raises(BrowseError, match="max_price"):
            money(bad, "max_price")
