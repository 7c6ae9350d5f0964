"""How the application reaches Discord without importing it.

The Discord package (`bot/`, with `cogs/`) depends on the application's services; the
application must not depend back on it. So `bot/` registers itself under the
`spt.integrations` entry-point group (pyproject.toml) and its CLI commands under
`spt.commands`, and the application loads them by name, only when a setting needs Discord
(a bot token, a webhook URL) or the command is asked for. `spt` without Discord settings
never imports discord.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import TYPE_CHECKING, Protocol

from app.errors import IntegrationError
from core.alerts.delivery import ChannelPort, WebhookPort
from core.settings import Settings

if TYPE_CHECKING:
    import aiohttp

    from app.services import Services
    from core.config_reload import SettingsHolder
    from core.doctor import Finding

__all__ = [
    "Connection",
    "Discord",
    "IntegrationError",
    "Webhook",
    "command_entry_points",
    "discord",
]
INTEGRATIONS = "spt.integrations"
COMMANDS = "spt.commands"


class Webhook(WebhookPort, Protocol):
    """The configured Discord webhook: posts alerts and answers a health check."""

    async def reachable(self) -> bool:
        """Whether the webhook exists and answers (posts nothing)."""
        ...


class Connection(Protocol):
    """The bot's gateway connection, kept for as long as `spt run` runs."""

    channels: ChannelPort

    async def up(self) -> bool:
        """Health check: connected and heartbeating."""
        ...

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, and connect again after each loss, until `stop` is set; an error no
        reconnect can fix raises `IntegrationError`."""
        ...


class Discord(Protocol):
    """What the Discord package offers the application."""

    def session(self) -> aiohttp.ClientSession:
        """An HTTP session for webhook requests (Discord's User-Agent, counted requests)."""
        ...

    def webhook(self, session: aiohttp.ClientSession, settings: Callable[[], Settings]) -> Webhook:
        """The webhook of `discord.webhook_url` over `session`."""
        ...

    def connect(self, services: Services) -> Connection:
        """A bot over `services`, not yet connected."""
        ...

    async def doctor(self, holder: SettingsHolder, channels: Mapping[int, str]) -> list[Finding]:
        """`spt doctor`'s Discord checks: login, gateway, each channel in `channels`
        (id -> why alerts go there), the webhook."""
        ...


def discord() -> Discord:
    """The installed Discord integration."""
    found = metadata.entry_points(group=INTEGRATIONS, name="discord")
    if not found:
        raise IntegrationError(
            "discord",
            "the Discord package is not installed with spt (reinstall: pip install -e .)",
        )
    integration: Discord = next(iter(found)).load()
    return integration


def command_entry_points() -> dict[str, metadata.EntryPoint]:
    """CLI commands other packages contribute, by name (loaded only when used)."""
    return {ep.name: ep for ep in metadata.entry_points(group=COMMANDS)}
