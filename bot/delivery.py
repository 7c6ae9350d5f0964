"""The Discord adapters of core's delivery ports: every alert goes out through discord.py.

Channel alerts use the bot's own client (`PartialMessageable.send` with a nonce, which
discord.py sends with `enforce_nonce`), so one rate limiter covers everything the
process sends as the bot. Webhook alerts use `discord.Webhook.from_url` on spt's Discord
session, whose rate limiting is per webhook. Both identify themselves as Discord asks
(`DiscordBot (url, version)`) and are counted in `spt_discord_requests_total`. discord.py's
errors become core's: the channel refusing us, another 4xx, or a retryable failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import metadata
from typing import Any

import aiohttp
import discord

from core.alerts.delivery import OutgoingMessage
from core.alerts.discord_sender import DestinationRefusedError
from core.observability.metrics import DISCORD_REQUEST_DURATION, DISCORD_REQUESTS
from core.resilience import BadResponseError, PermanentError, RetryableError, ServiceError
from core.settings import Settings

PROJECT_URL = "https://github.com/spt-dev/spt"
# Discord's rule (https://discord.com/developers/docs/reference#user-agent): "Clients using
# the HTTP API must provide a valid User Agent which specifies information about the
# client library and version in the following format: User-Agent: DiscordBot ($url,
# $versionNumber)"; more may follow it.
USER_AGENT = (
    f"DiscordBot ({PROJECT_URL}, {metadata.version('spt')}) discord.py/{discord.__version__}"
)
# How far back, before a message's first send, its earlier copy is looked for: snowflakes
# carry Discord's clock, not ours.
CLOCK_SKEW = timedelta(minutes=2)
HISTORY_LIMIT = 500

# Discord's JSON error codes for a destination that cannot take a message.
_REFUSALS = {
    10003: "channel {channel} no longer exists (Discord: Unknown Channel)",
    50001: "spt cannot see channel {channel} (Discord: Missing Access); "
    "give the bot View Channel there",
    50013: "spt may not post in channel {channel} (Discord: Missing Permissions); "
    "it needs Send Messages and Embed Links there",
}


def service_error(exc: discord.DiscordException, channel: int | None = None) -> ServiceError:
    """What a discord.py failure means to the outbox: refused channel, 4xx, or retry."""
    if isinstance(exc, discord.RateLimited):
        return RetryableError("discord", "rate limited", 429, retry_after=exc.retry_after)
    if not isinstance(exc, discord.HTTPException):
        return RetryableError("discord", str(exc) or type(exc).__name__)
    status = exc.status
    if channel is not None and status in (403, 404):
        template = _REFUSALS.get(exc.code)
        problem = (
            template.format(channel=channel)
            if template
            else f"Discord refused channel {channel}: HTTP {status} {exc.text}".strip()
        )
        return DestinationRefusedError("discord", problem, status)
    message = f"HTTP {status} {exc.text}".strip()
    if status == 429 or status >= 500:
        return RetryableError("discord", message, status)
    return PermanentError("discord", message, status)


def view_of(components: list[dict[str, Any]]) -> discord.ui.View | None:
    """The message's buttons as a discord.py view (core builds them as Discord's JSON)."""
    if not components:
        return None
    view = discord.ui.View(timeout=None)
    for row, action_row in enumerate(components):
        for item in action_row.get("components", []):
            view.add_item(discord.ui.Button(
                style=discord.ButtonStyle(item["style"]), label=item.get("label"),
                custom_id=item.get("custom_id"), url=item.get("url"), row=row,
            ))  # fmt: skip
    # The alert buttons are DynamicItems the bot answers on any message: a stopped view
    # is not kept in memory for every alert ever posted.
    view.stop()
    return view


def embeds_of(message: OutgoingMessage) -> list[discord.Embed]:
    """Core's embeds as discord.py's."""
    return [discord.Embed.from_dict(item) for item in message.embeds]


def names(message: discord.Message, ref: str) -> bool:
    """Whether one of the message's embed footers names `ref` (parts are " · "-separated)."""
    return any(ref in (item.footer.text or "").split(" · ") for item in message.embeds)


class BotChannels:
    """`ChannelPort` over the bot's client."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def post(self, channel_id: int, message: OutgoingMessage) -> int:
        """Create the message (nonce + enforce_nonce); returns its id."""
        channel = self._client.get_partial_messageable(channel_id)
        view = view_of(message.components)
        embeds, nonce = embeds_of(message), message.nonce or ""
        quiet = discord.AllowedMentions.none()
        try:
            if view is None:
                sent = await channel.send(embeds=embeds, nonce=nonce, allowed_mentions=quiet)
            else:
                sent = await channel.send(
                    embeds=embeds, nonce=nonce, allowed_mentions=quiet, view=view
                )
        except discord.DiscordException as exc:
            raise service_error(exc, channel_id) from exc
        except (TypeError, KeyError, ValueError) as exc:  # an answer discord.py cannot read
            raise BadResponseError("discord", f"unreadable message answer: {exc!r}") from exc
        return sent.id

    async def find(self, channel_id: int, ref: str, since: datetime) -> int | None:
        """The bot's message created since `since` (less clock skew) naming `ref`."""
        channel = self._client.get_partial_messageable(channel_id)
        me = self._client.user
        try:
            async for found in channel.history(
                limit=HISTORY_LIMIT, after=since - CLOCK_SKEW, oldest_first=True
            ):
                if (me is None or found.author.id == me.id) and names(found, ref):
                    message_id: int = found.id
                    return message_id
        except discord.DiscordException as exc:
            raise service_error(exc, channel_id) from exc
        return None


class Webhook:
    """`WebhookPort` over `discord.Webhook.from_url` on spt's Discord session."""

    def __init__(self, session: aiohttp.ClientSession, settings: Callable[[], Settings]) -> None:
        self._session = session
        self._settings = settings

    def _webhook(self) -> discord.Webhook:
        settings = self._settings().discord
        if settings.webhook_url is None:
            raise PermanentError("discord", "no discord.webhook_url is set")
        # discord.py sends webhook requests to Route.BASE (a fake's address in tests).
        discord.http.Route.BASE = settings.api_base_url.rstrip("/")
        return discord.Webhook.from_url(
            settings.webhook_url.get_secret_value(), session=self._session
        )

    async def post(self, message: OutgoingMessage) -> int | None:
        """Execute the webhook with `wait=true`; returns the message id."""
        try:
            sent = await self._webhook().send(
                embeds=embeds_of(message),
                allowed_mentions=discord.AllowedMentions.none(),
                wait=True,
            )
        except discord.DiscordException as exc:
            raise service_error(exc) from exc
        except (TypeError, KeyError, ValueError) as exc:  # an answer discord.py cannot read
            raise BadResponseError("discord", f"unreadable webhook answer: {exc!r}") from exc
        return sent.id

    async def reachable(self) -> bool:
        """Health check: GET on the webhook returns the webhook object and posts nothing."""
        try:
            await self._webhook().fetch()
        except (discord.DiscordException, PermanentError):
            return False
        return True


def discord_trace() -> aiohttp.TraceConfig:
    """Counts every request to Discord (discord.py's own and the webhook's) in
    `spt_discord_requests_total` and `_duration_seconds`."""
    trace = aiohttp.TraceConfig()

    async def started(session: Any, context: Any, params: Any) -> None:
        context.started = time.perf_counter()

    async def ended(session: Any, context: Any, params: Any) -> None:
        _observe("success" if params.response.status < 400 else "error", context)

    async def failed(session: Any, context: Any, params: Any) -> None:
        _observe("error", context)

    trace.on_request_start.append(started)
    trace.on_request_end.append(ended)
    trace.on_request_exception.append(failed)
    return trace


def _observe(status: str, context: Any) -> None:
    DISCORD_REQUESTS.labels(status).inc()
    started = getattr(context, "started", None)
    if started is not None:
        DISCORD_REQUEST_DURATION.observe(time.perf_counter() - started)


def discord_session() -> aiohttp.ClientSession:
    """The HTTP session for webhook requests: Discord's User-Agent, counted requests."""
    return aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT}, trace_configs=[discord_trace()]
    )
