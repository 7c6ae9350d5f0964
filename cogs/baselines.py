"""`/baseline show`: a product's market (percentiles, samples) and its price distribution."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import autocomplete, embeds
from bot.client import SptBot
from bot.errors import UserError
from bot.views import answer
from core import charts
from core.alerts.card import code
from core.models import Marketplace
from core.pricing.baselines import Baseline

DISTRIBUTION_CHART = "price-distribution.png"
CURRENCIES = {m.currency for m in Marketplace}


def pick(found: list[Baseline], currency: str | None, preferred: str) -> Baseline:
    """The baseline in the asked currency, else the guild's, else the one with most prices."""
    if currency is not None:
        for baseline in found:
            if baseline.currency == currency:
                return baseline
        have = ", ".join(b.currency for b in found)
        raise UserError(f"No {currency} market for this product yet (there is: {have}).")
    for baseline in found:
        if baseline.currency == preferred:
            return baseline
    return max(found, key=lambda b: b.sample_count)


class Baselines(commands.Cog):
    """Market baselines."""

    baseline = app_commands.Group(
        name="baseline", description="What products usually cost", guild_only=True
    )

    def __init__(self, bot: SptBot) -> None:
        self.bot = bot

    @baseline.command(name="show", description="A product's market price and its spread")
    @app_commands.describe(
        product_key="The product, e.g. ram:ddr4:rdimm:ecc_reg:32gb:2666",
        currency="USD, GBP, EUR or AUD (default: this server's marketplace)",
    )
    @app_commands.autocomplete(
        product_key=autocomplete.product_keys, currency=autocomplete.currencies
    )
    async def show(
        self,
        interaction: discord.Interaction[Any],
        product_key: app_commands.Range[str, 1, 200],
        currency: str | None = None,
    ) -> None:
        wanted = currency.strip().upper() if currency else None
        if wanted is not None and wanted not in CURRENCIES:
            raise UserError(f"Unknown currency {currency!r}: choose USD, GBP, EUR or AUD.")
        services = self.bot.services
        found = await services.baselines.get(product_key)
        if not found:
            raise UserError(
                f"No baseline for `{code(product_key, 100)}` yet: pick a product key "
                "from the suggestions, or wait until watches have found a few of them."
            )
        settings = self.bot.holder.current
        chosen = pick(found, wanted, settings.ebay.default_marketplace.currency)
        await interaction.response.defer(ephemeral=True, thinking=True)
        prices = await services.browser.sample_prices(chosen.product_key, chosen.currency)
        chart: discord.File | None = None
        if prices:
            png = await asyncio.to_thread(
                charts.price_distribution,
                prices,
                chosen.currency,
                percentiles={"P10": chosen.p10, "P50": chosen.p50, "P90": chosen.p90},
            )
            chart = discord.File(io.BytesIO(png), filename=DISTRIBUTION_CHART)
        others = [b.currency for b in found if b is not chosen]
        embed = embeds.baseline_detail(
            chosen, settings.scoring,
            DISTRIBUTION_CHART if chart else None, others,
        )  # fmt: skip
        await answer(interaction, embed=embed, attachments=[chart] if chart else [])


async def setup(bot: SptBot) -> None:
    """Load the cog."""
    await bot.add_cog(Baselines(bot))
