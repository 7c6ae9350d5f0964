"""The eBay API client: Browse search, the Analytics rate-limit view, Marketplace Insights sales.

Every request goes through the shared resilience policy; Browse calls also pass the
per-process token bucket and the daily budget. A 401 gets exactly one re-authentication.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import aiohttp

from core.marketplace.auth import RestrictedTokenProvider, ScopeUnavailableError, TokenProvider
from core.marketplace.listing import MarketListing, SoldListing, parse_items, parse_sales
from core.marketplace.quota import DailyBudget, RateLimitSnapshot, TokenBucket
from core.models import BuyingOption, Marketplace
from core.observability.metrics import EBAY_REQUEST_DURATION, EBAY_REQUESTS
from core.resilience import (
    BadResponseError,
    CallObserver,
    PermanentError,
    ServicePolicy,
    check_status,
    json_object,
)
from core.settings import EbaySettings

log = logging.getLogger(__name__)

SEARCH_PATH = "/buy/browse/v1/item_summary/search"
RATE_LIMIT_PATH = "/developer/analytics/v1_beta/rate_limit/"
SALES_PATH = "/buy/marketplace_insights/v1_beta/item_sales/search"
MAX_PAGE = 200  # eBay's largest `limit`

# "Only FIXED_PRICE (Buy It Now) items are returned by default" by Browse search
# (https://developer.ebay.com/api-docs/buy/browse/resources/item_summary/methods/search), so
# a request that names no buying options never sees an auction. spt wants both unless a
# watch names its own, and says so on every request.
DEFAULT_BUYING_OPTIONS: tuple[BuyingOption, ...] = (BuyingOption.FIXED_PRICE, BuyingOption.AUCTION)
_CENT = Decimal("0.01")


def effective_buying_options(named: Sequence[BuyingOption]) -> tuple[BuyingOption, ...]:
    """The buying options a watch searches for: the ones it names, or fixed price and auction."""
    return tuple(named) or DEFAULT_BUYING_OPTIONS


def price_bound(amount: Decimal, rounding: str) -> str:
    """A price filter bound as plain decimal with at most cents: `100.00`, never `1E+2`.

    Listing prices are whole cents, so flooring a maximum and ceiling a minimum to cents
    keeps exactly the same listings in range.
    """
    return format(Decimal(amount).quantize(_CENT, rounding=rounding), "f")


def ebay_observer() -> CallObserver:
    """Records the seed metrics for every eBay HTTP attempt."""

    def on_attempt(status: str, seconds: float) -> None:
        EBAY_REQUESTS.labels(status).inc()
        EBAY_REQUEST_DURATION.observe(seconds)

    return CallObserver(on_attempt)


@dataclass(frozen=True)
class SearchRequest:
    """One Browse search page: the query, server-side filters and the page window.

    `category_ids` holds at most one id: Browse takes one category per request, so a
    search over several categories is several requests (see `core.jobs.ingest`). Empty
    `buying_options` means `DEFAULT_BUYING_OPTIONS`, which is sent, never left to eBay.
    """

    marketplace: Marketplace
    query: str
    category_ids: tuple[str, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    condition_ids: tuple[int, ...] | None = None
    buying_options: tuple[str, ...] = DEFAULT_BUYING_OPTIONS
    limit: int = 50
    offset: int = 0
    sort: str | None = "newlyListed"

    def __post_init__(self) -> None:
        # category_ids: "Currently, you can pass in only one category ID per request."
        # (https://developer.ebay.com/api-docs/buy/browse/resources/item_summary/methods/search)
        # Refused here, before the call is spent on eBay's 400.
        if len(self.category_ids) > 1:
            raise ValueError(
                f"Browse takes one category id per request, got {list(self.category_ids)}: "
                "search each category on its own"
            )

    def filter_expression(self) -> str:
        """eBay's `filter` parameter, e.g. `price:[10.00..50.00],priceCurrency:USD,...`."""
        parts: list[str] = []
        if self.min_price is not None or self.max_price is not None:
            low = "" if self.min_price is None else price_bound(self.min_price, ROUND_CEILING)
            high = "" if self.max_price is None else price_bound(self.max_price, ROUND_FLOOR)
            parts.append(f"price:[{low}..{high}]")
            parts.append(f"priceCurrency:{self.marketplace.currency}")
        if self.condition_ids:
            parts.append("conditionIds:{" + "|".join(str(c) for c in self.condition_ids) + "}")
        options = self.buying_options or DEFAULT_BUYING_OPTIONS
        parts.append("buyingOptions:{" + "|".join(options) + "}")
        return ",".join(parts)

    def params(self) -> dict[str, str]:
        """Query-string parameters for this page."""
        params = {"limit": str(self.limit), "offset": str(self.offset)}
        if self.query:
            params["q"] = self.query
        if self.category_ids:
            params["category_ids"] = ",".join(self.category_ids)
        if self.sort:
            params["sort"] = self.sort
        params["filter"] = self.filter_expression()
        return params


@dataclass(frozen=True)
class SearchPage:
    """One page of results, mapped; malformed items were skipped and counted."""

    listings: list[MarketListing]
    total: int
    offset: int
    limit: int
    has_next: bool
    skipped: int = 0


@dataclass(frozen=True)
class SalesPage:
    """One page of sold items from Marketplace Insights."""

    sales: list[SoldListing]
    total: int
    has_next: bool
    skipped: int = 0


@dataclass
class EbayClient:
    """Talks to eBay (or the sandbox marketplace) over one shared aiohttp session."""

    session: aiohttp.ClientSession
    settings: Callable[[], EbaySettings]
    policy: ServicePolicy
    tokens: TokenProvider
    bucket: TokenBucket
    budget: DailyBudget | None = None
    calls: dict[str, int] = field(default_factory=dict)
    # Marketplace Insights' own token (core/marketplace/auth.py): None uses `tokens`.
    insights_tokens: RestrictedTokenProvider | None = None

    async def search(self, request: SearchRequest) -> SearchPage:
        """One Browse search page. Raises QuotaExhaustedError when the daily budget is spent."""
        await self.bucket.acquire()
        if self.budget is not None:
            await self.budget.spend()
        headers = {"X-EBAY-C-MARKETPLACE-ID": request.marketplace.value}
        data = await self._get_json(SEARCH_PATH, request.params(), headers, "search")
        raw = data.get("itemSummaries")
        listings = parse_items(raw, request.marketplace, f"search {request.query!r}")
        skipped = (len(raw) if isinstance(raw, list) else 0) - len(listings)
        return SearchPage(
            listings=listings,
            total=_int(data.get("total"), 0),
            offset=_int(data.get("offset"), request.offset),
            limit=_int(data.get("limit"), request.limit),
            has_next=bool(data.get("next")),
            skipped=skipped,
        )

    async def rate_limits(self, resource: str = "buy.browse") -> RateLimitSnapshot | None:
        """eBay's count, limit and reset for a resource (None if eBay does not list it)."""
        params = {"api_context": "buy", "api_name": "browse"}
        data = await self._get_json(RATE_LIMIT_PATH, params, {}, "rate_limit")
        try:
            for api in data.get("rateLimits", []):
                for item in api.get("resources", []):
                    if item.get("name") == resource and item.get("rates"):
                        rate = item["rates"][0]
                        return RateLimitSnapshot(
                            limit=int(rate["limit"]),
                            count=int(rate["count"]),
                            remaining=int(rate["remaining"]),
                            reset_at=datetime.fromisoformat(rate["reset"]),
                            window_seconds=int(rate.get("timeWindow", 86400)),
                        )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadResponseError("ebay", f"rate_limit response has an odd shape ({exc})") from exc
        return None

    async def sales(self, request: SearchRequest) -> SalesPage:
        """One page of sold items matching a search (Marketplace Insights); an empty page
        while eBay refuses the Insights scope (logged once, shown by `spt status`), so a
        sweep goes on with the ended-early signal alone."""
        tokens = self.insights_tokens or self.tokens
        try:
            await tokens.get()  # refused scopes fail here, before a call is spent
        except ScopeUnavailableError:
            return SalesPage(sales=[], total=0, has_next=False)
        await self.bucket.acquire()
        headers = {"X-EBAY-C-MARKETPLACE-ID": request.marketplace.value}
        # The BEST_OFFER buying option "is not supported in the Marketplace Insights API"
        # (https://developer.ebay.com/api-docs/buy/static/ref-buy-browse-filters.html); a
        # sale through an accepted offer is still a fixed-price or auction sale.
        options = tuple(o for o in request.buying_options if o != BuyingOption.BEST_OFFER)
        params = replace(request, buying_options=options).params()
        params.pop("sort", None)  # item_sales/search has no newlyListed sort
        data = await self._get_json(SALES_PATH, params, headers, "item_sales", tokens)
        raw = data.get("itemSales")
        sales = parse_sales(raw, request.marketplace, f"sales {request.query!r}")
        skipped = (len(raw) if isinstance(raw, list) else 0) - len(sales)
        return SalesPage(sales, _int(data.get("total"), 0), bool(data.get("next")), skipped)

    async def _get_json(
        self,
        path: str,
        params: dict[str, str],
        headers: dict[str, str],
        name: str,
        tokens: TokenProvider | None = None,
    ) -> dict[str, Any]:
        tokens = tokens or self.tokens
        self.calls[name] = self.calls.get(name, 0) + 1
        url = self.settings().api_base_url.rstrip("/") + path
        timeout = self.settings().request_timeout_seconds
        token = await tokens.get()
        try:
            return await self.policy.call(
                lambda: self._get(url, params, headers, token, name), attempt_timeout=timeout
            )
        except PermanentError as exc:
            if exc.status != 401:
                raise
        # eBay may revoke a token before its stated expiry: fetch a new one, once.
        log.info("eBay answered 401 to %s; fetching a new token", name)
        tokens.invalidate(token)
        token = await tokens.get()
        return await self.policy.call(
            lambda: self._get(url, params, headers, token, name), attempt_timeout=timeout
        )

    async def _get(
        self, url: str, params: dict[str, str], headers: dict[str, str], token: str, name: str
    ) -> dict[str, Any]:
        all_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **headers}
        async with self.session.get(url, params=params, headers=all_headers) as response:
            body = await response.text()
            check_status("ebay", response.status, response.headers, body)
            return json_object("ebay", body, f"{name} response")


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
