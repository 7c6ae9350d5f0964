"""Turning scores into alerts: decide per watch, then queue each alert in the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from core import guild_settings
from core.alerts.decide import Candidate, decide, wants
from core.clock import Clock
from core.db import alerts as repo
from core.db.pool import Connection, Pool
from core.guild_settings import GuildSettings
from core.marketplace.conditions import effective_condition
from core.models import ComponentType
from core.observability.metrics import ALERTS
from core.settings import Settings
from core.watches import Watch

log = logging.getLogger(__name__)


def destination_mode(settings: Settings) -> str:
    """`alerts.delivery` resolved: auto is Discord with a token, else the webhook, else
    Apprise with `alerts.apprise_urls`, else console."""
    mode = settings.alerts.delivery
    if mode != "auto":
        return mode
    if settings.discord.token:
        return "discord"
    if settings.discord.webhook_url:
        return "webhook"
    return "apprise" if settings.alerts.apprise_urls else "console"


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
    "apprise": "Apprise (alerts.apprise_urls), at least once to every target: an alert is "
    "never lost, and a target that accepted it is recorded so a retry goes only to the "
    "others, but Apprise cannot look a notification up, so a crash after a target accepted "
    "one and before spt recorded it sends it there again",
    "console": "console, at least once: an alert is never lost; one printed just before a "
    "crash is printed again",
}


def delivery_promise(settings: Settings) -> str:
    """Where alerts go and what is promised about them."""
    mode = destination_mode(settings)
    if mode == "apprise":
        # How many targets and their services (the URLs' schemes, which hold no secret).
        urls = [u.get_secret_value() for u in settings.alerts.apprise_urls]
        schemes = [u.strip().partition("://")[0].lower() for u in urls]
        count = f"{len(urls)} target{'s' if len(urls) != 1 else ''}"
        return PROMISES[mode].replace(
            "(alerts.apprise_urls)", f"({count}: {', '.join(schemes)})", 1
        )
    return PROMISES[mode]


def destination(
    settings: Settings, watch: Watch, guild_channel: int | None = None
) -> tuple[str, str]:
    """Where an alert goes under `alerts.delivery` (auto: Discord, then webhook, then
    Apprise, then console).

    On Discord: the watch's channel; for a watch without one, its guild's default channel
    (`guild_channel`, set with `/config alert-channel`), else the operator's
    `discord.alert_channel_id`.
    """
    mode = destination_mode(settings)
    channel = watch.channel_id or guild_channel or settings.discord.alert_channel_id
    if mode == "discord" and channel:
        return "discord_channel", str(channel)
    if mode == "webhook":
        return "webhook", "default"
    if mode == "apprise":
        return "apprise", "default"  # every URL of alerts.apprise_urls
    return "console", "console"


def daily_cap(
    guild: GuildSettings | None, kind: str, target: str, now: datetime
) -> repo.DailyCap | None:
    """The guild's daily cap for an alert to one of its channels, counted over the guild's
    calendar day (its time zone; UTC without one).

    The cap is applied when an alert is created, not when it is sent: that is the moment
    each alert is decided one at a time (delivery takes a channel's alerts in batches and
    digests), and a held-back alert then never enters the outbox, so no sender, resend or
    digest can post it. An alert created in quiet hours counts on the day it was created,
    even if it is posted the next morning.
    """
    if guild is None or guild.daily_cap is None or kind != "discord_channel":
        return None
    today, start, end = guild.day(now)
    reason = (
        f"daily cap: channel {target} already had {guild.daily_cap} alert(s) on "
        f"{today.isoformat()} ({guild.zone_name})"
    )
    return repo.DailyCap(guild.daily_cap, start, end, reason)


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


async def wanted_by(
    conn: Connection, guild_id: int | None, listing_ids: Sequence[int], now: datetime
) -> dict[int, list[str]]:
    """For each listing, the names of the scope's enabled, unmuted watches that found it
    and ask for it (type, price range, condition, seller, attribute filters), whatever its
    score: a listing a watch found but filters out is no deal of that watch."""
    wanted: dict[int, list[str]] = {}
    for row in await repo.candidates(conn, listing_ids, now):
        if row["w_guild_id"] != guild_id:
            continue
        watch = Watch.model_validate({k[2:]: v for k, v in row.items() if k.startswith("w_")})
        if wants(watch, _candidate(row)):
            wanted.setdefault(row["listing_id"], []).append(watch.name)
    return {listing: sorted(names, key=str.lower) for listing, names in wanted.items()}


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
        guilds: dict[int, GuildSettings] = {}
        async with self._pool.acquire() as conn:
            for row in await repo.candidates(conn, listing_ids, self._clock()):
                watch = Watch.model_validate(
                    {k[2:]: v for k, v in row.items() if k.startswith("w_")}
                )
                decision = decide(watch, _candidate(row))
                if not decision.alert:
                    continue
                guild = None
                if watch.guild_id is not None:
                    if watch.guild_id not in guilds:
                        guilds[watch.guild_id] = await guild_settings.load(conn, watch.guild_id)
                    guild = guilds[watch.guild_id]
                kind, target = destination(
                    settings, watch, guild.default_channel_id if guild else None
                )
                now = self._clock()
                created_as = await repo.create(
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
                    now=now,
                    cap=daily_cap(guild, kind, target, now),
                )
                if created_as is None:
                    continue
                alert_id, status = created_as
                context = {"watch_id": watch.id, "listing_id": row["listing_id"]}
                if status == "capped":
                    ALERTS.labels("capped").inc()
                    log.info("alert %d: watch %d, listing %d: held back by the daily cap of "
                             "channel %s", alert_id, watch.id, row["listing_id"], target,
                             extra=context)  # fmt: skip
                    continue
                created.append(alert_id)
                ALERTS.labels("created").inc()
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
