"""`/alerts recent`: the server's latest alerts with their delivery state."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import embeds
from bot.client import SptBot
from bot.views import send_pages

RECENT = 100


class Alerts(commands.Cog):
    """Alert history."""

    alerts = app_commands.Group(name="alerts", description="Alert history", guild_only=True)

    def __init__(self, bot: SptBot) -> None:
        self.bot = bot

    @alerts.command(name="recent", description="The latest alerts, newest first")
    async def recent(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        rows = await self.bot.services.alerts.recent(interaction.guild_id, RECENT)
        await send_pages(interaction, embeds.alert_pages(rows))


async def setup(bot: SptBot) -> None:
    """Load the cog."""
    await bot.add_cog(Alerts(bot))
