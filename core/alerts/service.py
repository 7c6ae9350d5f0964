"""Turning scores into alerts: decide per watch, then queue each alert in the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.alerts.decide import Candidate, decide
from core.db import alerts as repo
from core.db.pool import Pool
from core.marketplace.conditions import effective_condition
from core.models import ComponentType
from core.observability.metrics import ALERTS
from core.settings import Settings
from core.watches import Watch

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def destination_mode(settings: Settings) -> str:
    """`alerts.delivery` resolved: auto is Discord with a token, else the webhook, else console."""
    mode = settings.alerts.delivery
    if mode != "auto":
        return mode
    if settings.discord.token:
        return "discord"
    return "webhook" if settings.discord.webhook_url else "console"


# What each destination promises, as `/status`, `spt status` and the README say it; the
# crash tests (tests/test_crash_delivery.py, tests/alerts/test_channel.py) hold them to it.
PROMISES = {
    "discord": "Discord channels, exactly once: an alert is never lost, and a resend after "
    "a crash or a lost answer first looks for the message in the channel (this needs Read "
    "Message History there; without it only Discord's few-minute nonce check guards a "
    "resend)",
    "webhook": "Discord webhook, at least once: an alert is never lost, but a webhook "
    "message cannot be looked up, so a crash after Discord accepted a message and before "
    "spt recorded it posts that message again",
    "console": "console, at least once: an alert is never lost; one printed just before a "
    "crash is printed again",
}


def delivery_promise(settings: Settings) -> str:
    """Where alerts go and what is promised about them."""
    return PROMISES[destination_mode(settings)]


def destination(settings: Settings, watch: Watch) -> tuple[str, str]:
    """Where an alert goes under `alerts.delivery` (auto: Discord, then webhook, then console)."""
    mode = destination_mode(settings)
    channel = watch.channel_id or settings.discord.alert_channel_id
    if mode == "discord" and channel:
        return "discord_channel", str(channel)
    if mode == "webhook":
        return "webhook", "default"
    return "console", "console"


def _candidate(row: dict[str, Any]) -> Candidate:
    condition = effective_condition(row["listing_condition"], row["extracted_condition"])
    return Candidate(
        component_type=ComponentType(row["component_type"]),
        attributes=row["attributes"],
        quantity=row["quantity"],
        condition=condition,
        unit_price=row["unit_price"],
        score=float(row["score"]),
        cold_start=row["cold_start"],
        seller_feedback_score=row["seller_feedback_score"],
        seller_feedback_percent=row["seller_feedback_percent"],
        seller_top_rated=row["seller_top_rated"],
        last_alert_unit_price=row["last_unit_price"],
        flags=tuple((row["breakdown"] or {}).get("flags") or ()),
    )


class AlertService:
    """Decides alerts for freshly scored listings and queues them durably."""

    def __init__(self, pool: Pool, settings: Callable[[], Settings], clock: Clock) -> None:
        self._pool = pool
        self._settings = settings
        self._clock = clock

    async def evaluate(self, listing_ids: Sequence[int]) -> list[int]:
        """Create the alerts these listings earn; returns the new alert ids."""
        if not listing_ids:
            return []
        created: list[int] = []
        settings = self._settings()
        async with self._pool.acquire() as conn:
            for row in await repo.candidates(conn, listing_ids, self._clock()):
                watch = Watch.model_validate(
                    {k[2:]: v for k, v in row.items() if k.startswith("w_")}
                )
                decision = decide(watch, _candidate(row))
                if not decision.alert:
                    continue
                kind, target = destination(settings, watch)
                alert_id = await repo.create(
                    conn,
                    watch_id=watch.id,
                    listing_id=row["listing_id"],
                    score_id=row["score_id"],
                    guild_id=watch.guild_id,
                    score=Decimal(str(row["score"])),
                    unit_price=row["unit_price"],
                    currency=row["currency"],
                    cold_start=row["cold_start"],
                    sequence=(row["last_sequence"] or 0) + 1,
                    destination_kind=kind,
                    destination=target,
                    now=self._clock(),
                )
                if alert_id is not None:
                    created.append(alert_id)
                    ALERTS.labels("created").inc()
                    context = {"watch_id": watch.id, "listing_id": row["listing_id"]}
                    log.info("alert %d: watch %d, listing %d: %s", alert_id, watch.id,
                             row["listing_id"], decision.reason, extra=context)  # fmt: skip
        return created

    async def history(
        self,
        guild_id: int | None,
        *,
        status: str | None = None,
        watch_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """A page of the scope's alerts, newest first, with delivery attempts."""
        async with self._pool.acquire() as conn:
            return await repo.history(conn, guild_id, status=status, watch_id=watch_id,
                                      limit=limit, offset=offset)  # fmt: skip

    async def scopes(self) -> list[int | None]:
        """Every scope with watches (None: the local scope)."""
        async with self._pool.acquire() as conn:
            return await repo.scopes(conn)

    async def recent(self, guild_id: int | None, limit: int = 20) -> list[dict[str, Any]]:
        """The latest alerts of a scope."""
        async with self._pool.acquire() as conn:
            return await repo.recent(conn, guild_id, limit)
