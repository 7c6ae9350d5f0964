"""The sandbox catalog: a deterministic, realistic set of eBay listings built from a seed.

Every listing keeps ground truth the server never serves (component type, product key,
quantity, deal class) so later work can grade extraction and scoring against it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import TypeVar

from core.models import ComponentType, Marketplace
from sandbox.products import (
    CATEGORY_NAMES,
    FX_FROM_USD,
    AttributeValue,
    Product,
    products_by_type,
)
from sandbox.sellers import Seller, make_sellers
from sandbox.titles import TitleContext, render_title

CONDITIONS: dict[int, str] = {
    1000: "New",
    1500: "New other (see details)",
    2000: "Certified - Refurbished",
    2500: "Seller refurbished",
    3000: "Used",
    7000: "For parts or not working",
}

DOMAINS: dict[Marketplace, str] = {
    Marketplace.EBAY_US: "www.ebay.com",
    Marketplace.EBAY_GB: "www.ebay.co.uk",
    Marketplace.EBAY_DE: "www.ebay.de",
    Marketplace.EBAY_AU: "www.ebay.com.au",
}

FIXED_PRICE = "FIXED_PRICE"
AUCTION = "AUCTION"
BEST_OFFER = "BEST_OFFER"


class DealClass(StrEnum):
    """How a listing's price was drawn relative to its product's market price."""

    MARKET = "market"  # within about 15% of market
    DEAL = "deal"  # 40-70% under market: a real deal
    OVERPRICED = "overpriced"  # 130-200% of market
    FOR_PARTS = "for_parts"  # condition 7000, priced as junk


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """What the listing really is; never served, used to grade extraction and scoring."""

    component_type: ComponentType
    product: str  # the product table key
    product_key: str | None  # DOMAIN.md product key; None for `other`
    quantity: int
    deal_class: DealClass
    attributes: dict[str, AttributeValue]
    market_unit_price: Decimal  # one unit at market, in the listing's currency


@dataclass(frozen=True, slots=True)
class Listing:
    """One eBay listing: what the server serves, its timeline, and its ground truth."""

    item_id: str
    legacy_item_id: str
    marketplace: Marketplace
    title: str
    price: Decimal
    currency: str
    shipping: Decimal | None  # None: no shippingOptions are served
    condition_id: int
    buying_options: tuple[str, ...]
    seller: Seller
    category_id: str
    image_url: str
    listed_at: datetime
    ended_at: datetime | None  # auction end or early end of a fixed-price listing
    bid_count: int | None
    sold: bool
    sold_price: Decimal | None
    sold_quantity: int
    truth: GroundTruth

    @property
    def condition(self) -> str:
        """eBay's condition label for `condition_id`."""
        return CONDITIONS[self.condition_id]

    @property
    def category_name(self) -> str:
        """eBay's name for `category_id`."""
        return CATEGORY_NAMES[self.category_id]

    @property
    def is_auction(self) -> bool:
        """Whether bidding decides the price."""
        return AUCTION in self.buying_options

    @property
    def item_end_date(self) -> datetime | None:
        """The end date eBay shows: only auctions carry one."""
        return self.ended_at if self.is_auction else None

    @property
    def web_url(self) -> str:
        """The listing page on the marketplace's own domain."""
        return f"https://{DOMAINS[self.marketplace]}/itm/{self.legacy_item_id}"

    @property
    def total_cost(self) -> Decimal:
        """Price plus stated shipping."""
        return self.price + (self.shipping or Decimal(0))

    def visible_at(self, when: datetime) -> bool:
        """Whether search shows the listing at `when`: listed and not yet ended."""
        return self.listed_at <= when and (self.ended_at is None or when < self.ended_at)

    def sold_by(self, when: datetime) -> bool:
        """Whether the listing had sold by `when`."""
        return self.sold and self.ended_at is not None and self.ended_at <= when


@dataclass(frozen=True, repr=False)
class Catalog:
    """All listings of a sandbox marketplace, ordered by when they were listed."""

    seed: int
    now: datetime
    listings: tuple[Listing, ...]
    _by_id: dict[str, Listing] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {item.item_id: item for item in self.listings})

    def __repr__(self) -> str:
        return f"Catalog(seed={self.seed}, now={self.now.isoformat()}, {len(self)} listings)"

    def __len__(self) -> int:
        return len(self.listings)

    def __iter__(self) -> Iterator[Listing]:
        return iter(self.listings)

    def get(self, item_id: str) -> Listing | None:
        """The listing with this eBay item id (`v1|...|0`), if any."""
        return self._by_id.get(item_id)

    def in_marketplace(self, marketplace: Marketplace) -> list[Listing]:
        """Every listing of one marketplace, visible or not."""
        return [item for item in self.listings if item.marketplace is marketplace]

    def visible_at(self, when: datetime, marketplace: Marketplace | None = None) -> list[Listing]:
        """The listings search shows at `when`, optionally for one marketplace."""
        return [
            item
            for item in self.listings
            if item.visible_at(when) and (marketplace is None or item.marketplace is marketplace)
        ]

    def sold_by(self, when: datetime, marketplace: Marketplace | None = None) -> list[Listing]:
        """The listings that had sold by `when`, optionally for one marketplace."""
        return [
            item
            for item in self.listings
            if item.sold_by(when) and (marketplace is None or item.marketplace is marketplace)
        ]


# --- generation ----------------------------------------------------------------------

_TYPE_WEIGHTS: dict[ComponentType, float] = {
    ComponentType.RAM: 0.21,
    ComponentType.DRIVE: 0.19,
    ComponentType.SERVER: 0.11,
    ComponentType.CPU: 0.12,
    ComponentType.NIC: 0.08,
    ComponentType.GPU: 0.08,
    ComponentType.WORKSTATION: 0.05,
    ComponentType.DESKTOP: 0.06,
    ComponentType.OTHER: 0.10,
}
_MARKET_WEIGHTS: dict[Marketplace, float] = {
    Marketplace.EBAY_US: 0.50,
    Marketplace.EBAY_GB: 0.20,
    Marketplace.EBAY_DE: 0.18,
    Marketplace.EBAY_AU: 0.12,
}
_LOT_CHANCE: dict[ComponentType, float] = {
    ComponentType.RAM: 0.30,
    ComponentType.DRIVE: 0.15,
    ComponentType.SERVER: 0.03,
    ComponentType.CPU: 0.12,
    ComponentType.NIC: 0.08,
    ComponentType.GPU: 0.05,
    ComponentType.WORKSTATION: 0.0,
    ComponentType.DESKTOP: 0.12,
    ComponentType.OTHER: 0.30,
}
_SHIPPING_USD: dict[ComponentType, tuple[float, float]] = {
    ComponentType.RAM: (3, 8),
    ComponentType.DRIVE: (4, 10),
    ComponentType.SERVER: (40, 120),
    ComponentType.CPU: (3, 8),
    ComponentType.NIC: (4, 10),
    ComponentType.GPU: (10, 25),
    ComponentType.WORKSTATION: (30, 90),
    ComponentType.DESKTOP: (15, 35),
    ComponentType.OTHER: (4, 15),
}
_USED_CONDITIONS = ((3000, 0.58), (2500, 0.16), (1000, 0.09), (1500, 0.09), (2000, 0.08))
# Real deals are rare on eBay: a few listings in a hundred, so the demo's alerts are a
# handful among thousands of listings, not one in ten. Most listings sit at the market.
_DEAL_WEIGHTS = (
    (DealClass.MARKET, 0.815),
    (DealClass.DEAL, 0.025),
    (DealClass.OVERPRICED, 0.10),
    (DealClass.FOR_PARTS, 0.06),
)
# Unit price as a share of the product's market price (seller-style rounding goes lower).
_PRICE_RANGE: dict[DealClass, tuple[float, float]] = {
    DealClass.MARKET: (0.85, 1.15),
    DealClass.DEAL: (0.30, 0.60),
    DealClass.OVERPRICED: (1.35, 2.0),
    DealClass.FOR_PARTS: (0.10, 0.35),
}
_AUCTION_DAYS = (1, 3, 5, 7, 10)
_HISTORY_SHARE = 0.12  # already ended before `now`: feeds sold-item search
_UPCOMING_SHARE = 0.10  # listed after `now`: appears as the clock advances
_CENT = Decimal("0.01")
_T = TypeVar("_T")


def build_catalog(seed: int = 1, size: int = 2400, now: datetime | None = None) -> Catalog:
    """A deterministic catalog of `size` listings around `now`.

    The same seed, size and `now` give an identical catalog. `now` defaults to the
    current UTC time floored to the minute; listings spread from weeks before it to a
    day after it, so some appear only as a server's clock passes their `listed_at`.
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    if now is None:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    sellers = make_sellers(rng)
    table = products_by_type()
    drafts = [_draft(rng, table, sellers, now) for _ in range(size)]
    drafts.sort(key=lambda d: (d.listed_at, d.title))
    legacy = 110_000_000_000 + rng.randrange(10**10)
    listings: list[Listing] = []
    for draft in drafts:
        legacy += rng.randrange(1, 40_000)  # eBay item numbers grow with listing time
        listings.append(draft.finish(str(legacy)))
    return Catalog(seed=seed, now=now, listings=tuple(listings))


@dataclass(slots=True)
class _Draft:
    marketplace: Marketplace
    title: str
    price: Decimal
    shipping: Decimal | None
    condition_id: int
    buying_options: tuple[str, ...]
    seller: Seller
    category_id: str
    image_url: str
    listed_at: datetime
    ended_at: datetime | None
    bid_count: int | None
    sold: bool
    sold_price: Decimal | None
    sold_quantity: int
    truth: GroundTruth

    def finish(self, legacy_id: str) -> Listing:
        return Listing(
            item_id=f"v1|{legacy_id}|0",
            legacy_item_id=legacy_id,
            marketplace=self.marketplace,
            title=self.title,
            price=self.price,
            currency=self.marketplace.currency,
            shipping=self.shipping,
            condition_id=self.condition_id,
            buying_options=self.buying_options,
            seller=self.seller,
            category_id=self.category_id,
            image_url=self.image_url,
            listed_at=self.listed_at,
            ended_at=self.ended_at,
            bid_count=self.bid_count,
            sold=self.sold,
            sold_price=self.sold_price,
            sold_quantity=self.sold_quantity,
            truth=self.truth,
        )


def _weighted(rng: random.Random, pairs: Sequence[tuple[_T, float]]) -> _T:
    roll = rng.random() * sum(weight for _, weight in pairs)
    for value, weight in pairs:
        roll -= weight
        if roll < 0:
            return value
    return pairs[-1][0]


def _draft(
    rng: random.Random,
    table: dict[ComponentType, tuple[Product, ...]],
    sellers: dict[Marketplace, list[Seller]],
    now: datetime,
) -> _Draft:
    ctype = _weighted(rng, list(_TYPE_WEIGHTS.items()))
    product = rng.choice(table[ctype])
    market = _weighted(rng, list(_MARKET_WEIGHTS.items()))
    quantity = 1
    if product.lot_sizes and rng.random() < _LOT_CHANCE[ctype]:
        quantity = rng.choice(product.lot_sizes)
    deal = _weighted(rng, _DEAL_WEIGHTS)
    condition = 7000 if deal is DealClass.FOR_PARTS else _weighted(rng, _USED_CONDITIONS)
    german = market is Marketplace.EBAY_DE and rng.random() < 0.55
    title = render_title(product, TitleContext(rng, market, german, quantity, condition))

    rate = FX_FROM_USD[market]
    unit = product.market_usd * rate
    low, high = _PRICE_RANGE[deal]
    price = _price_point(unit * quantity * rng.uniform(low, high), rng)
    shipping = _shipping(rng, ctype, rate, market)

    # Most sellers list at home; some US sellers list abroad too and ship from the US.
    home = market if rng.random() < 0.85 else Marketplace.EBAY_US
    seller = rng.choice(sellers[home])

    roll = rng.random()
    auction = roll < 0.15
    if auction:
        options: tuple[str, ...] = (AUCTION,)
    elif roll < 0.35:
        options = (FIXED_PRICE, BEST_OFFER)
    else:
        options = (FIXED_PRICE,)
    listed_at, ended_at = _timeline(rng, now, auction)
    sold = ended_at is not None and rng.random() < (0.7 if auction else 0.75)
    if ended_at is not None and not auction and ended_at > now:
        sold = True  # a fixed-price listing ends early only because it sold
    sold_price: Decimal | None = None
    sold_quantity = 0
    if sold:
        sold_price = _price_point(float(price) * rng.uniform(1.0, 1.4), rng) if auction else price
        sold_price = max(sold_price, price)
        sold_quantity = 1 if auction or rng.random() < 0.85 else rng.randrange(2, 5)

    truth = GroundTruth(
        component_type=ctype,
        product=product.key,
        product_key=product.product_key,
        quantity=quantity,
        deal_class=deal,
        attributes=product.attributes,
        market_unit_price=Decimal(unit).quantize(_CENT),
    )
    return _Draft(
        marketplace=market,
        title=title,
        price=price,
        shipping=shipping,
        condition_id=condition,
        buying_options=options,
        seller=seller,
        category_id=product.category_id,
        image_url=_image_url(rng),
        listed_at=listed_at,
        ended_at=ended_at,
        bid_count=rng.randrange(0, 25) if auction else None,
        sold=sold,
        sold_price=sold_price,
        sold_quantity=sold_quantity,
        truth=truth,
    )


def _timeline(rng: random.Random, now: datetime, auction: bool) -> tuple[datetime, datetime | None]:
    """When a listing starts and (if it does) ends, relative to the catalog's `now`."""
    roll = rng.random()
    duration = timedelta(days=rng.choice(_AUCTION_DAYS))
    if roll < _HISTORY_SHARE:
        listed = now - timedelta(days=rng.uniform(12, 80))
        if auction:
            return listed, listed + duration
        return listed, listed + timedelta(hours=rng.uniform(6, 240))
    if roll < _HISTORY_SHARE + _UPCOMING_SHARE:
        listed = now + timedelta(minutes=rng.uniform(1, 24 * 60))
        return listed, (listed + duration) if auction else None
    # Active now; recent listings are more common than old ones.
    listed = now - timedelta(minutes=1 + 30 * 24 * 60 * rng.random() ** 1.6)
    if auction:
        end = now + timedelta(minutes=rng.uniform(30, 7 * 24 * 60))
        start = end - duration
        if start > now:
            start = now - timedelta(minutes=rng.uniform(1, 60))
        return start, end
    if rng.random() < 0.10:
        return listed, now + timedelta(minutes=rng.uniform(10, 72 * 60))
    return listed, None


def _price_point(amount: float, rng: random.Random) -> Decimal:
    """A seller-style price at or just below `amount` (x.99, x.95, x.00, round fives)."""
    if amount < 2:
        return max(Decimal("0.99"), Decimal(amount).quantize(_CENT, rounding=ROUND_DOWN))
    if amount < 20:  # cheap parts end in 9 cents: 12.79, not a whole unit lower
        return Decimal(int(amount * 10)) / 10 - _CENT
    whole = int(amount)
    style = rng.random()
    if amount >= 250 and style < 0.3:
        return Decimal(whole - whole % 5)
    if style < 0.6:
        return Decimal(whole - 1) + Decimal("0.99")
    if style < 0.75:
        return Decimal(whole - 1) + Decimal("0.95")
    return Decimal(whole)


def _shipping(
    rng: random.Random, ctype: ComponentType, rate: float, market: Marketplace
) -> Decimal | None:
    roll = rng.random()
    if roll < 0.08:
        return None  # no shippingOptions at all, as for local pickup or calculated shipping
    if roll < 0.48:
        return Decimal("0.00")
    low, high = _SHIPPING_USD[ctype]
    return Decimal(rng.uniform(low, high) * rate).quantize(_CENT)


_IMAGE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~"


def _image_url(rng: random.Random) -> str:
    code = "".join(rng.choice(_IMAGE_ALPHABET) for _ in range(16))
    return f"https://i.ebayimg.com/images/g/{code}/s-l500.jpg"
