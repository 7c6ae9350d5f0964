"""`/listings`, `/listing`, `/baseline`, `/alerts` and `/status` through the fake Discord."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from PIL import Image

from tests.bot.harness import OTHER_DEALS, OTHER_GUILD, Harness
from tests.bot.market import KEY, Seeder

PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Seeded:
    """Our guild's watch with 13 finds (one cheap); another guild's watch with one secret."""

    watch: int
    cheap: int
    secret: int


@pytest.fixture
async def seeded(h: Harness) -> Seeded:
    seed = Seeder(h)
    watch = await seed.watch()
    (cheap,) = await seed.market(watch)
    theirs = await seed.watch("their DDR4", guild=OTHER_GUILD, channel=OTHER_DEALS)
    secret = await seed.listing(theirs, "5", title="Secret bargain DDR4")
    await h.services.baselines.refresh()
    return Seeded(watch, cheap, secret)


async def test_top_lists_this_guilds_best_deals_first(h: Harness, seeded: Seeded) -> None:
    answer = await h.run("listings top")
    assert answer.ephemeral
    (embed,) = answer.embeds
    lines = embed["description"].splitlines()
    assert len(lines) == 10  # a page
    assert lines[0].startswith("**100**")
    assert "40.00 USD" in lines[0]
    assert "](https://www.ebay.com/itm/" in lines[0]
    assert "Secret bargain" not in embed["description"]
    assert [b["label"] for b in answer.buttons()] == ["◀", "1 / 2", "▶"]
    theirs = await h.run("listings top", guild_id=OTHER_GUILD, channel_id=OTHER_DEALS)
    assert "Secret bargain" in theirs.embed["description"]
    assert "Samsung" not in theirs.embed["description"]


async def test_top_by_watch_type_and_product_key(h: Harness, seeded: Seeded) -> None:
    by_watch = await h.run("listings top", {"watch": "DDR4 deals"})
    assert "13 in all" in by_watch.embeds[0]["footer"]["text"]
    gpus = await h.run("listings top", {"type": "gpu"})
    assert "Nothing scored yet" in gpus.embed["description"]
    by_key = await h.run("listings top", {"product_key": KEY})
    assert "13 in all" in by_key.embeds[0]["footer"]["text"]
    bad = await h.run("listings top", {"type": "dimm"})
    assert "unknown type 'dimm'" in bad.text()
    other = await h.run("listings top", {"watch": "their DDR4"})
    assert "no watch 'their DDR4' here" in other.text()


async def test_search_needs_all_words_and_respects_the_price(h: Harness, seeded: Seeded) -> None:
    found = await h.run("listings search", {"text": "samsung #13"})
    assert "#13" in found.embed["description"]
    assert found.embed["description"].count("\n") == 0
    cheap = await h.run("listings search", {"text": "ddr4", "max_price": "100"})
    assert cheap.embed["description"].count("USD") == 2  # 40 and 100
    bad = await h.run("listings search", {"text": "ddr4", "max_price": "lots"})
    assert "max_price must be a number" in bad.text()
    secret = await h.run("listings search", {"text": "secret"})
    assert "No listing found" in secret.embed["description"]


async def test_listing_show_has_breakdown_baseline_and_a_price_chart(
    h: Harness, seeded: Seeded
) -> None:
    cheap = seeded.cheap
    record = await h.command("listing show", {"listing": str(cheap)})
    assert record.type == 5
    answer = await h.answer(record)
    assert answer.ephemeral
    embed = answer.embed
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Unit price"] == "40.00 USD"
    assert "capacity\\_gb 32" in fields["Attributes (ram)"]
    assert fields["Read by"] == "rules, confidence 0.95"
    assert "price 100 (74% under the median" in fields["Score"]
    assert "adjusted by seller +1.5" in fields["Score"]
    assert fields["Market"].startswith("74% under the usual $155, from 12 listings")
    assert fields["Found by"] == "DDR4 deals"
    assert embed["image"]["url"] == "attachment://price-history.png"
    (chart,) = answer.files
    assert chart.filename == "price-history.png"
    assert chart.data.startswith(PNG)
    assert Image.open(io.BytesIO(chart.data)).size == (800, 400)
    legacy = await h.pool.fetchval("SELECT legacy_item_id FROM listings WHERE id = $1", cheap)
    by_url = await h.run("listing show", {"listing": f"https://www.ebay.com/itm/x/{legacy}?y=1"})
    assert by_url.embed["title"] == embed["title"]


async def test_listing_show_refuses_other_guilds_listings_and_bad_references(
    h: Harness, seeded: Seeded
) -> None:
    secret = seeded.secret
    hidden = await h.run("listing show", {"listing": str(secret)})
    assert hidden.ephemeral
    assert "among what this server's watches found" in hidden.text()
    bad = await h.run("listing show", {"listing": "https://example.com/itm/123456789012"})
    assert "not an eBay item URL" in bad.text()


async def test_baseline_show_has_percentiles_and_a_distribution_chart(
    h: Harness, seeded: Seeded
) -> None:
    answer = await h.run("baseline show", {"product_key": KEY})
    fields = {f["name"]: f["value"] for f in answer.embed["fields"]}
    # 13 of ours and the other guild's make one market; the 40 and the 5 are left out
    assert fields["Samples"] == "12 (0 sold)"
    assert fields["Left out"] == "2 priced far under the rest (a fault or a misread)"
    assert fields["P50"].endswith(" USD")
    assert answer.embed["image"]["url"] == "attachment://price-distribution.png"
    (chart,) = answer.files
    assert chart.data.startswith(PNG)
    missing = await h.run("baseline show", {"product_key": "ram:ddr5:x"})
    assert "No baseline for `ram:ddr5:x`" in missing.text()
    euro = await h.run("baseline show", {"product_key": KEY, "currency": "EUR"})
    assert "No EUR market for this product yet (there is: USD)" in euro.text()
    choices = await h.complete("baseline show", {"product_key": "ecc_reg"}, "product_key")
    assert [c["value"] for c in choices] == [KEY]


async def test_alerts_recent_lists_only_this_guilds_alerts(h: Harness, seeded: Seeded) -> None:
    # The secret is a deal for the other guild's watch: it alerted there.
    assert await h.pool.fetchval(
        "SELECT count(*) FROM alerts WHERE listing_id = $1", seeded.secret
    ) == 1  # fmt: skip
    ours = await h.pool.fetchval("SELECT count(*) FROM alerts WHERE watch_id = $1", seeded.watch)
    answer = await h.run("alerts recent")
    assert answer.embed["title"] == f"Recent alerts ({ours})"
    assert "DDR4 deals" in answer.embed["description"]
    assert "Secret" not in answer.embed["description"]
    theirs = await h.run("alerts recent", guild_id=OTHER_GUILD, channel_id=OTHER_DEALS)
    assert "Secret bargain" in theirs.embed["description"]


async def test_status_shows_services_quota_queue_and_watches(h: Harness, seeded: Seeded) -> None:
    record = await h.command("status")
    assert record.type == 5
    answer = await h.answer(record)
    text = answer.text()
    assert "🟢 **postgres** up" in text
    assert "🟢 **ebay** up" in text
    assert "calls used" in text
    assert "0 waiting · 0 running · 0 parked" in text
    assert "1 of 1 active" in text  # this guild's watches, not the other guild's
    assert "Discord channels, exactly once" in text  # what delivery promises
