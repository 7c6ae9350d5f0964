"""A small scored market in the bot's database: a guild's watch, its finds, alerts to post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.delivery import BotChannels
from core.alerts.channel import ChannelDelivery
from core.resilience import breaker_factory
from tests.bot.harness import DEALS, GUILD, Harness

KEY = "ram:ddr4:ecc_reg:32gb:2666"


class Seeder:
    """Writes listings as ingestion and extraction would, then refreshes and scores them."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.n = 0

    async def watch(self, name: str = "DDR4 deals", guild: int = GUILD, channel: int | None = DEALS,
                    **fields: Any) -> int:  # fmt: skip
        watch = await self.h.services.watches.add(
            guild, {"name": name, "query": "DDR4", "component_type": "ram", "channel_id": channel,
                    "threshold": 80, **fields},
        )  # fmt: skip
        return int(watch.id)

    async def listing(
        self, watch_id: int, price: str, *, title: str | None = None, key: str = KEY,
        attributes: dict[str, Any] | None = None,
    ) -> int:  # fmt: skip
        self.n += 1
        now = datetime.now(UTC)
        legacy = str(120_000_000_000 + self.n)
        listing_id: int = await self.h.pool.fetchval(
            "INSERT INTO listings (marketplace, item_id, legacy_item_id, title, url, image_url, "
            "currency, price, shipping, condition, seller_username, seller_feedback_score, "
            "seller_feedback_percent, seller_top_rated, first_seen_at, last_seen_at, updated_at) "
            "VALUES ('EBAY_US', $1, $2, $3, $4, 'https://i.ebayimg.com/x.jpg', 'USD', $5, 0, "
            "'used_working', 'homelab_parts', 5400, 99.8, true, $6, $6, $6) RETURNING id",
            f"v1|{legacy}|0", legacy, title or f"Samsung 32GB DDR4 2666 ECC RDIMM #{self.n}",
            f"https://www.ebay.com/itm/{legacy}", Decimal(price), now - timedelta(minutes=30),
        )  # fmt: skip
        await self.h.pool.execute(
            "INSERT INTO listing_prices (listing_id, observed_at, price, shipping) VALUES "
            "($1, $2, $3 + 15, 0), ($1, $4, $3, 0)",
            listing_id, now - timedelta(days=3), Decimal(price), now - timedelta(minutes=30),
        )  # fmt: skip
        await self.h.pool.execute(
            "INSERT INTO extractions (listing_id, component_type, attributes, confidence, method, "
            "quantity, product_key) VALUES ($1, 'ram', $2, 0.95, 'rules', 1, $3)",
            listing_id,
            attributes or {"generation": "DDR4", "capacity_gb": 32, "speed_mhz": 2666,
                           "ecc": True, "registered": True},
            key,
        )  # fmt: skip
        await self.h.pool.execute(
            "INSERT INTO watch_hits (watch_id, listing_id) VALUES ($1, $2)", watch_id, listing_id
        )
        return listing_id

    async def market(self, watch_id: int, deals: int = 1) -> list[int]:
        """Twelve market-priced listings and `deals` cheap ones; baselines refreshed, scored
        and alerts decided. Returns the cheap listings."""
        for price in range(100, 220, 10):
            await self.listing(watch_id, str(price))
        cheap = [await self.listing(watch_id, str(40 + n)) for n in range(deals)]
        await self.h.services.baselines.refresh()
        return cheap

    def delivery(self) -> ChannelDelivery:
        services = self.h.services
        return ChannelDelivery(services.db.pool, BotChannels(self.h.bot),
                               lambda: services.holder.current,
                               breaker_factory(), lambda: datetime.now(UTC), "test")  # fmt: skip
