"""SQL for market baselines: percentiles of unit price per (product key, currency).

Samples are unit prices, (price + shipping) / quantity, of active listings last seen
within the window, plus sold prices eBay reported (Marketplace Insights, or entered by
hand) within the window. A listing that sold is inactive, so it is never counted twice.
The weaker "ended early, likely sold" guess is not a sample: its price is an asking
price. Unknown shipping counts as 0.

Junk must not drag the percentiles, so a refresh leaves out, and counts by reason:
for-parts listings; and, once a key has `_TRIM_MIN` usable samples, prices further from
the median than `_TRIM_SPREADS` robust spreads on a log scale (IQR / 1.349 of ln(unit),
at least `_TRIM_FLOOR`, i.e. under 0.61x or over 1.65x the median): under it a lot
(`left_out_lots`) or a single unit (`left_out_low`, a fault that slipped through or a
misread), over it an absurd asking price (`left_out_high`). Sold prices are what things
really fetch, so each counts twice in the percentiles (once in `sample_count`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.db.pool import Connection

_TRIM_MIN = 5
_TRIM_SPREADS = 3.5
_TRIM_FLOOR = 0.5

_SAMPLES = f"""
    priced AS (
        SELECT e.product_key, l.currency, e.quantity, false AS sold,
               (l.price + COALESCE(l.shipping, 0)) / e.quantity AS unit,
               (l.condition = 'for_parts' OR e.condition = 'for_parts') AS for_parts
        FROM listings l JOIN extractions e ON e.listing_id = l.id AND e.is_current
        WHERE e.product_key IS NOT NULL
          AND l.active
          AND l.last_seen_at >= $1::timestamptz - make_interval(days => $2)
          AND ($3::text[] IS NULL OR e.product_key = ANY($3))
        UNION ALL
        SELECT e.product_key, l.currency, e.quantity, true,
               (l.sold_price + COALESCE(l.shipping, 0)) / e.quantity,
               (l.condition = 'for_parts' OR e.condition = 'for_parts')
        FROM listings l JOIN extractions e ON e.listing_id = l.id AND e.is_current
        WHERE e.product_key IS NOT NULL
          AND l.sold_source IN ('marketplace_insights', 'manual')
          AND l.sold_at >= $1::timestamptz - make_interval(days => $2)
          AND ($3::text[] IS NULL OR e.product_key = ANY($3))
    ),
    -- ln in float8: numeric's ln costs seconds over a million rows.
    samples AS (
        SELECT *, CASE WHEN unit > 0 THEN ln(unit::float8) END AS lu FROM priced
    ),
    spread AS (
        SELECT product_key, currency, count(*) AS n,
               percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY lu) AS q
        FROM samples WHERE NOT for_parts AND lu IS NOT NULL GROUP BY product_key, currency
    ),
    judged AS (
        SELECT s.product_key, s.currency, s.unit, s.sold,
               CASE WHEN s.for_parts THEN 'for_parts'
                    WHEN s.lu IS NULL THEN 'low'
                    WHEN k.n < {_TRIM_MIN} THEN NULL
                    WHEN s.lu < k.q[2] - GREATEST({_TRIM_SPREADS} / 1.349 * (k.q[3] - k.q[1]),
                                                        {_TRIM_FLOOR}) THEN
                        CASE WHEN s.quantity > 1 THEN 'lot' ELSE 'low' END
                    WHEN s.lu > k.q[2] + GREATEST({_TRIM_SPREADS} / 1.349 * (k.q[3] - k.q[1]),
                                                        {_TRIM_FLOOR}) THEN 'high'
               END AS left_out
        FROM samples s LEFT JOIN spread k USING (product_key, currency)
    ),
    -- Each kept sold price a second time (`again`), so that it weighs double.
    weighted AS (
        SELECT product_key, currency, unit, sold, left_out, false AS again FROM judged
        UNION ALL
        SELECT product_key, currency, unit, sold, left_out, true FROM judged
        WHERE sold AND left_out IS NULL
    ),
    stats AS (
        SELECT product_key, currency,
               count(*) FILTER (WHERE left_out IS NULL AND NOT again) AS sample_count,
               count(*) FILTER (WHERE left_out IS NULL AND sold AND NOT again) AS sold_count,
               count(*) FILTER (WHERE left_out = 'for_parts') AS left_out_for_parts,
               count(*) FILTER (WHERE left_out = 'low') AS left_out_low,
               count(*) FILTER (WHERE left_out = 'lot') AS left_out_lots,
               count(*) FILTER (WHERE left_out = 'high') AS left_out_high,
               percentile_cont(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY unit)
                   FILTER (WHERE left_out IS NULL) AS p,
               avg(unit) FILTER (WHERE left_out IS NULL) AS mean
        FROM weighted GROUP BY product_key, currency
        HAVING count(*) FILTER (WHERE left_out IS NULL) > 0
    )"""

_REFRESH = f"""
    WITH {_SAMPLES},
    gone AS (
        DELETE FROM baselines b
        WHERE ($3::text[] IS NULL OR b.product_key = ANY($3))
          AND NOT EXISTS (SELECT 1 FROM stats s
                          WHERE s.product_key = b.product_key AND s.currency = b.currency)
        RETURNING 1
    ),
    history AS (
        INSERT INTO baseline_history (product_key, currency, day, sample_count, sold_count,
                                      p10, p25, p50, p75, p90, mean)
        SELECT product_key, currency, ($1::timestamptz AT TIME ZONE 'UTC')::date, sample_count,
               sold_count, p[1], p[2], p[3], p[4], p[5], mean
        FROM stats
        ON CONFLICT (product_key, currency, day) DO UPDATE SET
            sample_count = EXCLUDED.sample_count, sold_count = EXCLUDED.sold_count,
            p10 = EXCLUDED.p10, p25 = EXCLUDED.p25, p50 = EXCLUDED.p50, p75 = EXCLUDED.p75,
            p90 = EXCLUDED.p90, mean = EXCLUDED.mean
        RETURNING 1
    ),
    upserted AS (
        INSERT INTO baselines (product_key, currency, sample_count, sold_count,
                               p10, p25, p50, p75, p90, mean, window_days, computed_at,
                               left_out_for_parts, left_out_low, left_out_lots, left_out_high)
        SELECT product_key, currency, sample_count, sold_count,
               p[1], p[2], p[3], p[4], p[5], mean, $2, $1,
               left_out_for_parts, left_out_low, left_out_lots, left_out_high
        FROM stats
        ON CONFLICT (product_key, currency) DO UPDATE SET
            sample_count = EXCLUDED.sample_count, sold_count = EXCLUDED.sold_count,
            left_out_for_parts = EXCLUDED.left_out_for_parts,
            left_out_low = EXCLUDED.left_out_low, left_out_lots = EXCLUDED.left_out_lots,
            left_out_high = EXCLUDED.left_out_high,
            p10 = EXCLUDED.p10, p25 = EXCLUDED.p25, p50 = EXCLUDED.p50, p75 = EXCLUDED.p75,
            p90 = EXCLUDED.p90, mean = EXCLUDED.mean, window_days = EXCLUDED.window_days,
            computed_at = EXCLUDED.computed_at
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM upserted) AS refreshed, (SELECT count(*) FROM gone) AS removed
"""


async def refresh(
    conn: Connection, now: datetime, window_days: int, keys: Sequence[str] | None = None
) -> tuple[int, int]:
    """Recompute baselines (all, or only `keys`) and today's history row.

    Returns (baselines written, baselines removed because no sample is left).
    """
    row = await conn.fetchrow(_REFRESH, now, window_days, list(keys) if keys is not None else None)
    assert row is not None
    return int(row["refreshed"]), int(row["removed"])


async def changed_keys(conn: Connection, since: datetime) -> list[str]:
    """Product keys whose listings or extractions changed after `since`."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT e.product_key FROM extractions e JOIN listings l ON l.id = e.listing_id
        WHERE e.is_current AND e.product_key IS NOT NULL
          AND (e.created_at > $1 OR l.updated_at > $1 OR l.last_seen_at > $1)
        """,
        since,
    )
    return [r["product_key"] for r in rows]


_COLUMNS = (
    "product_key, currency, sample_count, sold_count, p10, p25, p50, p75, p90, mean, "
    "window_days, computed_at, left_out_for_parts, left_out_low, left_out_lots, left_out_high"
)


async def list_all(
    conn: Connection,
    currency: str | None,
    min_samples: int,
    prefix: str | None,
    limit: int,
    offset: int = 0,
    contains: str | None = None,
) -> list[dict[str, Any]]:
    """Baselines, most samples first, optionally filtered."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM baselines WHERE ($1::text IS NULL OR currency = $1) "
        "AND sample_count >= $2 AND ($3::text IS NULL OR starts_with(product_key, $3)) "
        "AND ($6::text IS NULL OR strpos(product_key, $6) > 0) "
        "ORDER BY sample_count DESC, product_key, currency LIMIT $4 OFFSET $5",
        currency, min_samples, prefix, limit, offset, contains,
    )  # fmt: skip
    return [dict(r) for r in rows]


async def get(conn: Connection, key: str) -> list[dict[str, Any]]:
    """The baselines of one product key (one per currency)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM baselines WHERE product_key = $1 ORDER BY currency", key
    )
    return [dict(r) for r in rows]


async def history(conn: Connection, key: str, currency: str, days: int) -> list[dict[str, Any]]:
    """Daily history of a baseline, oldest first."""
    rows = await conn.fetch(
        "SELECT day, sample_count, sold_count, p10, p25, p50, p75, p90, mean "
        "FROM baseline_history WHERE product_key = $1 AND currency = $2 "
        "ORDER BY day DESC LIMIT $3",
        key,
        currency,
        days,
    )
    return [dict(r) for r in reversed(rows)]


async def sample_prices(
    conn: Connection, key: str, currency: str, now: datetime, window_days: int, limit: int
) -> list[Any]:
    """The unit prices a baseline is computed from (for distribution charts), at most `limit`."""
    rows = await conn.fetch(
        f"WITH {_SAMPLES} SELECT round(unit, 2) AS unit FROM judged "
        "WHERE currency = $4 AND left_out IS NULL ORDER BY unit LIMIT $5",
        now, window_days, [key], currency, limit,
    )  # fmt: skip
    return [r["unit"] for r in rows]


async def maturity(conn: Connection, min_samples: int) -> tuple[int, int]:
    """(warm, cold) baselines: with at least `min_samples` samples, and with fewer."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE sample_count >= $1) AS warm, "
        "count(*) FILTER (WHERE sample_count < $1) AS cold FROM baselines",
        min_samples,
    )
    assert row is not None
    return int(row["warm"]), int(row["cold"])
