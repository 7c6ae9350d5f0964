"""`/listings top|search` and `/listing show`: what this server's watches found.

A guild only ever sees listings its own watches found; charts are drawn in a worker
thread so the bot's event loop keeps answering.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import autocomplete, embeds
from bot.client import SptBot
from bot.views import answer, send_pages
from core import charts
from core.alerts.card import plain
from core.browse import ListingDetail, component_type, money

HISTORY_CHART = "price-history.png"


async def history_chart(detail: ListingDetail) -> discord.File | None:
    """The price-history chart of a listing, with its market band, as an attachment."""
    if not detail.history:
        return None
    baseline = detail.baseline
    png = await asyncio.to_thread(
        charts.price_history,
        [(p.at, p.unit_price) for p in detail.history],
        detail.summary.currency,
        p25=baseline.p25 if baseline else None,
        p50=baseline.p50 if baseline else None,
        p75=baseline.p75 if baseline else None,
    )
    return discord.File(io.BytesIO(png), filename=HISTORY_CHART)


class Listings(commands.Cog):
    """Browsing the listings watches found."""

    listings = app_commands.Group(
        name="listings", description="Listings this server's watches found", guild_only=True
    )
    listing = app_commands.Group(name="listing", description="One listing", guild_only=True)

    def __init__(self, bot: SptBot) -> None:
        self.bot = bot

    @listings.command(name="top", description="The best deals found, best first")
    @app_commands.rename(kind="type")
    @app_commands.describe(
        watch="Only listings this watch found",
        kind="Only this component type",
        product_key="Only this product, e.g. ram:ddr4:rdimm:ecc_reg:32gb:2666",
    )
    @app_commands.autocomplete(
        watch=autocomplete.watches,
        kind=autocomplete.component_types,
        product_key=autocomplete.product_keys,
    )
    async def top(
        self,
        interaction: discord.Interaction[Any],
        watch: str | None = None,
        kind: str | None = None,
        product_key: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        guild = interaction.guild_id
        assert guild is not None
        services = self.bot.services
        watch_id = (await services.watches.get(guild, watch)).id if watch else None
        found = await services.browser.top(
            guild, watch_id=watch_id, kind=component_type(kind), product_key=product_key
        )
        await send_pages(
            interaction,
            embeds.listing_pages(
                "Top deals", found,
                "Nothing scored yet: listings appear once a watch has run and prices are known.",
            ),
        )  # fmt: skip

    @listings.command(name="search", description="Find listings by words in their titles")
    @app_commands.rename(kind="type")
    @app_commands.describe(
        text="Words that must all appear in the title",
        kind="Only this component type",
        max_price="Highest unit price, e.g. 60",
    )
    @app_commands.autocomplete(kind=autocomplete.component_types)
    async def search(
        self,
        interaction: discord.Interaction[Any],
        text: app_commands.Range[str, 1, 200],
        kind: str | None = None,
        max_price: str | None = None,
    ) -> None:
        guild = interaction.guild_id
        assert guild is not None
        found = await self.bot.services.browser.search(
            guild, text, kind=component_type(kind), max_unit_price=money(max_price, "max_price")
        )
        await send_pages(
            interaction,
            embeds.listing_pages(
                f"Listings matching {plain(text, 100)}", found,
                "No listing found by this server's watches matches.",
            ),
        )  # fmt: skip

    @listing.command(name="show", description="One listing: attributes, score, market, history")
    @app_commands.describe(listing="The listing's id (from the lists) or its eBay URL")
    async def show(
        self, interaction: discord.Interaction[Any], listing: app_commands.Range[str, 1, 500]
    ) -> None:
        guild = interaction.guild_id
        assert guild is not None
        browser = self.bot.services.browser
        await browser.resolve(guild, listing)  # bad references fail before "thinking…"
        await interaction.response.defer(ephemeral=True, thinking=True)
        detail = await browser.detail(guild, listing)
        chart = await history_chart(detail)
        embed = embeds.listing_detail(detail, HISTORY_CHART if chart else None)
        await answer(interaction, embed=embed, attachments=[chart] if chart else [])


async def setup(bot: SptBot) -> None:
    """Load the cog."""
    await bot.add_cog(Listings(bot))
