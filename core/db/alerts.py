"""SQL for alerts and the delivery outbox.

Every change that makes an outbox message ready to send, or schedules it again (a new
message, a retry, a dead sender's message taken back, a restored alert), sends a NOTIFY on
`OUTBOX_CHANNEL` with the message's destination kind as payload, in the same transaction:
PostgreSQL delivers it at commit, so a woken sender always finds the row, and a rolled
back change wakes nobody. The senders listen (`core.db.notify`) and fall back to a slow poll.
Every write to `outbox` is in this module, so the notifications are sent here rather than
by a trigger; SQL written by hand (a message requeued from psql) is found by that poll.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.db.pool import Connection

# The channel outbox changes are announced on; the payload is the destination kind.
OUTBOX_CHANNEL = "spt_outbox"
_NOTIFY = "SELECT pg_notify($1, $2)"

_WATCH_COLUMNS = ", ".join(
    f"w.{c} AS w_{c}"
    for c in (
        "id", "guild_id", "channel_id", "owner_id", "name", "query", "component_type",
        "marketplace", "category_ids", "min_price", "max_price", "conditions", "buying_options",
        "min_seller_feedback", "min_seller_percent", "top_rated_only", "filters", "threshold",
        "cold_start_opt_in", "realert_step_pct", "poll_interval_seconds", "enabled",
        "next_run_at", "last_run_at", "last_sweep_at", "last_error", "avg_calls_per_run",
        "lease_holder", "lease_expires_at", "created_at", "updated_at", "muted_until",
        "delivery_error", "delivery_error_at",
    )
)  # fmt: skip


async def candidates(
    conn: Connection, listing_ids: Sequence[int], now: datetime
) -> list[dict[str, Any]]:
    """(watch, listing) pairs to decide: enabled watches that found these scored listings,
    with the last alert's unit price; muted watches, listings, keys and sellers are left out."""
    rows = await conn.fetch(
        f"""
        SELECT {_WATCH_COLUMNS},
               l.id AS listing_id, l.title, l.url, l.image_url, l.currency, l.price, l.shipping,
               l.condition AS listing_condition, l.seller_username, l.seller_feedback_score,
               l.seller_feedback_percent, l.seller_top_rated, l.marketplace,
               e.component_type, e.attributes, e.quantity, e.condition AS extracted_condition,
               e.product_key, s.id AS score_id, s.score, s.cold_start, s.unit_price,
               s.breakdown, last.unit_price AS last_unit_price, last.sequence AS last_sequence
        FROM watch_hits h
        JOIN watches w ON w.id = h.watch_id AND w.enabled
            AND (w.muted_until IS NULL OR w.muted_until <= $2)
        JOIN listings l ON l.id = h.listing_id AND l.active
        JOIN extractions e ON e.listing_id = l.id AND e.is_current
        JOIN scores s ON s.listing_id = l.id AND s.is_current
        LEFT JOIN LATERAL (
            SELECT a.unit_price, a.sequence FROM alerts a
            WHERE a.watch_id = w.id AND a.listing_id = l.id
            ORDER BY a.sequence DESC LIMIT 1
        ) last ON true
        WHERE h.listing_id = ANY($1::bigint[])
          AND NOT EXISTS (
              SELECT 1 FROM mutes m WHERE m.guild_id = COALESCE(w.guild_id, 0) AND (
                  (m.kind = 'listing' AND m.value = l.id::text)
                  OR (m.kind = 'product_key' AND m.value = e.product_key)
                  OR (m.kind = 'seller' AND m.value = l.seller_username)))
        """,
        list(listing_ids),
        now,
    )
    return [dict(r) for r in rows]


@dataclass(frozen=True)
class DailyCap:
    """At most `limit` alerts for one channel of a guild from `start` to `end` (the guild's
    calendar day); `reason` is stored on each alert held back."""

    limit: int
    start: datetime
    end: datetime
    reason: str


async def create(
    conn: Connection,
    *,
    watch_id: int,
    listing_id: int,
    score_id: int,
    guild_id: int | None,
    score: Decimal,
    unit_price: Decimal,
    currency: str,
    cold_start: bool,
    sequence: int,
    destination_kind: str,
    destination: str,
    now: datetime,
    cap: DailyCap | None = None,
) -> tuple[int, str] | None:
    """An alert and its outbox message, atomically; None if that alert already exists.

    With `cap` (a guild channel's daily cap) the alert is stored as 'capped', with the
    cap's reason and no outbox message, when the channel already has `cap.limit` alerts
    that day. Returns the alert id and its status ('queued' or 'capped').
    """
    async with conn.transaction():
        status, reason = "queued", None
        if (
            cap is not None
            and guild_id is not None
            and await _cap_reached(conn, guild_id, destination_kind, destination, cap)
        ):
            status, reason = "capped", cap.reason
        alert_id: int | None = await conn.fetchval(
            """
            INSERT INTO alerts (watch_id, listing_id, score_id, guild_id, score, unit_price,
                                currency, cold_start, sequence, status, created_at,
                                suppressed_reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (watch_id, listing_id, sequence) DO NOTHING
            RETURNING id
            """,
            watch_id, listing_id, score_id, guild_id, score, unit_price, currency, cold_start,
            sequence, status, now, reason,
        )  # fmt: skip
        if alert_id is None:
            return None
        if status == "capped":
            return alert_id, status
        outbox_id = await conn.fetchval(
            """
            INSERT INTO outbox (idempotency_key, destination_kind, destination, kind, created_at,
                                next_attempt_at)
            VALUES ($1, $2, $3, 'alert', $4, $4)
            ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
            RETURNING id
            """,
            f"alert:{watch_id}:{listing_id}:{sequence}", destination_kind, destination, now,
        )  # fmt: skip
        await conn.execute("UPDATE alerts SET outbox_id = $1 WHERE id = $2", outbox_id, alert_id)
        await conn.execute(_NOTIFY, OUTBOX_CHANNEL, destination_kind)
    return alert_id, status


async def _cap_reached(
    conn: Connection, guild_id: int, kind: str, destination: str, cap: DailyCap
) -> bool:
    """Whether the channel already has its day's alerts. Counted are the alerts that went
    or are going out (queued, delivered, or dismissed after delivery), not those muted or
    dismissed before they were sent, nor those the cap held back. A transaction lock per
    channel makes concurrent creators count one after the other, so none slips past."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"spt:daily-cap:{destination}"
    )
    count = await conn.fetchval(
        """
        SELECT count(*) FROM alerts a JOIN outbox o ON o.id = a.outbox_id
        WHERE a.guild_id = $1 AND a.created_at >= $2 AND a.created_at < $3
          AND o.destination_kind = $4 AND o.destination = $5
          AND (a.status IN ('pending', 'queued', 'delivered') OR a.delivered_at IS NOT NULL)
        """,
        guild_id, cap.start, cap.end, kind, destination,
    )  # fmt: skip
    return int(count) >= cap.limit


async def claim_outbox(
    conn: Connection,
    worker: str,
    kinds: Sequence[str],
    now: datetime,
    lease: float,
    limit: int,
    held_guilds: Sequence[int] = (),
) -> list[dict[str, Any]]:
    """Lease ready outbox messages for these destination kinds, with their alerts' content.
    Messages of alerts of `held_guilds` (in quiet hours) are left pending, untouched."""
    rows = await conn.fetch(
        """
        WITH claimed AS (
            UPDATE outbox o SET status = 'sending', leased_by = $1, attempts = o.attempts + 1,
                lease_expires_at = $3::timestamptz + make_interval(secs => $4::float8)
            WHERE o.id IN (
                SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3
                  AND destination_kind = ANY($2::text[])
                  AND NOT EXISTS (SELECT 1 FROM alerts h WHERE h.outbox_id = outbox.id
                                  AND h.guild_id = ANY($6::bigint[]))
                ORDER BY next_attempt_at, id LIMIT $5 FOR UPDATE SKIP LOCKED)
            RETURNING o.*
        )
        SELECT c.id AS outbox_id, c.idempotency_key, c.destination_kind, c.destination, c.attempts,
               c.message_key, c.first_sent_at, c.accepted_targets,
               a.id AS alert_id, a.watch_id,
               a.status AS alert_status, a.score, a.unit_price, a.currency, a.cold_start,
               a.sequence, w.name AS watch_name, l.title, l.url, l.legacy_item_id, l.image_url,
               l.price, l.shipping, l.condition, l.seller_username, l.seller_feedback_score,
               l.seller_feedback_percent, l.seller_top_rated, l.marketplace, s.breakdown,
               s.baseline_samples, e.product_key, e.quantity, b.p50 AS baseline_p50,
               b.sold_count AS baseline_sold
        FROM claimed c
        JOIN alerts a ON a.outbox_id = c.id
        JOIN watches w ON w.id = a.watch_id
        JOIN listings l ON l.id = a.listing_id
        LEFT JOIN scores s ON s.id = a.score_id
        LEFT JOIN extractions e ON e.listing_id = l.id AND e.is_current
        LEFT JOIN baselines b ON b.product_key = e.product_key AND b.currency = a.currency
        ORDER BY c.id
        """,
        worker, list(kinds), now, lease, limit, list(held_guilds),
    )  # fmt: skip
    return [dict(r) for r in rows]


async def plan_message(
    conn: Connection, outbox_ids: Sequence[int], worker: str, key: str, now: datetime
) -> None:
    """Before a send: which message these outbox rows go out in, and when it was first sent."""
    await conn.execute(
        "UPDATE outbox SET message_key = $3, first_sent_at = COALESCE(first_sent_at, $4) "
        "WHERE id = ANY($1::bigint[]) AND leased_by = $2",
        list(outbox_ids), worker, key, now,
    )  # fmt: skip


async def accept_target(
    conn: Connection, outbox_ids: Sequence[int], worker: str, target: str
) -> None:
    """One of the destination's targets (an Apprise URL's fingerprint) accepted the message
    carrying these outbox rows: a retry leaves it out."""
    await conn.execute(
        "UPDATE outbox SET accepted_targets = array_append(accepted_targets, $3) "
        "WHERE id = ANY($1::bigint[]) AND leased_by = $2 AND NOT $3 = ANY(accepted_targets)",
        list(outbox_ids), worker, target,
    )  # fmt: skip


async def message_members(conn: Connection, key: str) -> list[int]:
    """The outbox rows still waiting to go out in the message with this key."""
    rows = await conn.fetch(
        "SELECT id FROM outbox WHERE message_key = $1 AND status IN ('pending', 'sending')", key
    )
    return [r["id"] for r in rows]


async def renew_outbox_lease(
    conn: Connection, outbox_ids: Sequence[int], worker: str, until: datetime
) -> int:
    """Keep holding messages still being sent; returns how many this worker still holds."""
    result = await conn.execute(
        "UPDATE outbox SET lease_expires_at = $3 "
        "WHERE id = ANY($1::bigint[]) AND leased_by = $2 AND status = 'sending'",
        list(outbox_ids), worker, until,
    )  # fmt: skip
    return int(result.rsplit(" ", 1)[-1])


async def record_attempt(
    conn: Connection,
    outbox_id: int,
    worker: str,
    outcome: str,
    now: datetime,
    error: str | None = None,
    duration_ms: int | None = None,
    message_id: int | None = None,
) -> None:
    """Record one delivery attempt and settle the message (and its alerts) accordingly."""
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO delivery_attempts (outbox_id, attempted_at, outcome, error, duration_ms) "
            "VALUES ($1, $2, $3, $4, $5)",
            outbox_id, now, outcome, error, duration_ms,
        )  # fmt: skip
        if outcome == "delivered":
            await conn.execute(
                "UPDATE outbox SET status = 'delivered', delivered_at = $2, leased_by = NULL, "
                "lease_expires_at = NULL, message_id = COALESCE($4, message_id) "
                "WHERE id = $1 AND leased_by = $3",
                outbox_id, now, worker, message_id,
            )  # fmt: skip
            await conn.execute(
                "UPDATE alerts SET status = 'delivered', delivered_at = $2 "
                "WHERE outbox_id = $1 AND status = 'queued'",
                outbox_id, now,
            )  # fmt: skip
        elif outcome == "cancelled":
            await conn.execute(
                "UPDATE outbox SET status = 'cancelled', leased_by = NULL, lease_expires_at = NULL "
                "WHERE id = $1",
                outbox_id,
            )


async def recent(conn: Connection, guild_id: int | None, limit: int) -> list[dict[str, Any]]:
    """The latest alerts of a scope, newest first."""
    rows = await conn.fetch(
        """
        SELECT a.id, a.created_at, a.status, a.score, a.unit_price, a.currency, a.cold_start,
               a.sequence, a.watch_id, a.listing_id, a.feedback, a.delivered_at,
               a.suppressed_reason, w.name AS watch_name, l.title, l.url, o.last_error,
               (SELECT count(*) FROM delivery_attempts d WHERE d.outbox_id = a.outbox_id)
                   AS attempts
        FROM alerts a JOIN watches w ON w.id = a.watch_id JOIN listings l ON l.id = a.listing_id
        LEFT JOIN outbox o ON o.id = a.outbox_id
        WHERE a.guild_id IS NOT DISTINCT FROM $1
        ORDER BY a.created_at DESC, a.id DESC LIMIT $2
        """,
        guild_id,
        limit,
    )
    return [dict(r) for r in rows]


async def retry_later(
    conn: Connection,
    outbox_id: int,
    worker: str,
    outcome: str,
    error: str,
    now: datetime,
    max_attempts: int,
    delay_seconds: float,
    http_status: int | None = None,
) -> str | None:
    """Record a failed attempt: back to pending after `delay_seconds`, or failed for good."""
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO delivery_attempts (outbox_id, attempted_at, outcome, error, http_status) "
            "VALUES ($1, $2, $3, $4, $5)",
            outbox_id, now, outcome, error[:2000], http_status,
        )  # fmt: skip
        row = await conn.fetchrow(
            """
            UPDATE outbox SET
                status = CASE WHEN attempts >= $4 THEN 'failed' ELSE 'pending' END,
                next_attempt_at = $3::timestamptz + make_interval(secs => $5::float8),
                last_error = $6, leased_by = NULL, lease_expires_at = NULL
            WHERE id = $1 AND leased_by = $2
            RETURNING status, destination_kind
            """,
            outbox_id, worker, now, max_attempts, delay_seconds, error[:2000],
        )  # fmt: skip
        status: str | None = None if row is None else row["status"]
        if status == "pending":
            # Not ready yet: listeners learn when it comes due (`next_due`).
            assert row is not None
            await conn.execute(_NOTIFY, OUTBOX_CHANNEL, row["destination_kind"])
        elif status == "failed":
            await conn.execute(
                "UPDATE alerts SET status = 'failed' WHERE outbox_id = $1 AND status = 'queued'",
                outbox_id,
            )
    return status


async def reclaim_outbox(conn: Connection, now: datetime) -> int:
    """Messages whose sender vanished mid-send (lease expired) become pending again.

    Senders renew their lease while a send lasts, so an expired one means the sender died.
    The resend then looks for the message first (channels); webhooks may repeat it once.
    """
    # One statement, so the notification commits with the rows (one per destination kind).
    reclaimed = await conn.fetchval(
        """
        WITH reclaimed AS (
            UPDATE outbox SET status = 'pending', leased_by = NULL, lease_expires_at = NULL
            WHERE status = 'sending' AND lease_expires_at <= $1
            RETURNING destination_kind
        ), kinds AS (
            SELECT destination_kind, count(*) AS n FROM reclaimed GROUP BY destination_kind
        )
        SELECT coalesce(sum(n), 0) FROM kinds, LATERAL (SELECT pg_notify($2, destination_kind)) s
        """,
        now, OUTBOX_CHANNEL,
    )  # fmt: skip
    return int(reclaimed)


async def next_due(conn: Connection, kinds: Sequence[str]) -> datetime | None:
    """When the next outbox message of these destination kinds becomes claimable without
    anyone announcing it: the earliest pending `next_attempt_at` (a retry's back-off, or
    ready now) or sending lease that runs out (a dead sender's). None when there is none."""
    due: datetime | None = await conn.fetchval(
        """
        SELECT least(
            (SELECT min(next_attempt_at) FROM outbox
             WHERE status = 'pending' AND destination_kind = ANY($1::text[])),
            (SELECT min(lease_expires_at) FROM outbox
             WHERE status = 'sending' AND destination_kind = ANY($1::text[])))
        """,
        list(kinds),
    )
    return due


async def delivered_since(conn: Connection, kind: str, since: datetime) -> int:
    """Alerts delivered to a destination kind since `since` (for burst detection)."""
    value = await conn.fetchval(
        "SELECT count(*) FROM alerts a JOIN outbox o ON o.id = a.outbox_id "
        "WHERE o.destination_kind = $1 AND a.delivered_at >= $2",
        kind,
        since,
    )
    return int(value)


async def flag_delivery_problem(
    conn: Connection, watch_ids: Sequence[int], problem: str, now: datetime
) -> None:
    """Mark watches whose destination refused their alerts (shown by /status)."""
    if watch_ids:
        await conn.execute(
            "UPDATE watches SET delivery_error = $2, delivery_error_at = $3 "
            "WHERE id = ANY($1::bigint[])",
            list(watch_ids), problem[:500], now,
        )  # fmt: skip


async def clear_delivery_problem(conn: Connection, watch_ids: Sequence[int]) -> None:
    """A delivery to these watches worked again: drop their flags."""
    if watch_ids:
        await conn.execute(
            "UPDATE watches SET delivery_error = NULL, delivery_error_at = NULL "
            "WHERE id = ANY($1::bigint[]) AND delivery_error IS NOT NULL",
            list(watch_ids),
        )


_ALERT = """
    SELECT a.id, a.watch_id, a.listing_id, a.guild_id, a.status, a.score, a.unit_price,
           a.currency, a.cold_start, a.sequence, a.feedback, a.feedback_by, a.dismissed_by,
           a.created_at, a.delivered_at, w.name AS watch_name, w.muted_until, l.title, l.url,
           o.status AS outbox_status, o.message_id
    FROM alerts a JOIN watches w ON w.id = a.watch_id JOIN listings l ON l.id = a.listing_id
    LEFT JOIN outbox o ON o.id = a.outbox_id"""


async def get(conn: Connection, guild_id: int | None, alert_id: int) -> dict[str, Any] | None:
    """One alert of the scope, with its watch and listing names."""
    row = await conn.fetchrow(
        f"{_ALERT} WHERE a.id = $2 AND a.guild_id IS NOT DISTINCT FROM $1", guild_id, alert_id
    )
    return dict(row) if row is not None else None


async def dismiss(
    conn: Connection, guild_id: int | None, alert_ids: Sequence[int], user_id: int | None,
    now: datetime,
) -> int:  # fmt: skip
    """Dismiss alerts of the scope (not yet sent ones are never sent); returns how many."""
    result = await conn.execute(
        "UPDATE alerts SET status = 'dismissed', dismissed_by = $3, dismissed_at = $4 "
        "WHERE id = ANY($2::bigint[]) AND guild_id IS NOT DISTINCT FROM $1 "
        "AND status NOT IN ('dismissed', 'capped')",  # a capped alert was never sent
        guild_id, list(alert_ids), user_id, now,
    )  # fmt: skip
    return int(result.rsplit(" ", 1)[-1])


async def restore(conn: Connection, guild_id: int | None, alert_id: int, now: datetime) -> bool:
    """Undo a dismissal: back to delivered, or queued again if it never went out."""
    async with conn.transaction():
        row = await conn.fetchrow(
            "UPDATE alerts SET status = CASE WHEN delivered_at IS NOT NULL THEN 'delivered' "
            "ELSE 'queued' END, dismissed_by = NULL, dismissed_at = NULL "
            "WHERE id = $2 AND guild_id IS NOT DISTINCT FROM $1 AND status = 'dismissed' "
            "RETURNING status, outbox_id",
            guild_id, alert_id,
        )  # fmt: skip
        if row is None:
            return False
        if row["status"] == "queued" and row["outbox_id"] is not None:
            kind = await conn.fetchval(
                "UPDATE outbox SET status = 'pending', next_attempt_at = $2 "
                "WHERE id = $1 AND status = 'cancelled' RETURNING destination_kind",
                row["outbox_id"],
                now,
            )
            if kind is not None:
                await conn.execute(_NOTIFY, OUTBOX_CHANNEL, kind)
    return True


async def alerts_in_message(conn: Connection, guild_id: int | None, message_id: int) -> list[int]:
    """The scope's alerts that went out in one Discord message (a digest lists several)."""
    rows = await conn.fetch(
        "SELECT a.id FROM alerts a JOIN outbox o ON o.id = a.outbox_id "
        "WHERE o.message_id = $2 AND a.guild_id IS NOT DISTINCT FROM $1 ORDER BY a.id",
        guild_id,
        message_id,
    )
    return [r["id"] for r in rows]


async def set_feedback(
    conn: Connection, guild_id: int | None, alert_id: int, feedback: str, user_id: int | None,
    now: datetime,
) -> bool:  # fmt: skip
    """Store a user's verdict on an alert (e.g. `not_a_deal`)."""
    result = await conn.execute(
        "UPDATE alerts SET feedback = $3, feedback_by = $4, feedback_at = $5 "
        "WHERE id = $2 AND guild_id IS NOT DISTINCT FROM $1",
        guild_id, alert_id, feedback, user_id, now,
    )  # fmt: skip
    return result.endswith(" 1")


async def mute_watch(conn: Connection, guild_id: int | None, watch_id: int, until: datetime) -> int:
    """No alerts for a watch until `until`; its alerts not yet sent are muted. Returns those."""
    async with conn.transaction():
        await conn.execute(
            "UPDATE watches SET muted_until = $3, updated_at = now() "
            "WHERE id = $2 AND guild_id IS NOT DISTINCT FROM $1",
            guild_id, watch_id, until,
        )  # fmt: skip
        result = await conn.execute(
            "UPDATE alerts SET status = 'muted' WHERE watch_id = $1 AND status = 'queued'",
            watch_id,
        )
    return int(result.rsplit(" ", 1)[-1])


async def history(
    conn: Connection,
    guild_id: int | None,
    *,
    status: str | None,
    watch_id: int | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """A page of the scope's alerts, newest first, with delivery attempts and the last error."""
    rows = await conn.fetch(
        """
        SELECT a.id, a.created_at, a.status, a.score, a.unit_price, a.currency, a.cold_start,
               a.sequence, a.watch_id, a.listing_id, a.feedback, a.delivered_at, a.dismissed_at,
               a.suppressed_reason, w.name AS watch_name, l.title, l.url, o.last_error,
               o.destination_kind,
               (SELECT count(*) FROM delivery_attempts d WHERE d.outbox_id = a.outbox_id)
                   AS attempts
        FROM alerts a JOIN watches w ON w.id = a.watch_id JOIN listings l ON l.id = a.listing_id
        LEFT JOIN outbox o ON o.id = a.outbox_id
        WHERE COALESCE(a.guild_id, 0) = COALESCE($1::bigint, 0)
          AND ($2::text IS NULL OR a.status = $2)
          AND ($3::bigint IS NULL OR a.watch_id = $3)
        ORDER BY a.created_at DESC, a.id DESC LIMIT $4 OFFSET $5
        """,
        guild_id, status, watch_id, limit, offset,
    )  # fmt: skip
    return [dict(r) for r in rows]


async def scopes(conn: Connection) -> list[int | None]:
    """Every scope that has watches (None is the local scope), local first."""
    rows = await conn.fetch("SELECT DISTINCT guild_id FROM watches ORDER BY guild_id NULLS FIRST")
    return [r["guild_id"] for r in rows]


async def count(conn: Connection) -> int:
    """Alerts ever decided, in every scope."""
    return int(await conn.fetchval("SELECT count(*) FROM alerts"))
