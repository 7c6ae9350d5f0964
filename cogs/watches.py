"""`/watch`: add, list, show, edit, remove, pause, resume, filter and test watches.

Reading is open to every member; changing needs Manage Server or a manager role
(checked in code). Every query is scoped to the caller's guild.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import autocomplete, embeds
from bot.checks import manager_only
from bot.client import SptBot
from bot.errors import UserError
from bot.views import Confirm, answer, send_pages
from core.alerts.card import plain
from core.alerts.feedback import FeedbackService
from core.clock import utc_now
from core.marketplace.wiring import credentials
from core.watches import Watch, hints

CLEAR = {"none", "clear", "-", "off"}
# Option descriptions `/watch add` and `/watch edit` share.
LOWEST = "Lowest unit price"
HIGHEST = "Highest unit price"
CONDITIONS = "Accepted conditions, comma-separated"
THRESHOLD = "Score from 0 to 100 a listing needs to alert"
COLD_START = "Alert even before the product has enough prices to judge"
# The bot needs these in an alert channel to post embeds with buttons.
_NEEDED = ("view_channel", "send_messages", "embed_links")


class AlertChannel(app_commands.Transformer):
    """A text or announcement channel, taken from the interaction's resolved data."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> Any:
        return value


ChannelOption = app_commands.Transform[app_commands.AppCommandChannel, AlertChannel]


def _list(text: str | None, separators: str = ",") -> list[str] | None:
    if text is None:
        return None
    if text.strip().lower() in CLEAR:
        return []
    return [part.strip() for part in re.split(f"[{re.escape(separators)}]", text) if part.strip()]


def _amount(text: str | None) -> str | None:
    """A price option: as typed (the watch service validates it); `none` clears it."""
    if text is None:
        return None
    return "" if text.strip().lower() in CLEAR else text.strip()


def channel_notes(interaction: discord.Interaction[Any], channel_id: int) -> list[str]:
    """Warnings when the bot could not post alerts in the channel (as far as the cache says)."""
    guild = interaction.guild
    channel = guild.get_channel(channel_id) if guild is not None else None
    if guild is None or channel is None or guild.me is None:
        return []
    permissions = channel.permissions_for(guild.me)
    missing = [name.replace("_", " ").title() for name in _NEEDED
               if not getattr(permissions, name)]  # fmt: skip
    if missing:
        return [f"spt cannot post alerts in <#{channel_id}> yet: it lacks "
                f"{', '.join(missing)} there."]  # fmt: skip
    if not permissions.read_message_history:
        # Posting works; exactly-once does not: a resend cannot look for an earlier copy.
        return [f"spt can post in <#{channel_id}>, but without Read Message History there an "
                "alert resent after a crash may appear twice."]  # fmt: skip
    return []


@app_commands.guild_only()
class Watches(commands.GroupCog, group_name="watch", group_description="Saved eBay searches"):
    """Watch management."""

    def __init__(self, bot: SptBot) -> None:
        self.bot = bot
        super().__init__()

    @property
    def _service(self) -> Any:
        return self.bot.services.watches

    @property
    def _feedback(self) -> FeedbackService:
        return FeedbackService(self.bot.services.db.pool, utc_now)

    def _guild(self, interaction: discord.Interaction[Any]) -> int:
        assert interaction.guild_id is not None  # the tree refuses commands outside guilds
        return interaction.guild_id

    # ---------------------------------------------------------------- add / edit

    @app_commands.command(name="add", description="Watch eBay for deals on something")
    @app_commands.rename(kind="type", cold_start="cold_start_alerts")
    @app_commands.describe(
        name="A short name for the watch (unique in this server)",
        query="The eBay search words, e.g. 32GB DDR4 ECC RDIMM",
        kind="What the listings are: ram, drive, server, cpu, nic, gpu, ...",
        marketplace="The eBay site to search (default: the server's)",
        min_price=f"{LOWEST} in the marketplace's currency, e.g. 20",
        max_price=f"{HIGHEST} in the marketplace's currency, e.g. 60",
        conditions=f"{CONDITIONS} (default: anything but for parts)",
        threshold=f"{THRESHOLD} (default 80)",
        channel="Where alerts go (default: this channel)",
        cold_start=COLD_START,
        filters="Attribute filters, separated by ';', e.g. capacity_gb>=32; generation=DDR4",
    )
    @app_commands.autocomplete(
        kind=autocomplete.component_types,
        marketplace=autocomplete.marketplaces,
        conditions=autocomplete.conditions,
    )
    @manager_only()
    async def add(
        self,
        interaction: discord.Interaction[Any],
        name: app_commands.Range[str, 1, 100],
        query: app_commands.Range[str, 1, 350],
        kind: str,
        marketplace: str | None = None,
        min_price: str | None = None,
        max_price: str | None = None,
        conditions: str | None = None,
        threshold: app_commands.Range[int, 0, 100] | None = None,
        channel: ChannelOption | None = None,
        cold_start: bool | None = None,
        filters: str | None = None,
    ) -> None:
        channel_id = channel.id if channel is not None else interaction.channel_id
        fields = {
            "name": name, "query": query, "component_type": kind, "marketplace": marketplace,
            "min_price": _amount(min_price) or None, "max_price": _amount(max_price) or None,
            "conditions": _list(conditions), "threshold": threshold, "channel_id": channel_id,
            "cold_start_opt_in": cold_start, "filters": _list(filters, ";"),
        }  # fmt: skip
        watch = await self._service.add(self._guild(interaction), fields, interaction.user.id)
        notes = channel_notes(interaction, channel_id) if channel_id else []
        notes += hints(watch)
        await answer(
            interaction,
            embed=embeds.watch_detail(watch, utc_now(), f"Watch added: {watch.name}", notes),
        )

    @app_commands.command(name="edit", description="Change a watch's settings")
    @app_commands.rename(cold_start="cold_start_alerts", poll_minutes="poll_every_minutes")
    @app_commands.describe(
        watch="The watch to change",
        name="A new name",
        query="New eBay search words",
        marketplace="Another eBay site",
        min_price=f"{LOWEST}; 'none' removes the limit",
        max_price=f"{HIGHEST}; 'none' removes the limit",
        conditions=f"{CONDITIONS}; 'none' accepts anything but for parts",
        threshold=THRESHOLD,
        channel="Where alerts go",
        cold_start=COLD_START,
        realert_step="Unit-price drop in percent before a listing alerts again",
        poll_minutes="Minutes between searches (1 to 1440)",
        add_filter="An attribute filter to add to the watch's, e.g. capacity_gb>=32",
        remove_filter="One of the watch's filters to remove (its text or number)",
        clear_filters="Remove every attribute filter first",
    )
    @app_commands.autocomplete(
        watch=autocomplete.watches,
        marketplace=autocomplete.marketplaces,
        conditions=autocomplete.conditions,
        add_filter=autocomplete.filters,
        remove_filter=autocomplete.set_filters,
    )
    @manager_only()
    async def edit(
        self,
        interaction: discord.Interaction[Any],
        watch: str,
        name: app_commands.Range[str, 1, 100] | None = None,
        query: app_commands.Range[str, 1, 350] | None = None,
        marketplace: str | None = None,
        min_price: str | None = None,
        max_price: str | None = None,
        conditions: str | None = None,
        threshold: app_commands.Range[int, 0, 100] | None = None,
        channel: ChannelOption | None = None,
        cold_start: bool | None = None,
        realert_step: app_commands.Range[float, 0, 100] | None = None,
        poll_minutes: app_commands.Range[int, 1, 1440] | None = None,
        add_filter: app_commands.Range[str, 1, 200] | None = None,
        remove_filter: app_commands.Range[str, 1, 200] | None = None,
        clear_filters: bool = False,
    ) -> None:
        given: dict[str, Any] = {
            "name": name, "query": query, "marketplace": marketplace,
            "conditions": _list(conditions), "threshold": threshold,
            "channel_id": channel.id if channel is not None else None,
            "cold_start_opt_in": cold_start,
            "realert_step_pct": str(realert_step) if realert_step is not None else None,
            "poll_interval_seconds": poll_minutes * 60 if poll_minutes is not None else None,
        }  # fmt: skip
        changes = {k: v for k, v in given.items() if v is not None}
        for key, text in (("min_price", min_price), ("max_price", max_price)):
            amount = _amount(text)
            if amount is not None:
                changes[key] = amount or None  # '' (cleared) becomes no limit
        if not changes and add_filter is None and remove_filter is None and not clear_filters:
            raise UserError("Nothing to change: give at least one option besides the watch.")
        edited = await self._service.edit(
            self._guild(interaction), watch, changes,
            add_filters=[add_filter] if add_filter is not None else [],
            remove_filters=[remove_filter] if remove_filter is not None else [],
            clear_filters=clear_filters,
        )  # fmt: skip
        notes = channel_notes(interaction, channel.id) if channel is not None else []
        await answer(
            interaction,
            embed=embeds.watch_detail(edited, utc_now(), f"Watch updated: {edited.name}", notes),
        )

    # ---------------------------------------------------------------- read

    @app_commands.command(name="list", description="This server's watches")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        found: list[Watch] = await self._service.list(self._guild(interaction))
        await send_pages(interaction, embeds.watch_pages(found, utc_now()))

    @app_commands.command(name="show", description="One watch's settings and state")
    @app_commands.describe(watch="The watch (name or id)")
    @app_commands.autocomplete(watch=autocomplete.watches)
    async def show(self, interaction: discord.Interaction[Any], watch: str) -> None:
        guild = self._guild(interaction)
        found = await self._service.get(guild, watch)
        precision, suggestion = await self._feedback.review(guild, found)
        await answer(interaction, embed=embeds.watch_detail(
            found, utc_now(), precision=precision, suggestion=suggestion))  # fmt: skip

    # ---------------------------------------------------------------- state

    @app_commands.command(name="remove", description="Delete a watch with its alerts")
    @app_commands.describe(watch="The watch to delete")
    @app_commands.autocomplete(watch=autocomplete.watches)
    @manager_only()
    async def remove(self, interaction: discord.Interaction[Any], watch: str) -> None:
        guild = self._guild(interaction)
        found = await self._service.get(guild, watch)
        view = Confirm(interaction.user.id, "Delete")
        question = discord.Embed(
            description=f"Delete **{plain(found.name, 100)}** (`#{found.id}`) with its "
            "hits and alert history? This cannot be undone.",
            color=embeds.WARN,
        )
        await interaction.response.send_message(embed=question, view=view, ephemeral=True)
        await view.wait()
        if view.value is None or view.answer is None:
            done = discord.Embed(description="Nothing deleted (no answer).", color=embeds.MUTED)
            await interaction.edit_original_response(embed=done, view=None)
            return
        if not view.value:
            done = discord.Embed(description="Nothing deleted.", color=embeds.MUTED)
            await view.answer.response.edit_message(embed=done, view=None)
            return
        removed = await self._service.remove(guild, found.id)
        done = discord.Embed(
            description=f"Deleted watch **{plain(removed.name, 100)}** (`#{removed.id}`).",
            color=embeds.GOOD,
        )
        await view.answer.response.edit_message(embed=done, view=None)

    @app_commands.command(name="pause", description="Stop a watch from searching")
    @app_commands.describe(watch="The watch to pause")
    @app_commands.autocomplete(watch=autocomplete.watches)
    @manager_only()
    async def pause(self, interaction: discord.Interaction[Any], watch: str) -> None:
        paused = await self._service.set_enabled(self._guild(interaction), watch, False)
        await answer(interaction, embed=embeds.watch_detail(paused, utc_now(), "Watch paused"))

    @app_commands.command(name="resume", description="Resume a paused or muted watch now")
    @app_commands.describe(watch="The watch to resume")
    @app_commands.autocomplete(watch=autocomplete.watches)
    @manager_only()
    async def resume(self, interaction: discord.Interaction[Any], watch: str) -> None:
        resumed = await self._service.set_enabled(self._guild(interaction), watch, True)
        await answer(interaction, embed=embeds.watch_detail(resumed, utc_now(), "Watch resumed"))

    # ---------------------------------------------------------------- filters and test

    @app_commands.command(name="filter", description="Add, remove or clear attribute filters")
    @app_commands.describe(
        watch="The watch",
        action="What to do with the filter",
        filter="e.g. capacity_gb>=32, generation=DDR4, 'port_type in SFP+,SFP28' (or its number)",
    )
    @app_commands.choices(
        action=[
            app_commands.Choice(name="add", value="add"),
            app_commands.Choice(name="remove", value="remove"),
            app_commands.Choice(name="clear all", value="clear"),
        ]
    )
    @app_commands.autocomplete(watch=autocomplete.watches, filter=autocomplete.filters)
    @manager_only()
    async def filter(
        self,
        interaction: discord.Interaction[Any],
        watch: str,
        action: str,
        filter: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        guild = self._guild(interaction)
        if action != "clear" and filter is None:
            raise UserError(f"Give the filter to {action}, e.g. capacity_gb>=32.")
        items = [filter] if filter is not None else []
        changed = await self._service.change_filters(
            guild, watch, add=items if action == "add" else (),
            remove=items if action == "remove" else (), clear=action == "clear",
        )  # fmt: skip
        await answer(interaction, embed=embeds.watch_detail(changed, utc_now(), "Filters updated"))

    @app_commands.command(name="test", description="Search now and show what would alert")
    @app_commands.describe(watch="The watch to try (nothing is stored or alerted)")
    @app_commands.autocomplete(watch=autocomplete.watches)
    @app_commands.checks.cooldown(1, 10.0, key=lambda i: (i.guild_id, i.user.id))
    async def test(self, interaction: discord.Interaction[Any], watch: str) -> None:
        found = await self._service.get(self._guild(interaction), watch)
        if credentials(self.bot.holder.current) is None:
            raise UserError(
                "eBay is not configured (EBAY_CLIENT_ID / EBAY_CLIENT_SECRET), so spt cannot "
                "search now."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.bot.services.preview.run(found)
        await answer(interaction, embed=embeds.preview(result))


async def setup(bot: SptBot) -> None:
    """Load the cog."""
    await bot.add_cog(Watches(bot))
