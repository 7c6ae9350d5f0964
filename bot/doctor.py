"""`spt doctor`'s Discord checks, for real: the bot logs in and connects to the gateway as
`spt run` would, and each channel alerts may go to is checked for the permissions spt
needs there; the webhook, when one is set, is fetched (which posts nothing)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

import aiohttp
import discord

from bot.client import SptBot
from bot.delivery import Webhook, discord_session
from core.config_reload import SettingsHolder
from core.doctor import Finding

READY_SECONDS = 30.0
# What posting an alert needs, and what finding it again after a crash needs.
NEEDED = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "read_message_history": "Read Message History",
}
PORTAL = "discord.com/developers/applications > your app > Bot"


async def check_discord(holder: SettingsHolder, channels: Mapping[int, str]) -> list[Finding]:
    """Login, gateway, every alert channel's permissions, and the webhook."""
    settings = holder.current.discord
    found: list[Finding] = []
    if settings.webhook_url is not None:
        found.append(await _check_webhook(holder))
    if settings.token is None:
        return found
    bot = SptBot(holder, None)
    try:
        try:
            await bot.login(settings.token.get_secret_value())
        except discord.LoginFailure:
            return [
                *found,
                Finding(
                    "Discord login",
                    False,
                    "Discord rejected the bot token",
                    f"copy a new token ({PORTAL} > Reset Token) into DISCORD_TOKEN",
                ),
            ]
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            return [
                *found,
                Finding(
                    "Discord login",
                    False,
                    f"cannot reach Discord ({exc})",
                    f"check the network and discord.api_base_url ({settings.api_base_url})",
                ),
            ]
        assert bot.user is not None
        found.append(Finding("Discord login", True, f"logged in as {bot.user}"))
        gateway = asyncio.create_task(bot.connect(reconnect=False))
        try:
            await asyncio.wait_for(bot.wait_until_ready(), READY_SECONDS)
        except discord.PrivilegedIntentsRequired:
            return [
                *found,
                Finding(
                    "Discord gateway",
                    False,
                    "an intent spt asked for is not allowed",
                    f"{PORTAL} > Privileged Gateway Intents",
                ),
            ]
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            problem = "no answer" if isinstance(exc, TimeoutError) else str(exc)
            return [
                *found,
                Finding(
                    "Discord gateway",
                    False,
                    f"cannot connect ({problem})",
                    "check that the network allows Discord's gateway",
                ),
            ]
        found.append(
            Finding(
                "Discord gateway", True, f"connected; the bot is in {len(bot.guilds)} server(s)"
            )
        )
        if not bot.guilds:
            found.append(
                Finding(
                    "Discord servers",
                    False,
                    "the bot is in no server",
                    "invite it with the link in the README (Installation)",
                )
            )
        found.extend(_check_channel(bot, channel, why) for channel, why in channels.items())
        with contextlib.suppress(Exception):
            await bot.close()
        with contextlib.suppress(Exception):
            await gateway
    finally:
        if not bot.is_closed():
            await bot.close()
    return found


def _check_channel(bot: discord.Client, channel_id: int, why: str) -> Finding:
    part = f"channel {channel_id} ({why})"
    channel = bot.get_channel(channel_id)
    if not isinstance(channel, discord.abc.GuildChannel):
        return Finding(
            part,
            False,
            "the bot cannot see it",
            "check the id (Developer Mode > right-click the channel > Copy Channel "
            "ID), that the bot is in that server, and that it has View Channel "
            "there",
        )
    permissions = channel.permissions_for(channel.guild.me)
    missing = [label for name, label in NEEDED.items() if not getattr(permissions, name)]
    if missing:
        named = " and ".join([", ".join(missing[:-1]), missing[-1]] if len(missing) > 1
                             else missing)  # fmt: skip
        return Finding(part, False, f"#{channel.name} lacks {named} for the bot",
                       f"allow {named} for the bot in #{channel.name}'s permissions")  # fmt: skip
    return Finding(part, True, f"#{channel.name} in {channel.guild.name}: the bot may post")


async def _check_webhook(holder: SettingsHolder) -> Finding:
    async with discord_session() as session:
        reachable = await Webhook(session, lambda: holder.current).reachable()
    if reachable:
        return Finding("Discord webhook", True, "the webhook exists (nothing was posted)")
    return Finding(
        "Discord webhook",
        False,
        "Discord does not know this webhook",
        "copy it again: Server Settings > Integrations > Webhooks > Copy Webhook "
        "URL, into SPT_DISCORD__WEBHOOK_URL",
    )
