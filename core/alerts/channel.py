"""Discord channel delivery: one message per alert (a digest for a burst), exactly once.

Before a message is first sent, the outbox records its key (a digest's alerts share one)
and when it went out. It is posted with a nonce derived from that key and
`enforce_nonce`, so a resend within Discord's few-minute nonce memory returns the
existing message. A message that was sent before (the sender crashed, or the answer was
lost) is first looked for in the channel's recent history by the ref in its footer
(`alert {id}`, or `ref {key}` for a digest): found, it is recorded as delivered and not
posted again. Alert messages carry the persistent buttons the bot answers; a digest
carries "Dismiss all". A channel that is gone or that the bot may not post in fails the
message at once and flags its watches. The bot (`bot/delivery.py`) carries the
messages through discord.py.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from typing import Any

from core.alerts.card import (
    AlertCard,
    alert_components,
    digest_components,
    digest_embed,
    embed,
)
from core.alerts.delivery import ChannelPort, OutgoingMessage
from core.alerts.discord_sender import DiscordSender, Outcome
from core.db import alerts as repo
from core.guild_settings import quiet_guilds
from core.observability.metrics import ALERTS
from core.resilience import ServiceError
from core.settings import Settings

log = logging.getLogger(__name__)


def nonce(key: str) -> str:
    """Discord nonces are at most 25 characters; the key's hash fits and stays stable."""
    return hashlib.sha256(key.encode()).hexdigest()[:25]


def digest_key(idempotency_keys: list[str]) -> str:
    """The key of a digest: its alerts' keys, in order (stable across resends)."""
    return "digest:" + nonce("|".join(sorted(idempotency_keys)))


def ref(key: str, rows: list[dict[str, Any]]) -> str:
    """What the message's footer names it by: `alert {id}`, or `ref {hash}` for a digest."""
    if key.startswith("digest:"):
        return f"ref {key.removeprefix('digest:')[:12]}"
    return f"alert {rows[0]['alert_id']}"


class ChannelDelivery(DiscordSender[ChannelPort]):
    """Delivers the `discord_channel` outbox through the bot (`ChannelPort`)."""

    async def deliver_pending(self, limit: int = 100) -> int:
        """Post every ready channel alert; returns how many were delivered.

        Alerts of guilds in their quiet hours are not claimed: they stay pending in the
        outbox, untouched, and go out at the first pass after the quiet hours end (a
        backlog above `alerts.digest_threshold` as one digest). Deciding here, at claim
        time, rather than giving alerts a later `next_attempt_at` when they are created,
        covers every alert that becomes due in quiet hours (new ones, retries, a crashed
        sender's), and a change to the quiet hours applies at the next pass, also to alerts
        already waiting: nothing derived from the settings is stored on the alerts.
        """
        settings = self._settings()
        held = await quiet_guilds(self._pool, self._clock())
        by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in await self._claim("discord_channel", limit, held):
            by_channel[row["destination"]].append(row)
        delivered = failed = 0
        for channel, rows in by_channel.items():
            for members, key in await self._plan(rows, settings):
                settled = await self._settle(
                    members, await self._deliver(int(channel), members, key)
                )
                delivered += settled
                failed += len(members) - settled
        ALERTS.labels("delivered").inc(delivered)
        ALERTS.labels("failed").inc(failed)
        return delivered

    async def _plan(
        self, rows: list[dict[str, Any]], settings: Settings
    ) -> list[tuple[list[dict[str, Any]], str]]:
        """Messages to send: resends keep their key, new alerts become singles or a digest."""
        sends: list[tuple[list[dict[str, Any]], str]] = []
        resent: dict[str, list[dict[str, Any]]] = defaultdict(list)
        fresh = []
        for row in rows:
            if row["message_key"] is not None:
                resent[row["message_key"]].append(row)
            else:
                fresh.append(row)
        for key, members in resent.items():
            async with self._pool.acquire() as conn:
                waiting = set(await repo.message_members(conn, key))
            if waiting - {r["outbox_id"] for r in members}:
                # Part of a digest came back (others were dismissed or are claimed
                # elsewhere): if the digest is not found, these go out under a key of their own.
                key = digest_key([r["idempotency_key"] for r in members])
            sends.append((members, key))
        if len(fresh) > settings.alerts.digest_threshold:
            # A burst becomes one digest message; its key covers exactly these alerts.
            sends.append((fresh, digest_key([r["idempotency_key"] for r in fresh])))
            ALERTS.labels("digested").inc(len(fresh))
        else:
            sends.extend(([row], row["idempotency_key"]) for row in fresh)
        return sends

    async def _deliver(self, channel: int, members: list[dict[str, Any]], key: str) -> Outcome:
        ids = [r["outbox_id"] for r in members]
        sent_before = [r["first_sent_at"] for r in members if r["first_sent_at"] is not None]
        if sent_before:
            found = await self._look_for(channel, ref(key, members), min(sent_before))
            if found is not None:
                log.info("message %s was already in channel %d (%d alert(s)): not posted again",
                         key, channel, len(members))  # fmt: skip
                return Outcome("delivered", message_id=found)
        async with self._pool.acquire() as conn:
            await repo.plan_message(conn, ids, self._worker, key, self._clock())
        message = self._message(members, key)
        return await self._send(lambda: self._port.post(channel, message), "channel delivery", ids)

    async def _look_for(self, channel: int, footer_ref: str, since: Any) -> int | None:
        """The message if an earlier send got through; None when absent or unreadable."""
        try:
            timeout = self._settings().discord.request_timeout_seconds
            return await self._policy.call(lambda: self._port.find(channel, footer_ref, since),
                                           attempt_timeout=timeout, max_tries=1)  # fmt: skip
        except ServiceError as exc:
            # Without Read Message History the nonce is the only guard left.
            log.warning("could not look for an earlier send in channel %d: %s", channel, exc)
            return None

    @staticmethod
    def _message(members: list[dict[str, Any]], key: str) -> OutgoingMessage:
        cards = [AlertCard.from_row(r) for r in members]
        footer_ref = ref(key, members)
        if key.startswith("digest:"):
            return OutgoingMessage([digest_embed(cards, len(cards), footer_ref)],
                                   digest_components(), nonce(key), footer_ref)  # fmt: skip
        (card,) = cards
        return OutgoingMessage([embed(card)], alert_components(card), nonce(key), footer_ref)
