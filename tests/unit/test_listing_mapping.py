"""Mapping eBay item summaries (real response shape, tests/data/ebay) to listings."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.marketplace.conditions import condition_ids_for, normalise_condition
from core.marketplace.listing import parse_items, parse_sales
from core.models import Condition, Marketplace

DATA = Path(__file__).resolve().parent.parent / "data" / "ebay"


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "browse_search_response.json").read_text())
    return data


def test_every_sample_item_maps() -> None:
    items = sample()["itemSummaries"]
    listings = parse_items(items, Marketplace.EBAY_US, "test")
    assert len(listings) == len(items) == 18
    first = listings[0]
    assert first.item_id == "v1|100001|0"
    assert first.title.startswith("Samsung 32GB DDR4-2666")
    assert (first.price, first.currency, first.shipping) == (
        Decimal("42.99"),
        "USD",
        Decimal("5.99"),
    )
    assert first.seller_username == "server_parts_wholesale"
    assert first.seller_feedback_score == 12450
    assert first.seller_feedback_percent == Decimal("99.6")
    assert first.seller_top_rated is True
    assert (first.condition_id, first.condition_raw, first.condition) == (
        3000,
        "Used",
        Condition.USED_WORKING,
    )
    assert first.buying_options == ("FIXED_PRICE",)
    assert first.category_ids == ("170083",)
    assert first.url == "https://www.ebay.com/itm/100001"
    auction = listings[3]
    assert auction.buying_options == ("AUCTION",)
    assert auction.auction_end_at is not None
    assert auction.auction_end_at.isoformat() == "2025-06-15T22:00:00+00:00"


def test_unknown_fields_ignored_and_optional_ones_tolerated() -> None:
    minimal = {
        "itemId": "v1|9|0",
        "title": "  Intel  Xeon\nGold 6130 ",
        "price": {"value": "80", "currency": "usd"},
        "marketingPrice": {"x": 1},
        "itemLocation": {"country": "DE"},
        "shippingOptions": [
            {"shippingCostType": "CALCULATED"},
            {"shippingCost": {"value": "9.00", "currency": "USD"}},
            {"shippingCost": {"value": "4.50", "currency": "USD"}},
        ],
    }
    (listing,) = parse_items([minimal], Marketplace.EBAY_US, "test")
    assert listing.title == "Intel Xeon Gold 6130"
    assert listing.currency == "USD"
    assert listing.shipping == Decimal("4.50")  # the cheapest stated cost
    assert listing.item_country == "DE"
    assert listing.seller_username is None
    assert listing.condition is Condition.UNKNOWN
    assert listing.image_url is None


@pytest.mark.parametrize(
    "bad",
    [
        {"title": "no id", "price": {"value": "1", "currency": "USD"}},
        {"itemId": "v1|1|0", "title": "no price"},
        {"itemId": "v1|1|0", "title": "bad price", "price": {"value": "abc", "currency": "USD"}},
        {"itemId": "v1|1|0", "title": "negative", "price": {"value": "-5", "currency": "USD"}},
        {"itemId": "v1|1|0", "title": "", "price": {"value": "5", "currency": "USD"}},
        {
            "itemId": "v1|1|0",
            "title": "pct",
            "price": {"value": "5", "currency": "USD"},
            "seller": {"feedbackPercentage": "250"},
        },
        "not an object",
        None,
    ],
)
def test_malformed_item_is_skipped_and_logged(bad: Any, caplog: pytest.LogCaptureFixture) -> None:
    good = sample()["itemSummaries"][:2]
    with caplog.at_level(logging.WARNING):
        listings = parse_items([good[0], bad, good[1]], Marketplace.EBAY_US, "search 'x'")
    assert [x.item_id for x in listings] == ["v1|100001|0", "v1|100002|0"]
    assert "skipped malformed item" in caplog.text
    assert "position 1" in caplog.text


def test_items_field_that_is_not_a_list() -> None:
    assert parse_items({"oops": 1}, Marketplace.EBAY_US, "x") == []
    assert parse_items(None, Marketplace.EBAY_US, "x") == []


def test_sales_use_the_sold_price_and_date() -> None:
    sale = {
        "itemId": "v1|5|0",
        "title": "Tesla P40 24GB",
        "lastSoldPrice": {"value": "170.00", "currency": "USD"},
        "lastSoldDate": "2026-11-20T10:00:00.000Z",
        "totalSoldQuantity": 2,
    }
    (sold,) = parse_sales([sale, {"itemId": "v1|6|0"}], Marketplace.EBAY_US, "sales")
    assert sold.listing.price == Decimal("170.00")
    assert sold.sold_at is not None
    assert sold.sold_at.isoformat() == "2026-11-20T10:00:00+00:00"
    assert sold.quantity_sold == 2


@pytest.mark.parametrize(
    ("condition_id", "text", "expected"),
    [
        (1000, "New", Condition.NEW),
        (1500, "New other", Condition.LIKE_NEW),
        (1750, None, Condition.LIKE_NEW),
        (2000, "Certified - Refurbished", Condition.LIKE_NEW),
        (2030, None, Condition.LIKE_NEW),
        (2500, "Seller refurbished", Condition.LIKE_NEW),
        (3000, "Used", Condition.USED_WORKING),
        (5000, None, Condition.USED_WORKING),
        (6000, None, Condition.USED_WORKING),
        (7000, "For parts or not working", Condition.FOR_PARTS),
        (3000, "For parts", Condition.USED_WORKING),  # the id wins over the text
        (None, "Gebraucht", Condition.USED_WORKING),
        (None, "For parts or not working", Condition.FOR_PARTS),
        (None, None, Condition.UNKNOWN),
        (9999, "???", Condition.UNKNOWN),
    ],
)
def test_condition_normalised_from_the_id(
    condition_id: int | None, text: str | None, expected: Condition
) -> None:
    assert normalise_condition(condition_id, text) is expected


def test_condition_ids_for_server_filter() -> None:
    assert condition_ids_for([]) is None
    assert condition_ids_for([Condition.NEW, Condition.UNKNOWN]) is None
    assert condition_ids_for([Condition.NEW, Condition.FOR_PARTS]) == [1000, 7000]
