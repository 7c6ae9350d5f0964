"""The JSON eBay serves for a listing: a Browse item summary and an Insights item sale.

Ground truth never leaves through here. Summaries are serialised once per listing and
spliced into pages, which keeps a 200-item page to a few milliseconds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.marketplace.sandbox.catalog import Listing


def ebay_time(moment: datetime) -> str:
    """eBay's timestamp format: UTC with milliseconds and a Z."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _amount(value: Decimal, currency: str) -> dict[str, str]:
    return {"value": f"{value:.2f}", "currency": currency}


def _common(listing: Listing) -> dict[str, Any]:
    seller = listing.seller
    return {
        "itemId": listing.item_id,
        "legacyItemId": listing.legacy_item_id,
        "title": listing.title,
        "leafCategoryIds": [listing.category_id],
        "categories": [{"categoryId": listing.category_id, "categoryName": listing.category_name}],
        "image": {"imageUrl": listing.image_url},
        "thumbnailImages": [{"imageUrl": listing.image_url.replace("s-l500", "s-l225")}],
        "seller": {
            "username": seller.username,
            "feedbackPercentage": seller.feedback_percentage,
            "feedbackScore": seller.feedback_score,
        },
        "condition": listing.condition,
        "conditionId": str(listing.condition_id),
        "itemLocation": {"postalCode": seller.postal_code, "country": seller.country},
        "itemWebUrl": listing.web_url,
        "listingMarketplaceId": listing.marketplace.value,
    }


def item_summary(listing: Listing) -> dict[str, Any]:
    """A Browse `itemSummaries[]` entry."""
    summary = _common(listing)
    summary["price"] = _amount(listing.price, listing.currency)
    summary["buyingOptions"] = list(listing.buying_options)
    if listing.is_auction:
        summary["currentBidPrice"] = _amount(listing.price, listing.currency)
        summary["bidCount"] = listing.bid_count or 0
    end = listing.item_end_date
    if end is not None:
        summary["itemEndDate"] = ebay_time(end)
    if listing.shipping is not None:
        summary["shippingOptions"] = [
            {
                "shippingCostType": "FIXED",
                "shippingCost": _amount(listing.shipping, listing.currency),
            }
        ]
    summary["itemCreationDate"] = ebay_time(listing.listed_at)
    summary["topRatedBuyingExperience"] = listing.seller.top_rated
    summary["priorityListing"] = False
    summary["adultOnly"] = False
    return summary


def item_sale(listing: Listing) -> dict[str, Any]:
    """A Marketplace Insights `itemSales[]` entry; only for listings that sold."""
    if listing.sold_price is None or listing.ended_at is None:
        raise ValueError(f"{listing.item_id} did not sell")
    sale = _common(listing)
    sale["lastSoldDate"] = ebay_time(listing.ended_at)
    sale["lastSoldPrice"] = _amount(listing.sold_price, listing.currency)
    sale["totalSoldQuantity"] = listing.sold_quantity
    sale["buyingOptions"] = list(listing.buying_options)
    return sale


def compact(body: Any) -> str:
    """JSON without spaces, as eBay sends it."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
