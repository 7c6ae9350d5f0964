"""Reading listings the way a scope (a guild, or the local CLI scope) sees them.

The bot's `/listings` and `/listing` commands and the web dashboard call this service:
it returns domain objects, checks and explains bad input, and never shows one guild a
listing only another guild's watches found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from core.alerts.service import wanted_by
from core.clock import Clock
from core.db import baselines as baseline_repo
from core.db import browse as repo
from core.db.pool import Pool
from core.marketplace.conditions import effective_condition
from core.marketplace.urls import ListingRefError, item_url, parse_listing_ref
from core.models import ComponentType, choices
from core.pricing.baselines import Baseline
from core.settings import Settings

MAX_ROWS = 100  # the most a list command fetches; pages show 10 at a time
MAX_WORDS = 8
MAX_SAMPLES = 50_000
MAX_DEALS = 200
LOWEST_DAYS = 90  # the window of "lowest price seen"


class BrowseError(ValueError):
    """Input that cannot be looked up; the message says what was wrong."""


class ListingNotFoundError(LookupError):
    """No listing with that reference is visible in this scope."""


@dataclass(frozen=True)
class ListingSummary:
    """One row of a listing list."""

    listing_id: int
    title: str
    url: str | None
    marketplace: str
    currency: str
    price: Decimal
    shipping: Decimal | None
    condition: str
    image_url: str | None
    active: bool
    last_seen_at: datetime
    product_key: str | None
    score: float | None
    cold_start: bool | None
    unit_price: Decimal | None
    price_position: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ListingSummary:
        """From a row of `core.db.browse` (extra columns ignored)."""
        return cls(
            listing_id=row["listing_id"],
            title=row["title"],
            # The short /itm/{legacyItemId} link, else eBay's without its tracking parameters.
            url=item_url(row["marketplace"], row.get("legacy_item_id"), row["url"]),
            marketplace=row["marketplace"],
            currency=row["currency"],
            price=row["price"],
            shipping=row["shipping"],
            condition=row["condition"],
            image_url=row["image_url"],
            active=row["active"],
            last_seen_at=row["last_seen_at"],
            product_key=row.get("product_key"),
            score=float(row["score"]) if row.get("score") is not None else None,
            cold_start=row.get("cold_start"),
            unit_price=row.get("unit_price"),
            price_position=row.get("price_position"),
        )


@dataclass(frozen=True)
class PricePoint:
    """A price observed at a time (price plus shipping, per unit)."""

    at: datetime
    unit_price: Decimal


@dataclass(frozen=True)
class LowestPrice:
    """The lowest unit price a scope's watches saw for a product in a currency lately."""

    unit_price: Decimal
    listing_id: int
    held_until: datetime  # the last time that price was seen
    days: int


@dataclass(frozen=True)
class Deal:
    """A current deal: a listing under its market's median, as the home page shows it."""

    listing: ListingSummary
    quantity: int
    median: Decimal
    discount_pct: float  # share under the median, in percent (as the score read it)
    baseline_samples: int
    is_auction: bool
    auction_end_at: datetime | None
    first_seen_at: datetime
    component_type: str | None
    found_by: list[str]
    # The lowest price seen lately when one was at most the dearest deal shown of this
    # product; None: nothing that cheap was seen, so this deal is the lowest.
    lowest: LowestPrice | None = None

    @property
    def unit_price(self) -> Decimal:
        """The unit price the score judged (price plus shipping, per unit)."""
        assert self.listing.unit_price is not None
        return self.listing.unit_price

    @property
    def saving(self) -> Decimal:
        """How much under the median one unit is."""
        return max(self.median - self.unit_price, Decimal(0)).quantize(Decimal("0.01"))

    @property
    def total_saving(self) -> Decimal:
        """The saving on the whole listing (every unit of a lot or kit)."""
        return (self.saving * self.quantity).quantize(Decimal("0.01"))

    @property
    def is_lowest(self) -> bool:
        """Whether nothing seen in the window was cheaper than this listing."""
        return self.lowest is None or self.unit_price <= self.lowest.unit_price


@dataclass(frozen=True)
class MarketDay:
    """A product's market on one day (for the band behind a price history)."""

    day: date
    p25: Decimal | None
    p50: Decimal | None
    p75: Decimal | None


@dataclass(frozen=True)
class ListingDetail:
    """Everything `/listing show` and the dashboard's detail page show."""

    summary: ListingSummary
    item_id: str
    seller_username: str | None
    seller_feedback_score: int | None
    seller_feedback_percent: Decimal | None
    seller_top_rated: bool | None
    buying_options: list[str]
    auction_end_at: datetime | None
    first_seen_at: datetime
    component_type: str | None
    attributes: dict[str, Any]
    quantity: int
    confidence: float | None
    method: str | None
    backend: str | None
    model: str | None
    low_confidence: bool
    breakdown: dict[str, Any]
    baseline: Baseline | None
    history: list[PricePoint] = field(default_factory=list)
    found_by: list[str] = field(default_factory=list)


def _baseline(row: dict[str, Any]) -> Baseline | None:
    if row.get("b_sample_count") is None:
        return None
    return Baseline(
        product_key=row["product_key"],
        currency=row["currency"],
        sample_count=row["b_sample_count"],
        sold_count=row["b_sold_count"],
        p10=row["b_p10"],
        p25=row["b_p25"],
        p50=row["b_p50"],
        p75=row["b_p75"],
        p90=row["b_p90"],
        mean=row["b_mean"],
        window_days=row["b_window_days"],
        computed_at=row["b_computed_at"],
        left_out_for_parts=row["b_left_out_for_parts"],
        left_out_low=row["b_left_out_low"],
        left_out_lots=row["b_left_out_lots"],
        left_out_high=row["b_left_out_high"],
    )


def component_type(text: str | None) -> ComponentType | None:
    """A component type from user text (any case), or None for none given."""
    if text is None or not text.strip():
        return None
    try:
        return ComponentType(text.strip().lower())
    except ValueError:
        raise BrowseError(
            f"unknown type {text.strip()[:50]!r}; choose one of {choices(ComponentType)}"
        ) from None


def money(text: str | None, what: str) -> Decimal | None:
    """A non-negative amount from user text such as `120` or `99.50`."""
    if text is None or not str(text).strip():
        return None
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise BrowseError(f"{what} must be a number such as 120 or 99.50, not {text!r}") from None
    if not value.is_finite() or value < 0:
        raise BrowseError(f"{what} must be 0 or more (got {text})")
    return value.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ListingFilters:
    """What a listing page may be narrowed and ordered by (all optional)."""

    watch_id: int | None = None
    kind: ComponentType | None = None
    marketplace: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    text: str | None = None
    sort: str = "recent"


@dataclass(frozen=True)
class ListingPage:
    """One page of listings and whether another follows."""

    items: list[ListingSummary]
    number: int
    has_next: bool


class ListingBrowser:
    """Lists, searches and shows listings within one scope."""

    def __init__(self, pool: Pool, settings: Callable[[], Settings], clock: Clock) -> None:
        self._pool = pool
        self._settings = settings
        self._clock = clock

    async def top(
        self,
        guild_id: int | None,
        *,
        watch_id: int | None = None,
        kind: ComponentType | None = None,
        product_key: str | None = None,
        limit: int = MAX_ROWS,
    ) -> list[ListingSummary]:
        """The scope's best-scored active listings, optionally of one watch, type or key."""
        key = product_key.strip().lower() if product_key and product_key.strip() else None
        async with self._pool.acquire() as conn:
            rows = await repo.top(
                conn, guild_id, watch_id=watch_id, product_key=key,
                key_prefix=kind.value if kind else None, limit=min(limit, MAX_ROWS),
            )  # fmt: skip
        return [ListingSummary.from_row(r) for r in rows]

    async def deals(self, guild_id: int | None, limit: int = 50) -> list[Deal]:
        """The scope's best current deals, best score first, each with the lowest unit
        price the scope's watches saw for its product in the last `LOWEST_DAYS` days."""
        now = self._clock()
        async with self._pool.acquire() as conn:
            # More than shown: some are filtered out below, and mature markets go first.
            ranked = await repo.deals(conn, guild_id, now=now, limit=MAX_DEALS)
            wanted = await wanted_by(conn, guild_id, [r["listing_id"] for r in ranked], now)
            rows = [{**r, "found_by": wanted[r["listing_id"]]} for r in ranked
                    if r["listing_id"] in wanted]  # fmt: skip
            # A score against a market of a few prices is a guess: real deals first.
            rows = sorted(rows, key=lambda r: r["cold_start"])[: min(limit, MAX_DEALS)]
            ceilings: dict[tuple[str, str], Decimal] = {}
            for r in rows:
                key = (r["product_key"], r["currency"])
                ceilings[key] = max(ceilings.get(key, r["unit_price"]), r["unit_price"])
            lowest = await repo.lowest_prices(conn, guild_id, ceilings,
                                              now - timedelta(days=LOWEST_DAYS))  # fmt: skip
        found = []
        for row in rows:
            low = lowest.get((row["product_key"], row["currency"]))
            held = LowestPrice(low["unit_price"], low["listing_id"], low["held_until"],
                               LOWEST_DAYS) if low else None  # fmt: skip
            found.append(
                Deal(
                    listing=ListingSummary.from_row(row),
                    quantity=int(row["quantity"]),
                    median=row["median"],
                    discount_pct=float(row["discount_pct"]),
                    baseline_samples=int(row["baseline_samples"] or 0),
                    is_auction="AUCTION" in (row["buying_options"] or []),
                    auction_end_at=row["auction_end_at"],
                    first_seen_at=row["first_seen_at"],
                    component_type=row["component_type"],
                    found_by=list(row["found_by"]),
                    lowest=held,
                )
            )
        return found

    async def market_days(self, key: str, currency: str, since: datetime) -> list[MarketDay]:
        """A product's daily market (P25, median, P75) from the day of `since` on."""
        days = min(max((self._clock() - since).days + 2, 1), 3650)
        async with self._pool.acquire() as conn:
            rows = await baseline_repo.history(conn, key, currency, days)
        first = since.date()
        return [MarketDay(r["day"], r["p25"], r["p50"], r["p75"]) for r in rows
                if r["day"] >= first]  # fmt: skip

    async def search(
        self,
        guild_id: int | None,
        text: str,
        *,
        kind: ComponentType | None = None,
        max_unit_price: Decimal | None = None,
        limit: int = MAX_ROWS,
    ) -> list[ListingSummary]:
        """Active listings of the scope whose titles contain every word of `text`."""
        words = [w for w in text.lower().split() if w]
        if not words:
            raise BrowseError("give at least one word to search for")
        if len(words) > MAX_WORDS:
            raise BrowseError(f"give at most {MAX_WORDS} words (got {len(words)})")
        if any(len(w) > 100 for w in words):
            raise BrowseError("search words are at most 100 characters each")
        async with self._pool.acquire() as conn:
            rows = await repo.search(
                conn, guild_id, words=words, component_type=kind.value if kind else None,
                max_unit_price=max_unit_price, limit=min(limit, MAX_ROWS),
            )  # fmt: skip
        return [ListingSummary.from_row(r) for r in rows]

    async def page(
        self, guild_id: int | None, filters: ListingFilters, number: int = 1, size: int = 50
    ) -> ListingPage:
        """A page of the scope's listings, newest first unless sorted otherwise."""
        if filters.sort not in repo.SORTS:
            raise BrowseError(f"unknown sort {filters.sort!r}; use one of {', '.join(repo.SORTS)}")
        words = [w for w in (filters.text or "").lower().split() if w]
        if len(words) > MAX_WORDS:
            raise BrowseError(f"give at most {MAX_WORDS} words (got {len(words)})")
        async with self._pool.acquire() as conn:
            rows = await repo.page(
                conn, guild_id, watch_id=filters.watch_id,
                component_type=filters.kind.value if filters.kind else None,
                marketplace=filters.marketplace, min_score=filters.min_score,
                max_score=filters.max_score, min_price=filters.min_price,
                max_price=filters.max_price, words=words, sort=filters.sort,
                limit=size + 1, offset=(number - 1) * size,
            )  # fmt: skip
        items = [ListingSummary.from_row(r) for r in rows[:size]]
        return ListingPage(items, number, len(rows) > size)

    async def resolve(self, guild_id: int | None, ref: str) -> int:
        """The listing id behind a user's reference (spt id, eBay item number or URL)."""
        try:
            parsed = parse_listing_ref(ref)
        except ListingRefError as exc:
            raise BrowseError(str(exc)) from None
        async with self._pool.acquire() as conn:
            if parsed.listing_id is not None:
                if await repo.detail(conn, guild_id, parsed.listing_id) is not None:
                    return parsed.listing_id
            elif parsed.item_number is not None:
                found = await repo.find_by_item_number(conn, guild_id, parsed.item_number)
                if found is not None:
                    return found
        raise ListingNotFoundError(
            f"no listing {ref.strip()[:100]!r} among what this server's watches found"
        )

    async def detail(self, guild_id: int | None, ref: str) -> ListingDetail:
        """A listing with its attributes, score breakdown, baseline and price history."""
        listing_id = await self.resolve(guild_id, ref)
        async with self._pool.acquire() as conn:
            row = await repo.detail(conn, guild_id, listing_id)
            if row is None:  # removed between the two reads
                raise ListingNotFoundError(f"listing {listing_id} is gone")
            prices = await repo.price_history(conn, listing_id)
            found_by = await repo.finders(conn, guild_id, listing_id)
        quantity = int(row["quantity"] or 1)
        history = [
            PricePoint(p["observed_at"], _unit(p["price"], p["shipping"], quantity)) for p in prices
        ]
        condition = effective_condition(row["condition"], row.get("extracted_condition")).value
        summary = ListingSummary.from_row(
            {**row, "condition": condition, "unit_price": row["unit_price"]
             or _unit(row["price"], row["shipping"], quantity)}
        )  # fmt: skip
        confidence = row["confidence"]
        return ListingDetail(
            summary=summary,
            item_id=row["item_id"],
            seller_username=row["seller_username"],
            seller_feedback_score=row["seller_feedback_score"],
            seller_feedback_percent=row["seller_feedback_percent"],
            seller_top_rated=row["seller_top_rated"],
            buying_options=list(row["buying_options"] or []),
            auction_end_at=row["auction_end_at"],
            first_seen_at=row["first_seen_at"],
            component_type=row["component_type"],
            attributes=dict(row["attributes"] or {}),
            quantity=quantity,
            confidence=float(confidence) if confidence is not None else None,
            method=row["method"],
            backend=row["backend"],
            model=row["model"],
            low_confidence=bool(row["low_confidence"]),
            breakdown=dict(row["breakdown"] or {}),
            baseline=_baseline(row),
            history=history,
            found_by=found_by,
        )

    async def sample_prices(self, key: str, currency: str) -> list[Decimal]:
        """The unit prices behind a baseline (for its distribution chart)."""
        window = self._settings().scoring.baseline_window_days
        async with self._pool.acquire() as conn:
            return await baseline_repo.sample_prices(
                conn, key.strip().lower(), currency.upper(), self._clock(), window, MAX_SAMPLES
            )

    async def product_keys(self, fragment: str, limit: int = 25) -> list[tuple[str, int]]:
        """Product keys with a baseline containing `fragment` (autocomplete), most samples first."""
        async with self._pool.acquire() as conn:
            rows = await repo.product_keys(conn, fragment.strip()[:100], limit)
        return [(r["product_key"], int(r["samples"])) for r in rows]


def _unit(price: Decimal, shipping: Decimal | None, quantity: int) -> Decimal:
    return ((price + (shipping or Decimal(0))) / max(quantity, 1)).quantize(Decimal("0.01"))
