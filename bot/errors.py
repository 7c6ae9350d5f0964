"""The one error policy of the bot: every failure is answered ephemerally, in plain words.

Expected failures (bad input, a missing watch, no permission, eBay out of quota) are
explained to the user and logged at INFO; anything else is logged with its traceback and
answered with a short apology and a reference the operator can find in the log.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord
from discord import app_commands

from core.alerts.actions import AlertNotFoundError
from core.browse import BrowseError, ListingNotFoundError
from core.filters import FilterError
from core.guild_settings import GuildSettingsError, InvalidGuildSettingsError
from core.marketplace.quota import QuotaExhaustedError
from core.resilience import ServiceError
from core.watches import InvalidWatchError, WatchError

log = logging.getLogger(__name__)
ERROR_COLOR = 0xE74C3C


class UserError(Exception):
    """A problem the user can fix; its message is shown as it is."""


class NotManagerError(app_commands.CheckFailure):
    """The member may not manage watches here."""


# How `/watch add` and `/watch edit` name each watch setting.
WATCH_OPTIONS = {"component_type": "type", "cold_start_opt_in": "cold_start_alerts",
                 "channel_id": "channel", "realert_step_pct": "realert_step",
                 "poll_interval_seconds": "poll_every_minutes"}  # fmt: skip

_EXPECTED = (
    UserError,
    WatchError,
    BrowseError,
    ListingNotFoundError,
    AlertNotFoundError,
    FilterError,
    GuildSettingsError,
    NotManagerError,
)


def explain(error: BaseException) -> tuple[str, bool]:
    """What to tell the user about `error`, and whether it was an expected failure."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        if isinstance(error, app_commands.TransformerError):
            return f"{error.value!r} is not a valid {error.type.name.lower()} here.", True
        error = error.original
    if isinstance(error, InvalidWatchError):
        lines = error.lines(WATCH_OPTIONS)
        return "That watch cannot be saved:\n" + "\n".join(f"• {p}" for p in lines), True
    if isinstance(error, InvalidGuildSettingsError):
        return "That setting cannot be saved:\n" + "\n".join(f"• {p}" for p in error.problems), True
    if isinstance(error, _EXPECTED):
        return str(error), True
    if isinstance(error, QuotaExhaustedError):
        return f"eBay's daily call budget is spent: {error}", True
    if isinstance(error, ServiceError):
        return f"{error.service} did not answer as expected ({error}); try again shortly.", True
    if isinstance(error, app_commands.NoPrivateMessage):
        return "spt commands work inside a server, not in direct messages.", True
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f}s.", True
    if isinstance(error, app_commands.CheckFailure):
        return "You cannot use this command here.", True
    reference = secrets.token_hex(4)
    return f"Something went wrong on spt's side (reference `{reference}`); it was logged.", False


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer a failed interaction ephemerally and log what needs logging."""
    message, expected = explain(error)
    command = interaction.command.qualified_name if interaction.command else "component"
    context = {"guild_id": interaction.guild_id, "command": command}
    if expected:
        log.info("%s refused: %s", command, message.splitlines()[0], extra=context)
    else:
        original = getattr(error, "original", error)
        log.error("%s failed: %s", command, message, exc_info=original, extra=context)
    await send_ephemeral(interaction, embed=discord.Embed(description=message, color=ERROR_COLOR))


async def send_ephemeral(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
) -> None:
    """Answer or follow up, whichever the interaction still allows; never raises."""
    kwargs: dict[str, Any] = {"content": content}
    if embed is not None:
        kwargs["embed"] = embed
    try:
        if interaction.response.is_done():
            await interaction.followup.send(ephemeral=True, **kwargs)
        else:
            await interaction.response.send_message(ephemeral=True, **kwargs)
    except discord.HTTPException as exc:
        log.warning("could not answer interaction %s: %s", interaction.id, exc)
