"""SQL for listings: upserting search pages in one round trip, lifecycle, sold prices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.db.pool import Connection
from core.marketplace.listing import MarketListing, SoldListing

# The page arrives as parallel arrays (one per column) and is unnested server-side, so a
# whole page costs one statement whatever its size.
_INPUT = """
    input AS (
        SELECT * FROM unnest(
            $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::numeric[], $9::numeric[], $10::text[], $11::int[], $12::numeric[], $13::bool[],
            $14::int[], $15::text[], $16::text[], $17::text[], $18::timestamptz[], $19::text[],
            $20::text[]
        ) AS t(item_id, legacy_item_id, title, url, image_url, currency, price, shipping,
               seller_username, seller_feedback_score, seller_feedback_percent,
               seller_top_rated, condition_id, condition_raw, condition, buying_options,
               auction_end_at, item_country, category_ids)
    ),
    before AS (
        SELECT l.id, l.price, l.shipping, l.title, l.active
        FROM listings l
        WHERE l.marketplace = $1 AND l.item_id IN (SELECT item_id FROM input)
    )"""

_INSERT = """
        INSERT INTO listings (
            marketplace, item_id, legacy_item_id, title, url, image_url, currency, price,
            shipping, seller_username, seller_feedback_score, seller_feedback_percent,
            seller_top_rated, condition_id, condition_raw, condition, buying_options,
            auction_end_at, item_country, category_ids, content_hash, first_seen_at,
            last_seen_at, updated_at, active, ended_at, sold_price, sold_at, sold_source)
        SELECT $1, i.item_id, i.legacy_item_id, i.title, i.url, i.image_url, i.currency,
            i.price, i.shipping, i.seller_username, i.seller_feedback_score,
            i.seller_feedback_percent, i.seller_top_rated, i.condition_id, i.condition_raw,
            i.condition, string_to_array(i.buying_options, ','), i.auction_end_at,
            i.item_country, string_to_array(i.category_ids, ','), md5(i.title), $22, $22, $22,
            {active}, {ended_at}, {sold_price}, {sold_at}, {sold_source}
        FROM input i"""

_SEEN = (
    _INSERT.format(
        active="true", ended_at="NULL", sold_price="NULL", sold_at="NULL", sold_source="NULL"
    )
    + """
        ON CONFLICT (marketplace, item_id) DO UPDATE SET
            legacy_item_id = EXCLUDED.legacy_item_id,
            title = EXCLUDED.title,
            url = EXCLUDED.url,
            image_url = EXCLUDED.image_url,
            currency = EXCLUDED.currency,
            price = EXCLUDED.price,
            shipping = EXCLUDED.shipping,
            seller_username = EXCLUDED.seller_username,
            seller_feedback_score = EXCLUDED.seller_feedback_score,
            seller_feedback_percent = EXCLUDED.seller_feedback_percent,
            seller_top_rated = EXCLUDED.seller_top_rated,
            condition_id = EXCLUDED.condition_id,
            condition_raw = EXCLUDED.condition_raw,
            condition = EXCLUDED.condition,
            buying_options = EXCLUDED.buying_options,
            auction_end_at = EXCLUDED.auction_end_at,
            item_country = EXCLUDED.item_country,
            category_ids = EXCLUDED.category_ids,
            content_hash = EXCLUDED.content_hash,
            last_seen_at = EXCLUDED.last_seen_at,
            updated_at = EXCLUDED.updated_at,
            active = true,
            ended_at = NULL,
            -- Seen again, so our 'ended early' guess was wrong; eBay's sold data stays.
            sold_price = CASE WHEN listings.sold_source = 'ended_early' THEN NULL
                              ELSE listings.sold_price END,
            sold_at = CASE WHEN listings.sold_source = 'ended_early' THEN NULL
                           ELSE listings.sold_at END,
            sold_source = CASE WHEN listings.sold_source = 'ended_early' THEN NULL
                               ELSE listings.sold_source END"""
)

_SOLD = (
    _INSERT.format(
        active="false",
        ended_at="COALESCE(i.sold_at, $22)",
        sold_price="i.price",
        sold_at="COALESCE(i.sold_at, $22)",
        sold_source="'marketplace_insights'",
    )
    + """
        ON CONFLICT (marketplace, item_id) DO UPDATE SET
            active = false,
            ended_at = COALESCE(listings.ended_at, EXCLUDED.ended_at),
            sold_price = EXCLUDED.sold_price,
            sold_at = EXCLUDED.sold_at,
            sold_source = 'marketplace_insights',
            updated_at = EXCLUDED.updated_at"""
)

_FOLLOW_UP = """,
    changes AS (
        SELECT u.id, u.price, u.shipping, b.id IS NULL AS is_new,
            b.id IS NOT NULL AND (b.price IS DISTINCT FROM u.price
                                  OR b.shipping IS DISTINCT FROM u.shipping) AS price_changed,
            b.id IS NOT NULL AND b.title IS DISTINCT FROM u.title AS title_changed,
            b.id IS NOT NULL AND NOT b.active AND u.active AS reactivated
        FROM upserted u LEFT JOIN before b ON b.id = u.id
    ),
    hits AS (
        INSERT INTO watch_hits (watch_id, listing_id, first_hit_at, last_hit_at)
        SELECT w.id, c.id, $22, $22 FROM changes c CROSS JOIN unnest($21::bigint[]) AS w(id)
        ON CONFLICT (watch_id, listing_id) DO UPDATE SET last_hit_at = EXCLUDED.last_hit_at
    ),
    prices AS (
        INSERT INTO listing_prices (listing_id, observed_at, price, shipping)
        SELECT id, $22, price, shipping FROM changes WHERE is_new OR price_changed
        ON CONFLICT DO NOTHING
    ),
    jobs AS (
        INSERT INTO extraction_jobs (listing_id, reason)
        SELECT id, CASE WHEN is_new THEN 'new' ELSE 'changed' END
        FROM changes WHERE is_new OR title_changed
        ON CONFLICT (listing_id) WHERE status IN ('pending', 'running') DO NOTHING
    )
    SELECT count(*) AS seen,
        count(*) FILTER (WHERE is_new) AS new,
        count(*) FILTER (WHERE price_changed) AS price_changed,
        count(*) FILTER (WHERE title_changed) AS title_changed,
        count(*) FILTER (WHERE reactivated) AS reactivated
    FROM changes"""

_RETURNING = " RETURNING id, price, shipping, title, active"
UPSERT_SEEN = f"WITH {_INPUT}, upserted AS ({_SEEN}{_RETURNING}){_FOLLOW_UP}"
# Sold items carry one more column: when they sold ($23).
_SOLD_INPUT = _INPUT.replace("$20::text[]\n", "$20::text[], $23::timestamptz[]\n").replace(
    "category_ids)", "category_ids, sold_at)"
)
UPSERT_SOLD = f"WITH {_SOLD_INPUT}, upserted AS ({_SOLD}{_RETURNING}){_FOLLOW_UP}"


@dataclass(frozen=True)
class PageOutcome:
    """What one upserted page changed."""

    seen: int = 0
    new: int = 0
    price_changed: int = 0
    title_changed: int = 0
    reactivated: int = 0

    def __add__(self, other: PageOutcome) -> PageOutcome:
        return PageOutcome(
            self.seen + other.seen,
            self.new + other.new,
            self.price_changed + other.price_changed,
            self.title_changed + other.title_changed,
            self.reactivated + other.reactivated,
        )


def _columns(listings: Sequence[MarketListing]) -> list[list[Any]]:
    return [
        [x.item_id for x in listings],
        [x.legacy_item_id for x in listings],
        [x.title for x in listings],
        [x.url for x in listings],
        [x.image_url for x in listings],
        [x.currency for x in listings],
        [x.price for x in listings],
        [x.shipping for x in listings],
        [x.seller_username for x in listings],
        [x.seller_feedback_score for x in listings],
        [x.seller_feedback_percent for x in listings],
        [x.seller_top_rated for x in listings],
        [x.condition_id for x in listings],
        [x.condition_raw for x in listings],
        [x.condition.value for x in listings],
        [",".join(x.buying_options) for x in listings],
        [x.auction_end_at for x in listings],
        [x.item_country for x in listings],
        [",".join(x.category_ids) for x in listings],
    ]


def _unique(listings: Sequence[MarketListing]) -> list[MarketListing]:
    # A row may be upserted once per statement; eBay can repeat an item across a page.
    seen: dict[str, MarketListing] = {}
    for listing in listings:
        seen.setdefault(listing.item_id, listing)
    return list(seen.values())


async def upsert_seen(
    conn: Connection, watch_ids: Sequence[int], listings: Sequence[MarketListing], now: datetime
) -> PageOutcome:
    """Store a search page: new listings, re-seen ones (price, last seen, reactivation),
    the watch's hits, price history and extraction jobs, in one statement."""
    if not listings:
        return PageOutcome()
    unique = _unique(listings)
    marketplace = unique[0].marketplace.value
    row = await conn.fetchrow(UPSERT_SEEN, marketplace, *_columns(unique), list(watch_ids), now)
    assert row is not None
    return PageOutcome(**dict(row))


async def upsert_sold(
    conn: Connection, watch_ids: Sequence[int], sales: Sequence[SoldListing], now: datetime
) -> PageOutcome:
    """Record sold items from Marketplace Insights: new ones arrive inactive with a sold price."""
    if not sales:
        return PageOutcome()
    by_id = {s.listing.item_id: s for s in sales}
    unique = [s.listing for s in by_id.values()]
    sold_at = [by_id[x.item_id].sold_at for x in unique]
    marketplace = unique[0].marketplace.value
    row = await conn.fetchrow(UPSERT_SOLD, marketplace, *_columns(unique), list(watch_ids), now,
                              sold_at)  # fmt: skip
    assert row is not None
    return PageOutcome(**dict(row))


async def deactivate_stale(conn: Connection, now: datetime, stale_hours: float) -> int:
    """Listings unseen for `stale_hours` become inactive; returns how many."""
    result = await conn.execute(
        "UPDATE listings SET active = false, ended_at = $1, updated_at = $1 "
        "WHERE active AND last_seen_at < $1::timestamptz - make_interval(secs => $2::float8)",
        now,
        stale_hours * 3600.0,
    )
    return _count(result)


async def deactivate_ended(conn: Connection, now: datetime) -> int:
    """Listings past their end date (auctions, timed fixed-price) become inactive."""
    result = await conn.execute(
        "UPDATE listings SET active = false, ended_at = auction_end_at, updated_at = $1 "
        "WHERE active AND auction_end_at <= $1",
        now,
    )
    return _count(result)


async def mark_vanished(
    conn: Connection, watch_id: int, run_started: datetime, now: datetime, early_margin_hours: float
) -> tuple[int, int]:
    """After a complete sweep: the watch's active listings it did not see again are gone.

    A fixed-price one that vanished well before its end (or had none) is recorded as
    'ended early, likely sold' at its last price; returns (deactivated, likely sold).
    """
    rows = await conn.fetch(
        """
        UPDATE listings l SET
            active = false,
            ended_at = $3,
            updated_at = $3,
            sold_price = CASE WHEN early THEN l.price ELSE l.sold_price END,
            sold_at = CASE WHEN early THEN l.last_seen_at ELSE l.sold_at END,
            sold_source = CASE WHEN early THEN 'ended_early' ELSE l.sold_source END
        FROM (
            SELECT l2.id,
                'FIXED_PRICE' = ANY(l2.buying_options) AND NOT 'AUCTION' = ANY(l2.buying_options)
                AND l2.sold_source IS NULL
                AND (l2.auction_end_at IS NULL
                     OR l2.auction_end_at
                        > $3::timestamptz + make_interval(secs => $4::float8)) AS early
            FROM listings l2 JOIN watch_hits h ON h.listing_id = l2.id AND h.watch_id = $1
            WHERE l2.active AND l2.last_seen_at < $2
        ) v
        WHERE l.id = v.id
        RETURNING v.early
        """,
        watch_id,
        run_started,
        now,
        early_margin_hours * 3600.0,
    )
    return len(rows), sum(1 for r in rows if r["early"])


def _count(status: str) -> int:
    # asyncpg returns the command tag, e.g. "UPDATE 3".
    return int(status.rsplit(" ", 1)[-1])


async def count(conn: Connection) -> int:
    """How many listings are stored."""
    return int(await conn.fetchval("SELECT count(*) FROM listings"))
