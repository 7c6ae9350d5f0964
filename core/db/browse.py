"""SQL for reading listings as a scope sees them: its watches' finds, best deals first.

A listing belongs to everyone in principle (it is public on eBay), but a guild only sees
the listings its own watches found: every query here is scoped by guild (NULL is the
local scope) through `watch_hits`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.db.pool import Connection
from core.pricing.scoring import Market

# $1 is always the scope. Guild ids are never 0, so COALESCE maps the local scope there.
_VISIBLE = """EXISTS (
    SELECT 1 FROM watch_hits h JOIN watches w ON w.id = h.watch_id
    WHERE h.listing_id = l.id AND COALESCE(w.guild_id, 0) = COALESCE($1::bigint, 0)
      AND ($2::bigint IS NULL OR w.id = $2))"""

_SEEN_BY_SCOPE = """EXISTS (
    SELECT 1 FROM watch_hits h JOIN watches w ON w.id = h.watch_id
    WHERE h.listing_id = l.id AND COALESCE(w.guild_id, 0) = COALESCE($1::bigint, 0))"""

_SUMMARY = """
    l.id AS listing_id, l.title, l.url, l.legacy_item_id, l.marketplace, l.currency, l.price,
    l.shipping, l.condition, l.image_url, l.active, l.last_seen_at"""


async def top(
    conn: Connection,
    guild_id: int | None,
    *,
    watch_id: int | None,
    product_key: str | None,
    key_prefix: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The best-scored active listings the scope's watches found (mature baselines first)."""
    # Only the filters given are in the statement: `$n IS NULL OR ...` would leave
    # PostgreSQL a generic plan that scans every score once the statement is prepared.
    args: list[Any] = [guild_id, limit]
    where = ["s.is_current", "l.active"]
    if watch_id is not None:
        args.append(watch_id)
        where.append(f"s.listing_id IN (SELECT listing_id FROM watch_hits WHERE watch_id = "
                     f"${len(args)})")  # fmt: skip
        where.append(f"EXISTS (SELECT 1 FROM watches w WHERE w.id = ${len(args)} "
                     "AND COALESCE(w.guild_id, 0) = COALESCE($1::bigint, 0))")  # fmt: skip
    else:
        where.append(_SEEN_BY_SCOPE)
    if product_key is not None:
        args.append(product_key)
        where.append(f"s.product_key = ${len(args)}")
    if key_prefix is not None:
        # Product keys start with their type (`ram:...`); an index ranks scores per type.
        args.append(key_prefix)
        where.append(f"split_part(s.product_key, ':', 1) = ${len(args)}")
    rows = await conn.fetch(
        f"""
        SELECT {_SUMMARY}, s.score, s.cold_start, s.unit_price, s.product_key,
               s.breakdown -> 'price' ->> 'position' AS price_position
        FROM scores s JOIN listings l ON l.id = s.listing_id
        WHERE {" AND ".join(where)}
        ORDER BY s.cold_start, s.score DESC, s.listing_id DESC
        LIMIT $2
        """,
        *args,
    )
    return [dict(r) for r in rows]


async def deals(
    conn: Connection, guild_id: int | None, *, now: datetime, limit: int
) -> list[dict[str, Any]]:
    """The scope's current deals, best score first: active listings its watches found whose
    current score puts the unit price under the market's median, with no red flag (a flag
    never alerts, so it is no deal) and, for auctions, not ended yet. Which of the watches
    ask for each is decided in Python (core.alerts.service.wanted_by)."""
    # The order follows scores_score_rank; deals are the top of it, so the walk stops early.
    # "< 1", not "= 0", for no flags: PostgreSQL guesses an equality on a jsonb expression
    # matches 0.5% of rows, and would then sort every current score instead of walking.
    rows = await conn.fetch(
        f"""
        SELECT {_SUMMARY}, l.buying_options, l.auction_end_at, l.first_seen_at,
               s.score, s.cold_start, s.unit_price, s.product_key, s.baseline_samples,
               s.breakdown -> 'price' ->> 'position' AS price_position,
               (s.breakdown ->> 'median')::numeric AS median,
               (s.breakdown ->> 'discount_pct')::numeric AS discount_pct,
               COALESCE(e.quantity, 1) AS quantity, e.component_type
        FROM scores s
        JOIN listings l ON l.id = s.listing_id
        LEFT JOIN extractions e ON e.listing_id = l.id AND e.is_current
        WHERE s.is_current AND l.active
          AND (s.breakdown ->> 'discount_pct')::numeric > 0
          AND COALESCE(jsonb_array_length(s.breakdown -> 'flags'), 0) < 1
          AND (l.auction_end_at IS NULL OR l.auction_end_at > $3)
          AND {_SEEN_BY_SCOPE}
        ORDER BY s.score DESC, s.listing_id DESC
        LIMIT $2
        """,
        guild_id, limit, now,
    )  # fmt: skip
    return [dict(r) for r in rows]


async def lowest_prices(
    conn: Connection,
    guild_id: int | None,
    ceilings: Mapping[tuple[str, str], Decimal],
    since: datetime,
) -> dict[tuple[str, str], dict[str, Any]]:
    """The lowest unit price the scope's watches saw since `since`, per (product key,
    currency), when it is at most that key's ceiling (the dearest deal shown of it: a price
    above it changes nothing the page says, and skipping those skips most checks).

    Every observed price of a listing holds until its next observation (the last one until
    the listing was last seen), so a price set before `since` and still asked after it
    counts. For-parts listings and listings whose score carries a red flag (a bid far from
    an auction's end, a misread lot) are no price and are left out."""
    if not ceilings:
        return {}
    keys = list(ceilings)
    # The prices and how long each held first (cheap index probes); the scope and the
    # flags only for the few under a ceiling.
    rows = await conn.fetch(
        f"""
        WITH observed AS MATERIALIZED (
            SELECT e.product_key, l.currency, l.id AS listing_id, k.ceiling,
                   round((p.price + COALESCE(p.shipping, 0)) / e.quantity, 2) AS unit,
                   COALESCE(lead(p.observed_at) OVER held, l.last_seen_at) AS held_until
            FROM unnest($2::text[], $3::text[], $4::numeric[]) AS k(key, currency, ceiling)
            JOIN extractions e ON e.is_current AND e.product_key = k.key
            JOIN listings l ON l.id = e.listing_id AND l.currency = k.currency
            JOIN listing_prices p ON p.listing_id = l.id
            WHERE l.last_seen_at >= $5
              AND l.condition <> 'for_parts' AND e.condition <> 'for_parts'
            WINDOW held AS (PARTITION BY p.listing_id ORDER BY p.observed_at)
        )
        SELECT DISTINCT ON (o.product_key, o.currency)
               o.product_key, o.currency, o.unit AS unit_price, o.listing_id, o.held_until
        FROM observed o
        JOIN listings l ON l.id = o.listing_id
        LEFT JOIN scores s ON s.listing_id = o.listing_id AND s.is_current
        WHERE o.held_until >= $5 AND o.unit <= o.ceiling
          AND COALESCE(jsonb_array_length(s.breakdown -> 'flags'), 0) < 1
          AND {_SEEN_BY_SCOPE}
        ORDER BY o.product_key, o.currency, o.unit, o.held_until DESC, o.listing_id
        """,
        guild_id, [k for k, _ in keys], [c for _, c in keys], [ceilings[k] for k in keys],
        since,
    )  # fmt: skip
    return {(r["product_key"], r["currency"]): dict(r) for r in rows}


async def search(
    conn: Connection,
    guild_id: int | None,
    *,
    words: Sequence[str],
    component_type: str | None,
    max_unit_price: Decimal | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Active listings of the scope whose titles contain every word (any case), best first."""
    rows = await conn.fetch(
        f"""
        SELECT {_SUMMARY}, s.score, s.cold_start, e.product_key,
               COALESCE(s.unit_price,
                        round((l.price + COALESCE(l.shipping, 0)) / COALESCE(e.quantity, 1), 2))
                   AS unit_price,
               s.breakdown -> 'price' ->> 'position' AS price_position
        FROM listings l
        LEFT JOIN extractions e ON e.listing_id = l.id AND e.is_current
        LEFT JOIN scores s ON s.listing_id = l.id AND s.is_current
        WHERE l.active
          AND NOT EXISTS (SELECT 1 FROM unnest($3::text[]) AS word
                          WHERE strpos(lower(l.title), word) = 0)
          AND ($4::text IS NULL OR e.component_type = $4)
          AND ($5::numeric IS NULL OR COALESCE(s.unit_price,
                 (l.price + COALESCE(l.shipping, 0)) / COALESCE(e.quantity, 1)) <= $5)
          AND {_VISIBLE}
        ORDER BY s.score DESC NULLS LAST, l.last_seen_at DESC, l.id DESC
        LIMIT $6
        """,
        guild_id, None, [w.lower() for w in words], component_type, max_unit_price, limit,
    )  # fmt: skip
    return [dict(r) for r in rows]


async def detail(conn: Connection, guild_id: int | None, listing_id: int) -> dict[str, Any] | None:
    """One listing with its extraction, score and baseline, if the scope may see it."""
    row = await conn.fetchrow(
        f"""
        SELECT l.*, l.id AS listing_id,
               e.component_type, e.attributes, e.quantity, e.confidence, e.method, e.backend,
               e.model, e.low_confidence, e.product_key, e.condition AS extracted_condition,
               s.score, s.breakdown, s.unit_price, s.cold_start, s.baseline_samples,
               s.computed_at AS scored_at,
               b.sample_count AS b_sample_count, b.sold_count AS b_sold_count, b.p10 AS b_p10,
               b.p25 AS b_p25, b.p50 AS b_p50, b.p75 AS b_p75, b.p90 AS b_p90, b.mean AS b_mean,
               b.window_days AS b_window_days, b.computed_at AS b_computed_at,
               b.left_out_for_parts AS b_left_out_for_parts, b.left_out_low AS b_left_out_low,
               b.left_out_lots AS b_left_out_lots, b.left_out_high AS b_left_out_high
        FROM listings l
        LEFT JOIN extractions e ON e.listing_id = l.id AND e.is_current
        LEFT JOIN scores s ON s.listing_id = l.id AND s.is_current
        LEFT JOIN baselines b ON b.product_key = e.product_key AND b.currency = l.currency
        WHERE l.id = $3 AND {_VISIBLE}
        """,
        guild_id, None, listing_id,
    )  # fmt: skip
    return dict(row) if row is not None else None


async def find_by_item_number(
    conn: Connection, guild_id: int | None, item_number: str
) -> int | None:
    """The scope's listing with this eBay item number (the number in its URL)."""
    value: int | None = await conn.fetchval(
        f"""
        SELECT l.id FROM listings l
        WHERE l.legacy_item_id = $3 AND {_VISIBLE}
        ORDER BY l.last_seen_at DESC LIMIT 1
        """,
        guild_id, None, item_number,
    )  # fmt: skip
    return value


async def price_history(
    conn: Connection, listing_id: int, limit: int = 500
) -> list[dict[str, Any]]:
    """Every price observed for a listing, oldest first (the latest `limit`)."""
    rows = await conn.fetch(
        "SELECT observed_at, price, shipping FROM listing_prices WHERE listing_id = $1 "
        "ORDER BY observed_at DESC LIMIT $2",
        listing_id,
        limit,
    )
    return [dict(r) for r in reversed(rows)]


async def finders(conn: Connection, guild_id: int | None, listing_id: int) -> list[str]:
    """Names of the scope's watches that found a listing."""
    rows = await conn.fetch(
        "SELECT w.name FROM watch_hits h JOIN watches w ON w.id = h.watch_id "
        "WHERE h.listing_id = $2 AND COALESCE(w.guild_id, 0) = COALESCE($1::bigint, 0) "
        "ORDER BY lower(w.name)",
        guild_id,
        listing_id,
    )
    return [r["name"] for r in rows]


async def product_keys(conn: Connection, fragment: str, limit: int) -> list[dict[str, Any]]:
    """Product keys with a baseline whose text contains `fragment`, most samples first."""
    rows = await conn.fetch(
        "SELECT product_key, max(sample_count) AS samples FROM baselines "
        "WHERE strpos(product_key, $1) > 0 GROUP BY product_key "
        "ORDER BY max(sample_count) DESC, product_key LIMIT $2",
        fragment.lower(),
        limit,
    )
    return [dict(r) for r in rows]


async def markets(
    conn: Connection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Market]:
    """The current baselines of (product key, currency) pairs, as scoring reads them."""
    if not keys:
        return {}
    rows = await conn.fetch(
        "SELECT b.* FROM baselines b JOIN unnest($1::text[], $2::text[]) AS k(key, currency) "
        "ON b.product_key = k.key AND b.currency = k.currency",
        [k for k, _ in keys],
        [c for _, c in keys],
    )
    return {
        (r["product_key"], r["currency"]): Market(
            r["sample_count"], r["p10"], r["p25"], r["p50"], r["p75"], r["p90"]
        )
        for r in rows
    }


async def last_alert_prices(
    conn: Connection, watch_id: int, marketplace: str, item_ids: Sequence[str]
) -> dict[str, Decimal]:
    """The unit price of a watch's latest alert per eBay item (for the re-alert rule)."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT ON (l.item_id) l.item_id, a.unit_price
        FROM alerts a JOIN listings l ON l.id = a.listing_id
        WHERE a.watch_id = $1 AND l.marketplace = $2 AND l.item_id = ANY($3::text[])
        ORDER BY l.item_id, a.sequence DESC
        """,
        watch_id,
        marketplace,
        list(item_ids),
    )
    return {r["item_id"]: r["unit_price"] for r in rows}


_UNIT = (
    "COALESCE(s.unit_price, "
    "round((l.price + COALESCE(l.shipping, 0)) / COALESCE(e.quantity, 1), 2))"
)
# Sorting by score or price shows scored listings only: then the order follows an index
# (scores_score_rank, scores_unit_price) instead of sorting every listing of the scope.
_ORDER = {
    "recent": "l.first_seen_at DESC, l.id DESC",
    "score": "s.score DESC, s.listing_id DESC",
    "price": "s.unit_price ASC, s.listing_id ASC",
    "price_desc": "s.unit_price DESC, s.listing_id DESC",
}
SORTS = tuple(_ORDER)


async def page(
    conn: Connection,
    guild_id: int | None,
    *,
    watch_id: int | None = None,
    component_type: str | None = None,
    marketplace: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    words: Sequence[str] = (),
    sort: str = "recent",
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """A page of the scope's listings (active or not), filtered and sorted; `limit` rows."""
    args: list[Any] = [guild_id]
    where: list[str] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    # Only the filters given are in the statement (see `top`).
    if watch_id is not None:
        mark = arg(watch_id)
        where.append(f"l.id IN (SELECT listing_id FROM watch_hits WHERE watch_id = {mark})")
        where.append(f"EXISTS (SELECT 1 FROM watches w WHERE w.id = {mark} "
                     "AND COALESCE(w.guild_id, 0) = COALESCE($1::bigint, 0))")  # fmt: skip
    else:
        where.append(_SEEN_BY_SCOPE)
    if component_type is not None:
        where.append(f"e.component_type = {arg(component_type)}")
    if marketplace is not None:
        where.append(f"l.marketplace = {arg(marketplace)}")
    if min_score is not None:
        where.append(f"s.score >= {arg(min_score)}")
    if max_score is not None:
        where.append(f"s.score <= {arg(max_score)}")
    if min_price is not None:
        where.append(f"{_UNIT} >= {arg(min_price)}")
    if max_price is not None:
        where.append(f"{_UNIT} <= {arg(max_price)}")
    if words:
        where.append(f"NOT EXISTS (SELECT 1 FROM unnest({arg([w.lower() for w in words])}::text[])"
                     " AS word WHERE strpos(lower(l.title), word) = 0)")  # fmt: skip
    rows = await conn.fetch(
        f"""
        SELECT {_SUMMARY}, l.first_seen_at, s.score, s.cold_start, e.product_key,
               e.component_type, {_UNIT} AS unit_price,
               s.breakdown -> 'price' ->> 'position' AS price_position
        FROM listings l
        LEFT JOIN extractions e ON e.listing_id = l.id AND e.is_current
        {"LEFT " if sort == "recent" else ""}JOIN scores s ON s.listing_id = l.id AND s.is_current
        WHERE {" AND ".join(where)}
        ORDER BY {_ORDER[sort]}
        LIMIT {arg(limit)} OFFSET {arg(offset)}
        """,
        *args,
    )
    return [dict(r) for r in rows]
