"""Reading what users paste to name a listing: an spt listing id, an eBay item number or URL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.models import Marketplace

_HOSTS = {
    "ebay.com": Marketplace.EBAY_US,
    "ebay.co.uk": Marketplace.EBAY_GB,
    "ebay.de": Marketplace.EBAY_DE,
    "ebay.com.au": Marketplace.EBAY_AU,
}
_SHORT_HOSTS = {"ebay.us", "ebay.to", "ebay.eu"}
_ITEM_PATH = re.compile(r"/itm/(?:[^/]+/)?(?P<number>\d{9,15})(?:[/?#]|$)")
_ITEM_NUMBER = re.compile(r"^\d{9,15}$")
# spt's own listing ids are small sequence numbers; eBay item numbers have 12 digits.
MAX_LISTING_ID_DIGITS = 8


class ListingRefError(ValueError):
    """Text that names no listing; the message says what spt expected."""


@dataclass(frozen=True)
class ListingRef:
    """Either spt's listing id or an eBay item number (with the marketplace of its URL)."""

    listing_id: int | None = None
    item_number: str | None = None
    marketplace: Marketplace | None = None


def parse_listing_ref(text: str) -> ListingRef:
    """`123` (spt id), `256123456789` (eBay item number) or an eBay item URL."""
    value = text.strip().strip("<>")
    if not value:
        raise ListingRefError("give a listing id or an eBay item URL")
    if value.isdigit():
        if len(value) <= MAX_LISTING_ID_DIGITS:
            return ListingRef(listing_id=int(value))
        if _ITEM_NUMBER.match(value):
            return ListingRef(item_number=value)
        raise ListingRefError(f"{value!r} is neither an spt listing id nor an eBay item number")
    url = value if "://" in value else f"https://{value}"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    if host in _SHORT_HOSTS:
        raise ListingRefError(
            "eBay short links cannot be followed here; open it and paste the full /itm/ URL"
        )
    marketplace = _HOSTS.get(host)
    if marketplace is None or parts.scheme not in ("http", "https"):
        raise ListingRefError(
            f"{value[:100]!r} is not an eBay item URL (ebay.com, ebay.co.uk, ebay.de, "
            "ebay.com.au) or a listing id"
        )
    match = _ITEM_PATH.search(parts.path)
    if match is None:
        raise ListingRefError("that eBay URL has no item number (expected …/itm/123456789012)")
    return ListingRef(item_number=match["number"], marketplace=marketplace)
