"""Alert links: the short canonical /itm/{legacyItemId}, so a digest lists every alert that fits.

eBay's itemWebUrl carries ~400 characters of tracking; in a digest's 4,096-character
description that left room for six alerts.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from core.alerts.card import (
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    AlertCard,
    alert_components,
    digest_embed,
    embed,
    embed_size,
)
from core.marketplace.urls import item_url, untracked_url
from core.models import Marketplace
from sandbox import Listing, build_catalog
from sandbox.payloads import item_web_url
from tests.alerts.test_webhook import Setup
from tests.alerts.test_webhook import fake as fake  # a fixture, re-exported
from tests.alerts.test_webhook import setup as setup  # a fixture, re-exported
from tests.fakes.discord import FakeDiscordWebhook

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LINK = re.compile(r"\]\((https://[^)]+)\)")
CATALOG = build_catalog(seed=7, size=600, now=NOW)
DOMAINS = {"EBAY_US": "www.ebay.com", "EBAY_GB": "www.ebay.co.uk", "EBAY_DE": "www.ebay.de",
           "EBAY_AU": "www.ebay.com.au"}  # fmt: skip


def listings(count: int, market: Marketplace = Marketplace.EBAY_US) -> list[Listing]:
    found = [x for x in CATALOG if x.marketplace is market][:count]
    assert len(found) == count
    return found


def card(listing: Listing, score: float = 90.0, legacy: bool = True) -> AlertCard:
    """An alert on a sandbox listing, with the itemWebUrl the sandbox serves for it."""
    return AlertCard(watch_name="ram", title=listing.title, url=item_web_url(listing),
                     score=score, unit_price=f"{listing.price:.2f}", currency=listing.currency,
                     marketplace=listing.marketplace.value, condition="used_working",
                     seller=listing.seller.username, price_position="at or under P10",
                     product_key=None, cold_start=False, sequence=1, alert_id=1,
                     legacy_item_id=listing.legacy_item_id if legacy else None)  # fmt: skip


def lines(digest: dict[str, object]) -> list[str]:
    return str(digest["description"]).split("\n")


def test_a_digest_of_sandbox_alerts_lists_all_that_fit() -> None:
    cards = [card(x, score=99 - n) for n, x in enumerate(listings(18))]
    assert all(len(c.url or "") > 350 for c in cards)  # as long as eBay's
    digest = digest_embed(cards, len(cards))
    shown = lines(digest)
    assert len(shown) == 18  # with the tracking links, six fit and "… and 12 more"
    assert "more" not in shown[-1]
    for c, line in zip(cards, shown, strict=True):
        assert line.endswith(f"](https://www.ebay.com/itm/{c.legacy_item_id})")
    assert embed_size(digest) <= EMBED_TOTAL_MAX


def test_a_long_burst_lists_as_many_as_the_description_holds() -> None:
    cards = [card(x, score=99 - n / 10) for n, x in enumerate(listings(120))]
    digest = digest_embed(cards, len(cards))
    shown = lines(digest)
    listed, tail = shown[:-1], shown[-1]
    assert tail == f"… and {120 - len(listed)} more"
    assert len(listed) >= 18
    assert len(str(digest["description"])) <= DESCRIPTION_MAX
    # Not one more line would have fitted beside the "… and N more" line.
    one_more = digest_embed(cards[: len(listed) + 1], len(cards))
    assert "more" in lines(one_more)[-1] or len(str(one_more["description"])) > DESCRIPTION_MAX - 20


def test_a_digest_keeps_the_whole_embed_within_6000_characters() -> None:
    cards = [card(x, score=90) for x in listings(80)]
    # Long watch names make a long footer: the description gives way, not the limit.
    cards = [AlertCard(**{**c.__dict__, "watch_name": f"{n} " + "w" * 400})
             for n, c in enumerate(cards)]  # fmt: skip
    digest = digest_embed(cards, len(cards))
    assert len(digest["footer"]["text"]) > 1500
    assert embed_size(digest) <= EMBED_TOTAL_MAX
    assert lines(digest)[-1].startswith("… and ")


@pytest.mark.parametrize("market", list(Marketplace))
def test_embeds_and_buttons_link_the_canonical_item_page(market: Marketplace) -> None:
    (listing,) = listings(1, market)
    alert = card(listing)
    canonical = f"https://{DOMAINS[market.value]}/itm/{listing.legacy_item_id}"
    assert embed(alert)["url"] == canonical
    (row,) = alert_components(alert)
    assert row["components"][-1] == {"type": 2, "style": 5, "label": "View on eBay",
                                      "url": canonical}  # fmt: skip
    assert digest_embed([alert], 1)["description"].endswith(f"]({canonical})")


def test_without_a_legacy_id_the_item_url_is_trimmed_of_tracking() -> None:
    (listing,) = listings(1, Marketplace.EBAY_DE)
    alert = card(listing, legacy=False)
    assert embed(alert)["url"] == f"https://www.ebay.de/itm/{listing.legacy_item_id}"
    assert untracked_url("https://m.ebay.co.uk/itm/Dell-R740/256123456789?_trkparms=x&var=7") == (
        "https://www.ebay.co.uk/itm/256123456789?var=7"
    )  # a variation pick is not tracking
    assert untracked_url("https://example.com/itm/256123456789?x=1") == (
        "https://example.com/itm/256123456789?x=1"
    )  # not eBay's: left for safe_url to judge
    assert item_url("EBAY_XX", "256123456789", None) is None
    assert item_url("EBAY_US", "not-a-number", "https://www.ebay.com/itm/256123456789?a=b") == (
        "https://www.ebay.com/itm/256123456789"
    )
    hostile = AlertCard(**{**alert.__dict__, "url": "javascript:alert(1)"})
    assert "url" not in embed(hostile)


async def test_a_delivered_digest_lists_every_sandbox_alert(
    setup: Setup, fake: FakeDiscordWebhook
) -> None:
    """End to end: listings stored with sandbox-length URLs, digested through the outbox."""
    chosen = listings(15)
    await setup.deals([x.title for x in chosen])
    rows = await setup.pool.fetch("SELECT id FROM listings ORDER BY id DESC LIMIT 15")
    for row, listing in zip(reversed(rows), chosen, strict=True):
        await setup.pool.execute(
            "UPDATE listings SET url = $2, legacy_item_id = $3 WHERE id = $1",
            row["id"], item_web_url(listing), listing.legacy_item_id,
        )  # fmt: skip
    setup.clock.advance(timedelta(seconds=1))
    alerted = await setup.pool.fetch(
        "SELECT l.legacy_item_id FROM alerts a JOIN listings l ON l.id = a.listing_id"
    )
    assert len(alerted) > 10  # a burst: digested (the rest were not deals for the rules)
    assert await setup.delivery.deliver_pending(limit=100) == len(alerted)
    (message,) = fake.payloads
    (digest,) = message["embeds"]
    assert digest["title"] == f"{len(alerted)} new deals"
    shown = lines(digest)
    assert len(shown) == len(alerted)  # every one listed, none "… and N more"
    assert {LINK.search(line)[1] for line in shown} == {  # type: ignore[index]
        f"https://www.ebay.com/itm/{r['legacy_item_id']}" for r in alerted
    }
