"""The Discord bot: a sharding-ready discord.py client beside the pipeline.

`setup_hook` loads every cog under `cogs/` and registers the persistent alert buttons
(DynamicItems, so buttons on old messages keep working after a restart). The pipeline's
loops are not the bot's: `spt run` (app/run.py) starts them under its one supervisor and
keeps the bot connected beside them (`DiscordConnection`), so losing Discord never stops
ingestion.
Commands are synced only when asked (`spt sync`), never on start.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import pkgutil
from datetime import datetime
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

import cogs
from app.errors import IntegrationError
from app.services import Services
from bot.delivery import USER_AGENT, BotChannels, discord_trace
from bot.errors import report_error, send_ephemeral
from bot.views import AlertButton, DigestDismiss
from core.alerts.delivery import OutgoingMessage
from core.config_reload import SettingsHolder
from core.resilience import RetryableError

log = logging.getLogger(__name__)
# spt never joins voice: silence discord.py's start-up warnings about voice libraries.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


def cog_extensions() -> list[str]:
    """Every cog module under `cogs/` (modules starting with `_` are helpers)."""
    return sorted(
        f"{cogs.__name__}.{module.name}"
        for module in pkgutil.iter_modules(cogs.__path__)
        if not module.name.startswith("_")
    )


class SptTree(app_commands.CommandTree["SptBot"]):
    """The command tree: guild-only, with the bot's one error policy."""

    async def interaction_check(self, interaction: discord.Interaction[SptBot]) -> bool:
        if interaction.guild_id is None:
            await send_ephemeral(
                interaction, content="spt commands work inside a server, not in direct messages."
            )
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction[SptBot], error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)


class SptBot(commands.AutoShardedBot):
    """spt's Discord process. `services` is None only for command payloads and syncing."""

    def __init__(
        self,
        holder: SettingsHolder,
        services: Services | None,
        *,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        settings = holder.current.discord
        # discord.py builds every REST and interaction URL from this (tests point it at a fake).
        discord.http.Route.BASE = settings.api_base_url.rstrip("/")
        intents = discord.Intents.none()
        intents.guilds = True  # guild, channel and role cache: permissions in alert channels
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            tree_cls=SptTree,
            # Servers only: no DMs, no user installs (every command reads a guild's data).
            allowed_contexts=app_commands.AppCommandContext(guild=True),
            allowed_installs=app_commands.AppInstallationType(guild=True),
            allowed_mentions=discord.AllowedMentions.none(),
            shard_count=settings.shard_count,
            chunk_guilds_at_startup=False,
            guild_ready_timeout=guild_ready_timeout,
            activity=discord.CustomActivity(name="watching eBay for deals"),
            http_trace=discord_trace(),
        )
        # Discord asks for `DiscordBot (url, version)`: spt's, with discord.py's after it.
        self.http.user_agent = USER_AGENT
        self.holder = holder
        self._services = services

    @property
    def services(self) -> Services:
        """The composition root's services."""
        if self._services is None:
            raise RuntimeError("this bot was built without services (payload or sync only)")
        return self._services

    async def setup_hook(self) -> None:
        for extension in cog_extensions():
            await self.load_extension(extension)
        self.add_dynamic_items(AlertButton, DigestDismiss)
        log.info("loaded %d cog(s); %d command(s)", len(self.cogs), len(self.tree.get_commands()))
        # Everything loaded so far (modules, lexicons, caches: ~300k objects) lives as long as
        # the process; frozen, full collections skip it instead of pausing answers ~0.4 s.
        gc.freeze()

    async def discord_up(self) -> bool:
        """Health check: the gateway is connected and heartbeats are acknowledged."""
        return self.is_ready() and not self.is_closed() and math.isfinite(self.latency)

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("connected to Discord as %s (%s): %d guild(s), %d shard(s)", self.user,
                 self.user.id, len(self.guilds), self.shard_count or 1)  # fmt: skip
        if self._services is not None and "discord" in self._services.health.services:
            await self._services.health.check("discord")  # up now, not at the next interval


# Errors no reconnect can fix: the process stops and says why.
FATAL = (discord.LoginFailure, discord.PrivilegedIntentsRequired)


def fatal_problem(exc: Exception) -> str:
    """What to fix, in one line, for an error no reconnect can fix."""
    if isinstance(exc, discord.LoginFailure):
        return "Discord rejected the bot token (discord.token / DISCORD_TOKEN)"
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return "the bot asked for an intent it is not allowed in the developer portal"
    return f"{type(exc).__name__}: {exc}"


RECONNECT_BASE_SECONDS = 2.0
RECONNECT_MAX_SECONDS = 300.0


class DiscordConnection:
    """Keeps the bot connected for as long as `spt run` runs, beside the pipeline.

    discord.py resumes a dropped gateway by itself; when the client gives up (Discord
    unreachable at start, a connection closed for good), a fresh bot connects again after
    a back-off while the pipeline goes on. A rejected token or a missing privileged
    intent ends the process instead: no retry can fix those.
    """

    def __init__(self, services: Services, bot_type: type[SptBot] | None = None) -> None:
        self._services = services
        self._bot_type = bot_type or SptBot
        self.bot: SptBot | None = None
        self.connects = 0

    async def up(self) -> bool:
        """Health check: the current bot's gateway is connected."""
        return self.bot is not None and await self.bot.discord_up()

    @property
    def channels(self) -> CurrentBotChannels:
        """Channel alerts through whichever bot is connected now."""
        return CurrentBotChannels(self)

    def current(self) -> discord.Client:
        """The bot to send through now; a retryable error while there is none."""
        if self.bot is None or self.bot.is_closed():
            raise RetryableError("discord", "the bot is not connected to Discord")
        return self.bot

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, and connect again after each loss, until `stop` is set."""
        delay = RECONNECT_BASE_SECONDS
        while not stop.is_set():
            try:
                await self._connect_once(stop)
                why = "the connection ended"
            except FATAL as exc:
                raise IntegrationError("discord", fatal_problem(exc)) from exc
            except (discord.DiscordException, OSError, aiohttp.ClientError) as exc:
                why = str(exc) or type(exc).__name__
            if stop.is_set():
                return
            log.warning("lost Discord (%s); the pipeline goes on; connecting again in %.0f s",
                        why, delay)  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def _connect_once(self, stop: asyncio.Event) -> None:
        token = self._services.holder.current.discord.token
        assert token is not None
        bot = self._bot_type(self._services.holder, self._services)
        self.bot = bot
        self.connects += 1
        async with bot:
            runner = asyncio.create_task(bot.start(token.get_secret_value()), name="discord")
            stopper = asyncio.create_task(stop.wait(), name="stop")
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if runner not in done:
                await bot.close()
            await runner  # re-raises why the connection ended


class CurrentBotChannels:
    """`ChannelPort` through whichever bot `DiscordConnection` has connected now."""

    def __init__(self, connection: DiscordConnection) -> None:
        self._connection = connection

    async def post(self, channel_id: int, message: OutgoingMessage) -> int:
        """Create the message through the current bot."""
        return await BotChannels(self._connection.current()).post(channel_id, message)

    async def find(self, channel_id: int, ref: str, since: datetime) -> int | None:
        """Look for an earlier send through the current bot."""
        return await BotChannels(self._connection.current()).find(channel_id, ref, since)


async def command_payload(holder: SettingsHolder) -> list[dict[str, Any]]:
    """The application commands `spt sync` would register, as Discord's JSON."""
    bot = SptBot(holder, None)
    for extension in cog_extensions():
        await bot.load_extension(extension)
    # Never logged in, so there is nothing to close (AutoShardedBot.close needs a start).
    return [command.to_dict(bot.tree) for command in bot.tree.get_commands()]


async def sync_commands(holder: SettingsHolder, guild_id: int | None) -> list[dict[str, Any]]:
    """Register the commands with Discord: globally, or instantly in one guild."""
    token = holder.current.discord.token
    if token is None:
        raise RuntimeError("syncing commands needs discord.token (DISCORD_TOKEN)")
    bot = SptBot(holder, None)
    async with bot:
        await bot.login(token.get_secret_value())  # runs setup_hook: the cogs load
        guild = discord.Object(id=guild_id) if guild_id is not None else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    return [dict(command.to_dict()) for command in synced]
