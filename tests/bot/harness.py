"""A running spt bot against the fake Discord, and helpers to talk to it as members do.

The bot is the real `SptBot` over real services (PostgreSQL, the sandbox marketplace),
connected through the fake's gateway; commands, autocomplete and button clicks arrive as
INTERACTION_CREATE events and the answers are read back from the fake's records.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from app.pipeline import start_pipeline
from app.services import Services, open_services
from bot.client import SptBot
from bot.delivery import BotChannels
from core.config_reload import SettingsHolder
from core.jobs.supervisor import Supervisor
from core.settings import load_settings, parse_cli_overrides
from sandbox import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    SandboxMarketplace,
)
from tests.fakes.discord_api import (
    BOT_TOKEN,
    FakeDiscord,
    InteractionRecord,
    OptionValue,
    P,
    StoredMessage,
)

# Guild ids on different shards when there are two (shard = (id >> 22) % count).
GUILD = (290_000_000_000 << 22) | 101
OTHER_GUILD = (290_000_000_001 << 22) | 102
DEALS = 1_300_000_000_000_000_010
READ_ONLY = 1_300_000_000_000_000_011
OTHER_DEALS = 1_300_000_000_000_000_020
ADMIN_ROLE = 1_300_000_000_000_000_050  # has Manage Server
SPT_ROLE = 1_300_000_000_000_000_051  # no permissions, but a configured manager role
PLAIN_ROLE = 1_300_000_000_000_000_052
OTHER_ADMIN_ROLE = 1_300_000_000_000_000_060
OTHER_MEMBER_ROLE = 1_300_000_000_000_000_061  # no permissions, in the other guild
STRANGER = 1_300_000_000_000_000_070  # another member of our guild


@dataclass
class Answer:
    """What the member finally sees: the message an interaction ended with."""

    ephemeral: bool
    content: str | None
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    files: list[Any]

    @property
    def embed(self) -> dict[str, Any]:
        """The one embed (fails when there is not exactly one)."""
        (only,) = self.embeds
        return only

    def text(self) -> str:
        """Every piece of text in the answer, for `in` checks."""
        parts = [self.content or ""]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "") or ""]
            parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
            parts.append(embed.get("footer", {}).get("text", ""))
        return "\n".join(parts)

    def buttons(self) -> list[dict[str, Any]]:
        """Every button, row by row."""
        return [c for row in self.components for c in row.get("components", [])]


def custom_ids(answer: Answer) -> list[str]:
    """The custom_ids of the answer's buttons (link buttons have none)."""
    return [b["custom_id"] for b in answer.buttons() if "custom_id" in b]


class Harness:
    """The fake Discord, spt's services and a connected bot."""

    def __init__(
        self, fake: FakeDiscord, services: Services, bot: SptBot, supervisor: Supervisor
    ) -> None:
        self.fake = fake
        self.services = services
        self.bot = bot
        self.supervisor = supervisor  # the pipeline's loops, when the harness runs them
        self.pool = services.db.pool

    # ---------------------------------------------------------------- members

    def member(self, kind: str, guild_id: int = GUILD) -> dict[str, Any]:
        """Who interacts: 'admin' (Manage Server), 'manager' (configured role), 'member', or
        'stranger' (a member with Manage Server who is not the one who ran the command); in
        the other guild 'admin' or 'member' (a role without permissions)."""
        if guild_id != GUILD:
            other = {"admin": [OTHER_ADMIN_ROLE], "member": [OTHER_MEMBER_ROLE]}
            return {"roles": other.get(kind, [])}
        if kind == "stranger":
            return {"roles": [ADMIN_ROLE], "user_id": STRANGER}
        roles = {"admin": [ADMIN_ROLE], "manager": [SPT_ROLE], "member": [PLAIN_ROLE]}[kind]
        return {"roles": roles}

    # ---------------------------------------------------------------- interactions

    async def command(
        self,
        name: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        who: str = "admin",
        guild_id: int = GUILD,
        channel_id: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> InteractionRecord:
        """Run a slash command as a member; returns once the bot acknowledged it."""
        channel = channel_id or (DEALS if guild_id == GUILD else OTHER_DEALS)
        payload = self.fake.slash_command(
            name, dict(options or {}), guild_id=guild_id, channel_id=channel,
            command_guild_id=None, **self._who(who, guild_id),
        )  # fmt: skip
        return await self.fake.interact(payload, timeout)

    async def run(
        self,
        name: str,
        options: Mapping[str, OptionValue] | None = None,
        **kwargs: Any,
    ) -> Answer:
        """Run a command and wait for its final answer (after "thinking…" if deferred)."""
        return await self.answer(await self.command(name, options, **kwargs))

    async def answer(self, record: InteractionRecord, timeout: float = 15.0) -> Answer:  # noqa: ASYNC109
        """The message an interaction ended with (the edit after a deferral, if any)."""
        if record.type == 5:
            await record.wait_for(lambda r: bool(r.edits or r.followups), timeout)
            message = record.original
            assert message is not None
            return Answer(bool(record.flags & 64), message.content, message.embeds,
                          message.components, list(message.files))  # fmt: skip
        return Answer(record.ephemeral, record.content, record.embeds, record.components,
                      list(record.files))  # fmt: skip

    async def complete(
        self,
        name: str,
        options: Mapping[str, OptionValue],
        focused: str,
        *,
        who: str = "admin",
        guild_id: int = GUILD,
    ) -> list[dict[str, Any]]:
        """Autocomplete choices for the focused option."""
        payload = self.fake.autocomplete(
            name, dict(options), focused=focused, guild_id=guild_id,
            channel_id=DEALS if guild_id == GUILD else OTHER_DEALS, **self._who(who, guild_id),
        )  # fmt: skip
        record = await self.fake.interact(payload)
        assert record.type == 8
        return record.choices

    async def click(
        self,
        message: StoredMessage | dict[str, Any],
        custom_id: str,
        *,
        who: str = "admin",
        guild_id: int = GUILD,
        channel_id: int | None = None,
    ) -> InteractionRecord:
        """Click a button on a message."""
        channel = channel_id or (DEALS if guild_id == GUILD else OTHER_DEALS)
        payload = self.fake.component(
            custom_id, message=message, guild_id=guild_id, channel_id=channel,
            **self._who(who, guild_id),
        )  # fmt: skip
        return await self.fake.interact(payload)

    def _who(self, who: str, guild_id: int) -> dict[str, Any]:
        return self.member(who, guild_id)


def world(fake: FakeDiscord) -> None:
    """Two guilds: ours with a deals channel, a read-only one and three roles; another."""
    fake.add_guild(GUILD, "Homelab Deals")
    fake.add_channel(GUILD, DEALS, "deals")
    fake.add_channel(GUILD, READ_ONLY, "announcements", writable=False)
    fake.add_role(GUILD, ADMIN_ROLE, "Admins", int(P.MANAGE_GUILD))
    fake.add_role(GUILD, SPT_ROLE, "spt managers")
    fake.add_role(GUILD, PLAIN_ROLE, "Members")
    fake.add_member(GUILD, STRANGER, username="stranger", roles=[ADMIN_ROLE])
    fake.add_guild(OTHER_GUILD, "Someone else")
    fake.add_channel(OTHER_GUILD, OTHER_DEALS, "general")
    fake.add_role(OTHER_GUILD, OTHER_ADMIN_ROLE, "Admins", int(P.MANAGE_GUILD))
    fake.add_role(OTHER_GUILD, OTHER_MEMBER_ROLE, "Members")


def holder_for(
    fake: FakeDiscord, database_url: str, sandbox: SandboxMarketplace | None, *pairs: str
) -> SettingsHolder:
    """Settings pointing at the fake Discord, the test database and the sandbox eBay."""
    values = [
        f"database.url={database_url!r}",
        f"discord.token={BOT_TOKEN!r}",
        f"discord.api_base_url={fake.base_url!r}",
        f"discord.manager_role_ids=[{SPT_ROLE}]",
        "extract.backend='rules'",
        "scoring.alert_min_samples=10",  # tests/bot/market.py's dozen listings make a market
        "resilience.backoff_base_seconds=0.01",
        "resilience.backoff_max_seconds=0.05",
        "ebay.requests_per_second=100",
        "ebay.burst=1000",
        *pairs,
    ]
    if sandbox is not None:
        values += [
            f"ebay.api_base_url={sandbox.base_url!r}",
            f"ebay.client_id={DEFAULT_CLIENT_ID!r}",
            f"ebay.client_secret={DEFAULT_CLIENT_SECRET!r}",
        ]
    layer = parse_cli_overrides(values)

    def load() -> Any:
        return load_settings(None, layer, {})

    return SettingsHolder(load(), load)


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord, holder: SettingsHolder, *, run_pipeline: bool = False
) -> AsyncIterator[Harness]:
    """Services over the test database, and an SptBot connected to the fake until exit."""
    async with open_services(holder) as services:
        bot = SptBot(holder, services, guild_ready_timeout=0.05)
        supervisor = Supervisor()
        if run_pipeline:  # as `spt run` does: the pipeline beside the bot
            start_pipeline(services, supervisor, bot.discord_up, BotChannels(bot))
        await bot.login(BOT_TOKEN)
        connect = asyncio.create_task(bot.connect(reconnect=False))
        ready = asyncio.create_task(bot.wait_until_ready())
        try:
            done, _ = await asyncio.wait({connect, ready}, timeout=10,
                                         return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
            if connect in done:
                connect.result()
                raise AssertionError("the bot stopped before it was ready")
            if ready not in done:
                raise TimeoutError("the bot did not become ready")
            yield Harness(fake, services, bot, supervisor)
        finally:
            ready.cancel()
            await supervisor.stop()
            await bot.close()
            await asyncio.gather(connect, return_exceptions=True)
