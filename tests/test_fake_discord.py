"""Real discord.py bots against the fake Discord: login, gateway, interactions, REST failures."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakes.discord_api import (
    BOT_TOKEN,
    ChannelArg,
    FakeDiscord,
    RequestRecord,
    RoleArg,
    UserArg,
    shard_for,
)

AGENT = "DiscordBot (https://github.com/spt-dev/spt, 0.1.0)"

# Guild ids chosen so that with two shards GUILD_A lands on shard 0 and GUILD_B on shard 1.
GUILD_A = (290_000_000_000 << 22) | 101
GUILD_B = (290_000_000_001 << 22) | 102
CHANNEL = 1_200_000_000_000_000_010
READ_ONLY = 1_200_000_000_000_000_011
CHANNEL_B = 1_200_000_000_000_000_020
HIDDEN = 1_200_000_000_000_000_030
MEMBER = 1_200_000_000_000_000_040
ROLE = 1_200_000_000_000_000_050
CSV = b"model,price\nR740,499\n"

BotT = TypeVar("BotT", bound=commands.Bot | commands.AutoShardedBot)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """Two guilds, a writable and a read-only channel; discord.py pointed at the fake."""
    async with FakeDiscord() as server:
        server.add_guild(GUILD_A, "Deals")
        server.add_channel(GUILD_A, CHANNEL, "deals")
        server.add_channel(GUILD_A, READ_ONLY, "announcements", writable=False)
        server.add_guild(GUILD_B, "Homelab")
        server.add_channel(GUILD_B, CHANNEL_B, "general")
        with server.patch_discord():
            yield server


class ShardedBot(commands.AutoShardedBot):
    """The bot under test; connects every shard at once."""

    def __init__(self) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
        )

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py's default sleeps 5 s before every IDENTIFY but the first."""


def plain_bot() -> commands.Bot:
    return commands.Bot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
    )


@contextlib.asynccontextmanager
async def running(bot: BotT) -> AsyncIterator[BotT]:
    """Log in, connect until ready, and always close; app command errors fail the test."""
    errors: list[app_commands.AppCommandError] = []

    async def on_error(
        interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        errors.append(error)

    bot.tree.error(on_error)
    await bot.login(BOT_TOKEN)
    connect = asyncio.create_task(bot.connect())
    ready = asyncio.create_task(bot.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {connect, ready}, timeout=5.0, return_when=asyncio.FIRST_COMPLETED
        )
        if connect in done:
            connect.result()
            raise AssertionError("the bot stopped before it was ready")
        if ready not in done:
            raise TimeoutError("the bot did not become ready")
        try:
            yield bot
        except Exception as exc:
            if errors:  # the real cause, when a command raised and the fake waited in vain
                raise AssertionError(f"app command errors: {errors!r}") from exc
            raise
        assert errors == []
    finally:
        ready.cancel()
        await bot.close()
        (outcome,) = await asyncio.wait_for(asyncio.gather(connect, return_exceptions=True), 5)
    if isinstance(outcome, BaseException):  # connect() ended with an error after close()
        raise outcome


def posts_to(fake: FakeDiscord, channel_id: int) -> list[RequestRecord]:
    return [
        r
        for r in fake.requests
        if r.method == "POST" and r.path == f"/channels/{channel_id}/messages"
    ]


async def test_sharded_bot_logs_in_and_caches_the_guilds(fake: FakeDiscord) -> None:
    async with running(ShardedBot()) as bot:
        assert bot.user is not None
        assert bot.user.id == fake.bot_user.id
        assert bot.application_id == fake.application_id
        assert {g.id for g in bot.guilds} == {GUILD_A, GUILD_B}
        guild = bot.get_guild(GUILD_A)
        assert guild is not None
        assert guild.me is not None
        assert guild.owner_id == fake.owner.id
        deals, readonly = guild.get_channel(CHANNEL), guild.get_channel(READ_ONLY)
        assert isinstance(deals, discord.TextChannel)
        assert isinstance(readonly, discord.TextChannel)
        assert deals.permissions_for(guild.me).send_messages
        assert deals.permissions_for(guild.me).embed_links
        assert readonly.permissions_for(guild.me).view_channel
        assert not readonly.permissions_for(guild.me).send_messages
        assert fake.connected_sessions == 1
    [identify] = fake.identifies
    assert identify.token == BOT_TOKEN
    assert identify.intents == discord.Intents.default().value
    assert identify.shard == (0, 1)
    assert [(r.method, r.path) for r in fake.requests[:3]] == [
        ("GET", "/users/@me"), ("GET", "/oauth2/applications/@me"), ("GET", "/gateway/bot"),
    ]  # fmt: skip
    assert fake.connected_sessions == 0


async def test_plain_bot_connects_through_the_default_gateway(fake: FakeDiscord) -> None:
    async with running(plain_bot()) as bot:
        assert {g.id for g in bot.guilds} == {GUILD_A, GUILD_B}
        await fake.wait_ready()
    [identify] = fake.identifies
    assert identify.shard is None  # a plain Client never sends one
    assert ("GET", "/gateway/bot") not in [(r.method, r.path) for r in fake.requests]


async def test_subcommands_answer_with_an_ephemeral_embed(fake: FakeDiscord) -> None:
    bot = ShardedBot()
    seen: dict[str, Any] = {}
    deals = app_commands.Group(name="deals", description="Deal tools")
    watch = app_commands.Group(name="watch", description="Watches", parent=deals)

    @deals.command(name="top", description="Best deals")
    async def top(interaction: discord.Interaction[Any], query: str, limit: int = 3) -> None:
        seen.update(query=query, limit=limit, can_send=interaction.permissions.send_messages)
        embed = discord.Embed(title=f"Top {limit}: {query}", description="R740 for $499")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @watch.command(name="add", description="Watch a channel")
    async def add(
        interaction: discord.Interaction[Any], channel: discord.TextChannel, mention: bool
    ) -> None:
        seen.update(channel=channel.id, mention=mention)
        await interaction.response.send_message(f"watching {channel.mention}")

    @deals.command(name="grant", description="Let a member post deals")
    async def grant(
        interaction: discord.Interaction[Any], member: discord.Member, role: discord.Role
    ) -> None:
        seen.update(member=(member.id, member.guild.id), role=(role.id, role.name))
        await interaction.response.send_message("granted", ephemeral=True)

    bot.tree.add_command(deals)
    fake.add_member(GUILD_A, MEMBER, username="alice")
    fake.add_role(GUILD_A, ROLE, "Dealers", permissions=0)
    async with running(bot):
        record = await fake.interact(fake.slash_command("deals top", {"query": "r740", "limit": 5}))
        nested = await fake.interact(
            fake.slash_command("deals watch add", {"channel": ChannelArg(CHANNEL), "mention": True})
        )
        granted = await fake.interact(
            fake.slash_command("deals grant", {"member": UserArg(MEMBER), "role": RoleArg(ROLE)})
        )

    assert record.type == 4
    assert record.flags == 64
    assert record.ephemeral
    assert record.embeds[0]["title"] == "Top 5: r740"
    assert record.original is not None
    assert record.original.ephemeral
    assert seen["query"] == "r740"
    assert seen["limit"] == 5
    assert seen["can_send"] is True
    [sub] = record.payload["data"]["options"]
    assert sub["type"] == 1
    assert sub["name"] == "top"
    assert {o["name"]: o["type"] for o in sub["options"]} == {"query": 3, "limit": 4}

    [group] = nested.payload["data"]["options"]
    assert group["type"] == 2
    assert group["options"][0]["type"] == 1
    assert seen["channel"] == CHANNEL
    assert seen["mention"] is True
    assert nested.content == f"watching <#{CHANNEL}>"
    assert not nested.ephemeral
    assert [m.content for m in fake.messages_in(CHANNEL)] == [f"watching <#{CHANNEL}>"]

    resolved = granted.payload["data"]["resolved"]
    assert set(resolved) == {"users", "members", "roles"}
    assert seen["member"] == (MEMBER, GUILD_A)
    assert seen["role"] == (ROLE, "Dealers")
    assert granted.content == "granted"


async def test_deferred_command_follows_up_with_a_file(fake: FakeDiscord) -> None:
    bot = ShardedBot()
    seen: dict[str, Any] = {}

    @bot.tree.command(name="report", description="CSV of today's deals")
    async def report(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(thinking=True)
        file = discord.File(io.BytesIO(CSV), filename="deals.csv")
        sent = await interaction.followup.send("Today's deals", file=file, wait=True)
        original = await interaction.original_response()
        seen.update(same=sent.id == original.id, data=await sent.attachments[0].read())

    async with running(bot):
        record = await fake.interact(fake.slash_command("report"))
        await record.wait_for(lambda r: bool(r.followups))
        await fake.wait_for(lambda: "data" in seen)

    assert record.type == 5
    assert record.deferred
    assert not record.ephemeral
    [followup] = record.followups
    [upload] = followup.files
    assert (upload.field, upload.filename, upload.data) == ("files[0]", "deals.csv", CSV)
    assert upload.content_type == "application/octet-stream"  # what discord.py always sends
    assert followup.attachments[0]["content_type"] == "text/csv; charset=utf-8"
    # Discord: the first follow-up after a deferral replaces the "thinking" message.
    assert followup is record.original
    assert not followup.loading
    assert followup.content == "Today's deals"
    assert seen == {"same": True, "data": CSV}


async def test_autocomplete_answers_with_choices(fake: FakeDiscord) -> None:
    bot = ShardedBot()
    models = ["R640", "R740", "R740xd", "T440"]

    @bot.tree.command(name="find", description="Find a model")
    async def find(interaction: discord.Interaction[Any], model: str) -> None:
        await interaction.response.send_message(model)

    @find.autocomplete("model")
    async def model_choices(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=m, value=m.lower())
            for m in models
            if m.lower().startswith(current.lower())
        ]

    async with running(bot):
        record = await fake.interact(fake.autocomplete("find", {"model": "r7"}, focused="model"))

    assert record.payload["type"] == 4
    assert record.payload["data"]["options"] == [
        {"type": 3, "name": "model", "value": "r7", "focused": True}
    ]
    assert record.type == 8
    assert record.choices == [
        {"name": "R740", "value": "r740"},
        {"name": "R740xd", "value": "r740xd"},
    ]


class Claim(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"claim:(?P<deal>\d+)"):
    """A persistent "claim this deal" button whose custom_id carries the deal id."""

    def __init__(self, deal: int) -> None:
        super().__init__(discord.ui.Button(label="Claim", custom_id=f"claim:{deal}"))
        self.deal = deal

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Claim:
        return cls(int(match["deal"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.edit_message(
            content=f"Deal {self.deal} claimed by {interaction.user.name}", view=None
        )


async def test_dynamic_button_updates_its_message(fake: FakeDiscord) -> None:
    bot = ShardedBot()
    bot.add_dynamic_items(Claim)
    async with running(bot):
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        view = discord.ui.View(timeout=None)
        view.add_item(Claim(42))
        await channel.send("Deal 42: R740 for $499", view=view)
        [posted] = fake.messages_in(CHANNEL)
        assert posted.components[0]["components"][0]["custom_id"] == "claim:42"
        record = await fake.interact(fake.component("claim:42", message=posted))

    assert record.payload["type"] == 3
    assert record.payload["message"]["id"] == str(posted.id)
    assert record.type == 7
    assert record.original is posted
    assert posted.content == "Deal 42 claimed by tester"
    assert posted.components == []
    assert posted.data["edited_timestamp"] is not None


async def test_tree_sync_records_global_and_guild_commands(fake: FakeDiscord) -> None:
    bot = ShardedBot()

    @bot.tree.command(name="ping", description="Pong")
    async def ping(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("pong")

    @bot.tree.command(name="local", description="Only here", guild=discord.Object(GUILD_A))
    async def local(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("local")

    async with running(bot):
        synced = await bot.tree.sync()
        again = await bot.tree.sync()
        in_guild = await bot.tree.sync(guild=discord.Object(GUILD_A))
        record = await fake.interact(fake.slash_command("local"))

    assert [type(c) for c in synced] == [app_commands.AppCommand]
    assert [c.name for c in synced] == ["ping"]
    assert synced[0].id == again[0].id
    assert synced[0].id == int(fake.commands[None][0]["id"])
    assert [c["name"] for c in fake.synced[None]] == ["ping"]
    assert [c["name"] for c in fake.synced[GUILD_A]] == ["local"]
    assert in_guild[0].guild_id == GUILD_A
    assert record.payload["data"]["guild_id"] == str(GUILD_A)
    assert record.content == "local"


async def test_same_nonce_posts_once(fake: FakeDiscord) -> None:
    async with running(plain_bot()) as bot:
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        first = await channel.send("Deal 42", nonce="deal-42")
        second = await channel.send("Deal 42", nonce="deal-42")
    assert first.id == second.id
    assert [m.content for m in fake.messages_in(CHANNEL)] == ["Deal 42"]
    posts = posts_to(fake, CHANNEL)
    assert len(posts) == 2
    assert all(p.json["enforce_nonce"] is True for p in posts)


async def test_nonce_is_forgotten_after_the_window(fake: FakeDiscord) -> None:
    # Discord checks enforce_nonce only "in the past few minutes": a resend after that
    # posts a second message, which is what a client relying on the nonce alone would do.
    now = [1000.0]
    fake.clock = lambda: now[0]
    async with running(plain_bot()) as bot:
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        first = await channel.send("Deal 42", nonce="deal-42")
        now[0] += fake.nonce_window - 1
        within = await channel.send("Deal 42", nonce="deal-42")
        now[0] += 2
        after = await channel.send("Deal 42", nonce="deal-42")
    assert first.id == within.id != after.id
    assert [m.content for m in fake.messages_in(CHANNEL)] == ["Deal 42", "Deal 42"]


async def test_rate_limited_send_is_retried(fake: FakeDiscord) -> None:
    fake.fail_next("POST", "/channels/*/messages", 429, retry_after=0.05)
    async with running(plain_bot()) as bot:
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        message = await channel.send("Deal 42")
    limited, accepted = posts_to(fake, CHANNEL)
    assert limited.status == 429
    assert limited.response == {
        "message": "You are being rate limited.", "retry_after": 0.05, "global": False
    }  # fmt: skip
    assert limited.response_headers["Retry-After"] == "1"
    assert limited.response_headers["X-RateLimit-Scope"] == "user"
    assert accepted.status == 200
    assert accepted.response_headers["X-RateLimit-Bucket"]
    assert [m.id for m in fake.messages_in(CHANNEL)] == [message.id]


async def test_missing_channels_and_permissions_raise(fake: FakeDiscord) -> None:
    async with running(plain_bot()) as bot:
        channel, readonly = bot.get_channel(CHANNEL), bot.get_channel(READ_ONLY)
        assert isinstance(channel, discord.TextChannel)
        assert isinstance(readonly, discord.TextChannel)

        deleted = asyncio.ensure_future(bot.wait_for("guild_channel_delete", timeout=2))
        fake.remove_channel(CHANNEL)
        assert (await deleted).id == CHANNEL
        assert bot.get_channel(CHANNEL) is None
        with pytest.raises(discord.NotFound) as not_found:
            await channel.send("Deal 42")
        assert not_found.value.code == 10003

        with pytest.raises(discord.Forbidden) as forbidden:
            await readonly.send("Deal 42")
        assert forbidden.value.code == 50013

        created = asyncio.ensure_future(bot.wait_for("guild_channel_create", timeout=2))
        fake.add_channel(GUILD_A, HIDDEN, "staff", visible=False)
        hidden = await created
        assert isinstance(hidden, discord.TextChannel)
        assert not hidden.permissions_for(hidden.guild.me).view_channel
        with pytest.raises(discord.Forbidden) as no_access:
            await hidden.send("Deal 42")
        assert no_access.value.code == 50001
    assert fake.messages_in(CHANNEL) == []
    assert fake.messages_in(READ_ONLY) == []


async def test_each_shard_gets_only_its_guilds(fake: FakeDiscord) -> None:
    assert (shard_for(GUILD_A, 2), shard_for(GUILD_B, 2)) == (0, 1)
    fake.shard_count = 2
    bot = ShardedBot()

    @bot.tree.command(name="ping", description="Pong")
    async def ping(interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild is not None
        await interaction.response.send_message(f"pong from shard {interaction.guild.shard_id}")

    async with running(bot):
        await fake.wait_ready()
        first, second = fake.session_for_shard(0), fake.session_for_shard(1)
        assert first is not None
        assert second is not None
        assert first.guild_ids == [GUILD_A]
        assert second.guild_ids == [GUILD_B]
        assert [g["id"] for g in first.events("READY")[0]["guilds"]] == [str(GUILD_A)]
        record = await fake.interact(fake.slash_command("ping", guild_id=GUILD_B))
        assert len(second.events("INTERACTION_CREATE")) == 1
        assert first.events("INTERACTION_CREATE") == []
        assert [g.shard_id for g in sorted(bot.guilds, key=lambda g: g.id)] == [0, 1]
    assert sorted(i.shard or (0, 0) for i in fake.identifies) == [(0, 2), (1, 2)]
    assert record.content == "pong from shard 1"


async def test_wrong_token_fails_login(fake: FakeDiscord) -> None:
    bot = plain_bot()
    try:
        with pytest.raises(discord.LoginFailure):
            await bot.login("not-the-token")
    finally:
        await bot.close()
    [attempt] = fake.requests
    assert attempt.status == 401
    assert attempt.response == {"message": "401: Unauthorized", "code": 0}


async def test_identify_with_a_wrong_token_closes_4004(fake: FakeDiscord) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{fake.gateway_url}?v=10&encoding=json") as ws,
    ):
        hello = await ws.receive_json()
        assert hello["op"] == 10
        assert hello["d"]["heartbeat_interval"] == 41250
        await ws.send_json({"op": 1, "d": None})
        assert (await ws.receive_json())["op"] == 11
        await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 1, "properties": {}}})
        closing = await ws.receive()
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert closing.data == 4004
    assert fake.identifies == []


async def test_second_callback_is_rejected(fake: FakeDiscord) -> None:
    bot = ShardedBot()
    seen: dict[str, Any] = {}

    @bot.tree.command(name="twice", description="Answers twice")
    async def twice(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("first")
        try:
            await interaction.response.send_message("second")
        except discord.InteractionResponded:
            seen["guarded"] = True  # discord.py refuses locally, without a request

    async with running(bot):
        record = await fake.interact(fake.slash_command("twice"))
        await fake.wait_for(lambda: "guarded" in seen)
        url = f"{fake.base_url}/interactions/{record.id}/{record.token}/callback"
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, json={"type": 4, "data": {"content": "again"}}) as answer,
        ):
            status, body = answer.status, await answer.json()
    assert record.content == "first"
    assert seen == {"guarded": True}
    assert status == 400
    assert body == {"message": "Interaction has already been acknowledged.", "code": 40060}
    assert [r.status for r in record.rejected] == [400]


async def test_late_callback_is_an_unknown_interaction(fake: FakeDiscord) -> None:
    fake.interaction_ack_timeout = 0.05
    bot = ShardedBot()
    seen: dict[str, int] = {}

    @bot.tree.command(name="slow", description="Too slow")
    async def slow(interaction: discord.Interaction[Any]) -> None:
        await asyncio.sleep(0.1)
        try:
            await interaction.response.send_message("late")
        except discord.NotFound as error:
            seen["callback"] = error.code
        try:
            await interaction.followup.send("anyone?")
        except discord.NotFound as error:
            seen["followup"] = error.code

    async with running(bot):
        record = await fake.send_interaction(fake.slash_command("slow"))
        await fake.wait_for(lambda: "followup" in seen)
    assert seen == {"callback": 10062, "followup": 10015}
    assert record.callback is None
    assert [r.status for r in record.rejected] == [404]


async def test_gateway_drops_are_resumed(fake: FakeDiscord) -> None:
    bot = ShardedBot()

    @bot.tree.command(name="ping", description="Pong")
    async def ping(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("pong")

    async with running(bot):
        session = fake.session_for_shard(0)
        assert session is not None
        await fake.close_sessions(4000)
        await fake.wait_for(lambda: session.resumes == 1 and session.connected)
        await fake.send_reconnect()
        await fake.wait_for(lambda: session.resumes == 2 and session.connected)
        record = await fake.interact(fake.slash_command("ping"))
    assert len(fake.identifies) == 1
    assert [r["session_id"] for r in fake.resumes] == [session.session_id] * 2
    assert record.content == "pong"


async def test_invalid_payloads_are_refused_like_discord(fake: FakeDiscord) -> None:
    async with running(plain_bot()) as bot:
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        embed = discord.Embed(title="t" * 257)
        with pytest.raises(discord.HTTPException) as bad_embed:
            await channel.send(embed=embed)
    assert (too_long.value.status, too_long.value.code) == (400, 50035)
    assert "In content: Must be 2000 or fewer in length." in str(too_long.value)
    assert "In embeds.0.title" in str(bad_embed.value)

    auth = {"Authorization": f"Bot {BOT_TOKEN}", "User-Agent": AGENT}
    url = f"{fake.base_url}/channels/{CHANNEL}/messages"
    row = [
        {"type": 2, "style": 5, "label": "Open", "url": "https://ebay.com", "custom_id": "x"},
        {"type": 2, "style": 1, "label": "A", "custom_id": "dup"},
        {"type": 2, "style": 1, "label": "B", "custom_id": "dup"},
    ]
    async with aiohttp.ClientSession(headers=auth) as http:
        body = {"content": "x", "components": [{"type": 1, "components": row}]}
        async with http.post(url, json=body) as answer:
            assert answer.status == 400
            errors = (await answer.json())["errors"]["components"]["0"]["components"]
        assert errors["0"]["custom_id"]["_errors"][0]["code"] == (
            "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED"
        )
        assert errors["2"]["custom_id"]["_errors"][0]["code"] == "COMPONENT_CUSTOM_ID_DUPLICATED"
        rows = [{"type": 1, "components": [{"type": 2, "style": 1, "label": "A",
                 "custom_id": f"b{n}"}]} for n in range(6)]  # fmt: skip
        async with http.post(url, json={"components": rows}) as answer:
            assert "_errors" in (await answer.json())["errors"]["components"]
        async with http.post(url, json={"embeds": [{"title": "t"}] * 11}) as answer:
            assert "_errors" in (await answer.json())["errors"]["embeds"]
        async with http.post(url, json={"content": ""}) as answer:
            assert await answer.json() == {"message": "Cannot send an empty message", "code": 50006}
    assert fake.messages_in(CHANNEL) == []


async def test_rest_speaks_discords_http(fake: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{fake.base_url}/users/@me") as answer:
            assert answer.status == 401
        auth = {"Authorization": f"Bot {BOT_TOKEN}", "User-Agent": AGENT}
        async with http.get(f"{fake.base_url}/no/such/route", headers=auth) as answer:
            assert answer.status == 404
            assert await answer.json() == {"message": "404: Not Found", "code": 0}
        async with http.get(f"{fake.base_url}/gateway/bot", headers=auth) as answer:
            assert answer.headers["Content-Type"] == "application/json"  # exactly, no charset
            assert answer.headers["Via"]
            assert int(answer.headers["X-RateLimit-Remaining"]) < int(
                answer.headers["X-RateLimit-Limit"]
            )
            assert float(answer.headers["X-RateLimit-Reset-After"]) > 0
            gateway = await answer.json()
    assert gateway["url"] == fake.gateway_url
    assert gateway["shards"] == 1
    assert [r.path for r in fake.unknown_routes] == ["/no/such/route"]


async def test_a_bot_request_without_discords_user_agent_is_refused(fake: FakeDiscord) -> None:
    """Discord's reference (User Agent): `DiscordBot ($url, $versionNumber)` is required."""
    url = f"{fake.base_url}/users/@me"
    auth = {"Authorization": f"Bot {BOT_TOKEN}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={**auth, "User-Agent": "spt/0.1"}) as answer:
            assert answer.status == 400
            assert "DiscordBot" in (await answer.json())["message"]
        async with http.get(url, headers={**auth, "User-Agent": AGENT}) as answer:
            assert answer.status == 200


async def test_message_content_needs_the_privileged_intent(fake: FakeDiscord) -> None:
    bot = plain_bot()  # Intents.default() lacks message_content
    seen: list[tuple[int, str]] = []

    @bot.listen("on_message")
    async def on_message(message: discord.Message) -> None:
        seen.append((message.author.id, message.content))

    async with running(bot):
        await fake.user_message(CHANNEL, "!deals r740")
        await fake.user_message(CHANNEL, f"<@{fake.bot_user.id}> any R740?")
        await fake.wait_for(lambda: len(seen) == 2)
    assert seen == [(fake.user.id, ""), (fake.user.id, f"<@{fake.bot_user.id}> any R740?")]
    assert [m.content for m in fake.messages_in(CHANNEL)] == [
        "!deals r740", f"<@{fake.bot_user.id}> any R740?"
    ]  # fmt: skip


async def test_bot_messages_can_be_fetched_and_edited(fake: FakeDiscord) -> None:
    async with running(plain_bot()) as bot:
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("Deal 42: $499")
        await sent.edit(content="Deal 42: $450")
        fetched = await channel.fetch_message(sent.id)
        again = await bot.fetch_channel(CHANNEL)
        with pytest.raises(discord.NotFound) as unknown:
            await channel.fetch_message(1)
    assert fetched.content == "Deal 42: $450"
    assert fetched.edited_at is not None
    assert isinstance(again, discord.TextChannel)
    assert again.id == CHANNEL
    assert unknown.value.code == 10008


async def test_original_response_and_followups_are_edited_and_deleted(fake: FakeDiscord) -> None:
    bot = ShardedBot()

    @bot.tree.command(name="scan", description="Scan listings")
    async def scan(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("scanning")
        report = discord.File(io.BytesIO(CSV), filename="deals.csv")
        await interaction.edit_original_response(content="3 deals", attachments=[report])
        extra = await interaction.followup.send("details", ephemeral=True, wait=True)
        await extra.edit(content="more details")
        await extra.delete()

    async with running(bot):
        record = await fake.interact(fake.slash_command("scan"))
        await record.wait_for(lambda r: bool(r.followups) and r.followups[0].deleted)
    original = record.original
    assert original is not None
    assert original.content == "3 deals"
    assert original.attachments[0]["filename"] == "deals.csv"
    assert original.files[0].data == CSV
    assert [edit["content"] for edit in record.edits] == ["3 deals"]
    [extra] = record.followups
    assert extra.ephemeral
    assert extra.content == "more details"
    assert extra.deleted
    assert fake.messages_in(CHANNEL) == [original]
