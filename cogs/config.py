"""`/config`: this server's spt settings: manager roles, the default alert channel, quiet
hours and a daily alert cap per channel.

`/config show` is open to every member; every change needs Manage Server or a manager role
(checked in code), and touches only the caller's guild's row. The operator's
`discord.manager_role_ids` keep managing every guild whatever a guild sets here.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import autocomplete, embeds
from bot.checks import manager_only
from bot.client import SptBot
from bot.errors import UserError
from bot.views import answer
from cogs.watches import ChannelOption, channel_notes
from core.guild_settings import CAP_MAX, CAP_MIN, GuildSettings, GuildSettingsService

TIME = "HH:MM on a 24-hour clock"
ZONE = "IANA time zone, e.g. Europe/Berlin (default: the server's, else UTC)"


@app_commands.guild_only()
class Config(
    commands.GroupCog, group_name="config", group_description="This server's spt settings"
):
    """Per-server settings."""

    manager_role = app_commands.Group(
        name="manager-role", description="Roles whose members may manage spt in this server"
    )
    alert_channel = app_commands.Group(
        name="alert-channel", description="Where alerts of watches without a channel go"
    )
    quiet_hours = app_commands.Group(
        name="quiet-hours", description="Hours in which alerts wait and go out afterwards"
    )
    daily_cap = app_commands.Group(
        name="daily-cap", description="The most alerts spt posts in one channel a day"
    )

    def __init__(self, bot: SptBot) -> None:
        self.bot = bot
        super().__init__()

    @property
    def _service(self) -> GuildSettingsService:
        return self.bot.services.guild_settings

    def _guild(self, interaction: discord.Interaction[Any]) -> int:
        assert interaction.guild_id is not None  # the tree refuses commands outside guilds
        return interaction.guild_id

    async def _answer(
        self, interaction: discord.Interaction[Any], title: str, notes: list[str] | None = None
    ) -> None:
        """The guild's settings as they are now, under what was done."""
        overview = await self._service.overview(self._guild(interaction))
        guild = interaction.guild
        # The operator's roles that exist in this guild (others would show as unknown roles).
        operator = [r for r in self.bot.holder.current.discord.manager_role_ids
                    if guild is not None and guild.get_role(r) is not None]  # fmt: skip
        await answer(interaction, embed=embeds.guild_settings(overview, operator, title,
                                                              notes or []))  # fmt: skip

    async def _update(self, interaction: discord.Interaction[Any], **changes: Any) -> GuildSettings:
        return await self._service.update(self._guild(interaction), changes)

    # ---------------------------------------------------------------- read

    @app_commands.command(name="show", description="This server's spt settings")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        await self._answer(interaction, "Server settings")

    # ---------------------------------------------------------------- manager roles

    @manager_role.command(name="add", description="Let members with a role manage spt here")
    @app_commands.describe(role="The role whose members may add, change and remove watches")
    @manager_only()
    async def role_add(self, interaction: discord.Interaction[Any], role: discord.Role) -> None:
        if role.is_default():
            raise UserError(
                "@everyone cannot be a manager role: every member could then change spt's "
                "watches and settings. Pick a role members are given."
            )
        before = await self._service.get(self._guild(interaction))
        await self._service.add_manager_role(self._guild(interaction), role.id)
        done = "was already" if role.id in before.manager_role_ids else "is now"
        await self._answer(interaction, f"{role.name} {done} a manager role"[:256])

    @manager_role.command(name="remove", description="Stop a role from managing spt here")
    @app_commands.describe(role="One of this server's spt manager roles")
    @manager_only()
    async def role_remove(self, interaction: discord.Interaction[Any], role: discord.Role) -> None:
        current = await self._service.get(self._guild(interaction))
        if role.id not in current.manager_role_ids:
            raise UserError(
                f"{role.mention} is not one of this server's spt manager roles; "
                "`/config show` lists them."
            )
        await self._service.remove_manager_role(self._guild(interaction), role.id)
        await self._answer(interaction, f"{role.name} no longer manages spt"[:256])

    # ---------------------------------------------------------------- default channel

    @alert_channel.command(name="set", description="Alerts of watches without a channel go here")
    @app_commands.describe(channel="A text or announcement channel spt can post in")
    @manager_only()
    async def channel_set(
        self, interaction: discord.Interaction[Any], channel: ChannelOption
    ) -> None:
        await self._update(interaction, default_channel_id=channel.id)
        await self._answer(interaction, "Default alert channel set",
                           channel_notes(interaction, channel.id))  # fmt: skip

    @alert_channel.command(name="clear", description="No default alert channel of this server")
    @manager_only()
    async def channel_clear(self, interaction: discord.Interaction[Any]) -> None:
        await self._update(interaction, default_channel_id=None)
        await self._answer(interaction, "Default alert channel cleared")

    # ---------------------------------------------------------------- quiet hours

    @quiet_hours.command(name="set", description="Hold alerts during these hours every day")
    @app_commands.describe(
        start=f"When quiet hours begin, {TIME}, e.g. 22:00",
        end=f"When they end, {TIME}, e.g. 07:00 (before the start: overnight)",
        timezone=ZONE,
    )
    @app_commands.autocomplete(timezone=autocomplete.time_zones)
    @manager_only()
    async def quiet_set(
        self,
        interaction: discord.Interaction[Any],
        start: app_commands.Range[str, 1, 8],
        end: app_commands.Range[str, 1, 8],
        timezone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        changes: dict[str, Any] = {"quiet_start": start, "quiet_end": end}
        if timezone is not None:
            changes["timezone"] = timezone
        saved = await self._update(interaction, **changes)
        await self._answer(interaction, f"Quiet hours set: {saved.quiet_hours_text()}"[:256],
                           ["Alerts due in quiet hours wait and go out when they end "
                            "(several at once as one digest); none is lost."])  # fmt: skip

    @quiet_hours.command(name="clear", description="No quiet hours: alerts go out at once")
    @manager_only()
    async def quiet_clear(self, interaction: discord.Interaction[Any]) -> None:
        await self._update(interaction, quiet_start=None, quiet_end=None)
        await self._answer(interaction, "Quiet hours cleared")

    # ---------------------------------------------------------------- daily cap

    @daily_cap.command(name="set", description="Post at most this many alerts per channel a day")
    @app_commands.describe(
        alerts=f"Alerts per channel a day, {CAP_MIN} to {CAP_MAX}; more are held back",
        timezone=f"{ZONE}; days start at midnight there",
    )
    @app_commands.autocomplete(timezone=autocomplete.time_zones)
    @manager_only()
    async def cap_set(
        self,
        interaction: discord.Interaction[Any],
        alerts: app_commands.Range[int, CAP_MIN, CAP_MAX],
        timezone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        changes: dict[str, Any] = {"daily_cap": alerts}
        if timezone is not None:
            changes["timezone"] = timezone
        saved = await self._update(interaction, **changes)
        await self._answer(
            interaction,
            f"Daily cap set: {saved.daily_cap} alert(s) per channel a day",
            ["Alerts past the cap are not posted; `/alerts recent` lists them as capped."],
        )

    @daily_cap.command(name="clear", description="No daily cap on alerts")
    @manager_only()
    async def cap_clear(self, interaction: discord.Interaction[Any]) -> None:
        await self._update(interaction, daily_cap=None)
        await self._answer(interaction, "Daily cap cleared")


async def setup(bot: SptBot) -> None:
    """Load the cog."""
    await bot.add_cog(Config(bot))
