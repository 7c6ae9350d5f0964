"""The JSON eBay serves for a listing: a Browse item summary and an Insights item sale.

Ground truth never leaves through here. Summaries are serialised once per listing and
spliced into pages, which keeps a 200-item page to a few milliseconds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, quote_plus

from sandbox.catalog import DOMAINS as _DOMAINS
from sandbox.catalog import Listing

_WORD = re.compile(r"\w+")
_IMAGE_ID = re.compile(r"/images/g/([^/]+)/")


def ebay_time(moment: datetime) -> str:
    """eBay's timestamp format: UTC with milliseconds and a Z."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def item_web_url(listing: Listing) -> str:
    """The `itemWebUrl` as eBay serves it: the /itm/ link and ~400 characters of tracking.

    The ItemSummary type only promises "the URL to the View Item page of the item"
    (https://developer.ebay.com/api-docs/buy/browse/types/gct:ItemSummary). Recorded Browse
    answers carry `?hash=item{legacy id in hex}:g:{image id}` (e.g. github.com/gaurav-arun/
    ebay-alerts, ebay_mock/sample_response_100.py), and item links in public code add
    `_skw`, `epid`, `_trkparms=ispr%3D1` and `amdata=enc%3AAQAGAAAA...%7Ctkp%3ABFBM...`, an
    opaque blob of a few hundred characters. The parameters are mirrored here, not the
    values: the search words, the hex id, the image id and a deterministic blob.
    """
    legacy = listing.legacy_item_id
    words = "+".join(quote_plus(w) for w in _WORD.findall(listing.title.lower())[:3])
    image = _IMAGE_ID.search(listing.image_url)
    seed = hashlib.sha256(listing.item_id.encode()).digest()
    # 165-204 opaque bytes, so URLs vary in length as eBay's do (about 380 to 480 characters).
    blob = hashlib.shake_256(seed).digest(165 + seed[0] % 40)
    amdata = quote(base64.b64encode(blob).decode(), safe="")
    tkp = base64.urlsafe_b64encode(seed[:9]).decode()
    return (
        f"https://{_DOMAINS[listing.marketplace]}/itm/{legacy}?_skw={words}"
        f"&_trkparms=ispr%3D1&hash=item{int(legacy):x}:g:{image[1] if image else 'AAAAAAAA'}"
        f"&amdata=enc%3AAQAHAAAA{amdata}%7Ctkp%3ABFBM{tkp}"
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
        "itemWebUrl": item_web_url(listing),
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
