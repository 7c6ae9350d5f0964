"""`/status`: external services, eBay quota, the queue, watches, problems and loops."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import embeds
from bot.client import SptBot
from bot.views import answer
from core.clock import utc_now


class Status(commands.Cog):
    """The /status command."""

    def __init__(self, bot: SptBot) -> None:
        self.bot = bot

    @app_commands.command(name="status", description="Is spt healthy? Services, quota, queue")
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.bot.services.status_report.report(interaction.guild_id)
        await answer(interaction, embed=embeds.status(report, utc_now()))


async def setup(bot: SptBot) -> None:
    """Load the cog."""
    await bot.add_cog(Status(bot))
