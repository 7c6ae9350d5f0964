"""Listing links: reading what users paste (an spt listing id, an eBay item number or URL),
and writing the short canonical link to an item."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from core.models import Marketplace

_HOSTS = {
    "ebay.com": Marketplace.EBAY_US,
    "ebay.co.uk": Marketplace.EBAY_GB,
    "ebay.de": Marketplace.EBAY_DE,
    "ebay.com.au": Marketplace.EBAY_AU,
}
_DOMAINS = {marketplace: f"www.{host}" for host, marketplace in _HOSTS.items()}
_SHORT_HOSTS = {"ebay.us", "ebay.to", "ebay.eu"}
# The one query parameter of an item link that is not tracking: it picks a variation.
_KEPT_PARAMS = ("var",)
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


def item_url(
    marketplace: Marketplace | str | None, legacy_item_id: str | None, web_url: str | None = None
) -> str | None:
    """The short canonical link to an item: `https://www.ebay.com/itm/{legacyItemId}`, on
    the marketplace's own domain (ebay.co.uk, ebay.de, ebay.com.au).

    eBay's `itemWebUrl` carries a few hundred characters of tracking parameters; the legacy
    id is all the View Item page needs. Without a usable legacy id (or marketplace),
    `web_url` trimmed of its tracking parameters, when it is an eBay item link.
    """
    market = _marketplace(marketplace)
    if market is not None and legacy_item_id and _ITEM_NUMBER.match(legacy_item_id):
        return f"https://{_DOMAINS[market]}/itm/{legacy_item_id}"
    return untracked_url(web_url)


def untracked_url(url: str | None) -> str | None:
    """An eBay item URL without tracking parameters (`https://host/itm/{number}`, keeping
    a variation pick); any other URL unchanged, for the caller's own checks."""
    if not url:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    if host not in _HOSTS:
        return url
    match = _ITEM_PATH.search(parts.path)
    if match is None or parts.scheme != "https":
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k in _KEPT_PARAMS]
    query = f"?{urlencode(kept)}" if kept else ""
    return f"https://www.{host}/itm/{match['number']}{query}"


def _marketplace(value: Marketplace | str | None) -> Marketplace | None:
    if value is None or isinstance(value, Marketplace):
        return value
    try:
        return Marketplace(value)
    except ValueError:
        return None
