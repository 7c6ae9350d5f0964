"""The Discord bot: a sharding-ready discord.py client that hosts the pipeline.

`setup_hook` loads every cog under `cogs/`, registers the persistent alert buttons
(DynamicItems, so buttons on old messages keep working after a restart) and starts the
pipeline's loops in the bot's own event loop; `close` stops them before disconnecting.
Commands are synced only when asked (`spt sync`), never on start.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import pkgutil
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

import cogs
from bot.app import Services, start_pipeline
from bot.discord_delivery import USER_AGENT, BotChannels, discord_trace
from bot.errors import report_error, send_ephemeral
from bot.views import AlertButton, DigestDismiss
from core.config_reload import SettingsHolder
from core.jobs.supervisor import Supervisor

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
        run_pipeline: bool = True,
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
        self.run_pipeline = run_pipeline
        self.supervisor = Supervisor()

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
        if self.run_pipeline and self._services is not None:
            start_pipeline(self._services, self.supervisor, self.discord_up, BotChannels(self))
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

    async def close(self) -> None:
        await self.supervisor.stop()
        await super().close()


async def run_bot(services: Services, stop: asyncio.Event) -> None:
    """Run the bot until `stop` is set or the connection ends for good."""
    token = services.holder.current.discord.token
    assert token is not None
    bot = SptBot(services.holder, services)
    async with bot:
        runner = asyncio.create_task(bot.start(token.get_secret_value()), name="discord")
        stopper = asyncio.create_task(stop.wait(), name="stop")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner not in done:
            log.info("shutting down")
            await bot.close()
        stopper.cancel()
        await runner  # re-raises a login failure or a fatal gateway error


async def command_payload(holder: SettingsHolder) -> list[dict[str, Any]]:
    """The application commands `spt sync` would register, as Discord's JSON."""
    bot = SptBot(holder, None, run_pipeline=False)
    for extension in cog_extensions():
        await bot.load_extension(extension)
    # Never logged in, so there is nothing to close (AutoShardedBot.close needs a start).
    return [command.to_dict(bot.tree) for command in bot.tree.get_commands()]


async def sync_commands(holder: SettingsHolder, guild_id: int | None) -> list[dict[str, Any]]:
    """Register the commands with Discord: globally, or instantly in one guild."""
    token = holder.current.discord.token
    if token is None:
        raise RuntimeError("syncing commands needs discord.token (DISCORD_TOKEN)")
    bot = SptBot(holder, None, run_pipeline=False)
    async with bot:
        await bot.login(token.get_secret_value())  # runs setup_hook: the cogs load
        guild = discord.Object(id=guild_id) if guild_id is not None else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    return [dict(command.to_dict()) for command in synced]
