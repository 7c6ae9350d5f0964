"""The Discord package as the application sees it (the `spt.integrations` entry point).

The application never imports this package: it loads `DISCORD` by name when a bot token
or a webhook URL is set (app/integrations.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import aiohttp

from app.services import Services
from bot.client import DiscordConnection
from bot.delivery import Webhook, discord_session
from core.config_reload import SettingsHolder
from core.doctor import Finding
from core.settings import Settings


class DiscordIntegration:
    """Webhooks on Discord's session, and the bot's gateway connection."""

    def session(self) -> aiohttp.ClientSession:
        """An HTTP session with Discord's User-Agent whose requests are counted."""
        return discord_session()

    def webhook(self, session: aiohttp.ClientSession, settings: Callable[[], Settings]) -> Webhook:
        """The webhook of `discord.webhook_url`."""
        return Webhook(session, settings)

    def connect(self, services: Services) -> DiscordConnection:
        """A bot over `services`; `run(stop)` connects it."""
        return DiscordConnection(services)

    async def doctor(self, holder: SettingsHolder, channels: Mapping[int, str]) -> list[Finding]:
        """Login, gateway, the alert channels' permissions, the webhook."""
        from bot.doctor import check_discord

        return await check_discord(holder, channels)


DISCORD = DiscordIntegration()
