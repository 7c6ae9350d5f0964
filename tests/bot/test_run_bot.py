"""`spt run` with a token: the bot connects, hosts the pipeline, and stops cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import asyncpg

from app.services import open_services
from bot.client import SptBot
from sandbox import SandboxMarketplace
from tests.bot.harness import DEALS, GUILD, OTHER_GUILD, holder_for, running_bot
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscord

SPT = Path(sys.executable).with_name("spt")


async def read_lines(stream: asyncio.StreamReader, into: list[dict[str, Any]]) -> None:
    while line := await stream.readline():
        try:
            into.append(json.loads(line))
        except json.JSONDecodeError:
            into.append({"msg": line.decode(errors="replace").rstrip()})


async def test_spt_run_with_a_token_connects_answers_and_stops_on_sigterm(
    fake: FakeDiscord, database_url: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPT_")}
    env.update({
        "DISCORD_TOKEN": BOT_TOKEN,
        "SPT_DISCORD__API_BASE_URL": fake.base_url,
        "SPT_LOGGING__FORMAT": "json",
        "SPT_EXTRACT__BACKEND": "rules",
        "SPT_SIDECAR__PORT": "0",
    })  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        str(SPT), "--database-url", database_url, "run",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    logs: list[dict[str, Any]] = []
    assert process.stderr is not None
    reader = asyncio.create_task(read_lines(process.stderr, logs))
    try:
        await fake.wait_for(lambda: fake.connected_sessions == 1, timeout=60)
        (identify,) = fake.identifies
        assert identify.token == BOT_TOKEN
        assert identify.intents == 1  # guilds only
        await fake.wait_for(
            lambda: any("connected to Discord" in e.get("msg", "") for e in logs), timeout=30
        )
        record = await fake.interact(fake.slash_command("status", {}, guild_id=GUILD), timeout=20)
        assert record.type == 5
        await record.wait_for(lambda r: bool(r.edits), timeout=20)
        assert record.original is not None
        assert "postgres" in json.dumps(record.original.embeds)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await reader
    messages = [e.get("msg", "") for e in logs]
    assert any(m.startswith("spt running with Discord") for m in messages)
    assert any(m.startswith("loaded 6 cog(s)") for m in messages)
    assert "shutting down" in messages
    assert not [e for e in logs if e.get("level") in ("error", "critical")], logs
    assert fake.connected_sessions == 0


async def test_the_bot_runs_the_pipeline_and_posts_alerts_to_the_watch_channel(
    fake: FakeDiscord, database_url: str, sandbox: SandboxMarketplace
) -> None:
    holder = holder_for(fake, database_url, sandbox, "schedule.ingest_tick_seconds=0.2",
                        "ebay.page_size=50")  # fmt: skip
    async with running_bot(fake, holder, run_pipeline=True) as h:
        assert set(h.supervisor.names) == {
            "ingest", "presence", "baselines", "extract", "outbox-listener", "delivery",
            "health"}  # fmt: skip
        # The bot's process says it runs the pipeline, searching eBay and posting as the bot.
        for _ in range(250):
            if (await h.services.status()).processes:
                break
            await asyncio.sleep(0.02)
        (me,) = (await h.services.status()).processes
        assert sorted(me.roles) == ["discord", "ingest"]
        await h.services.watches.add(
            GUILD, {"name": "all DDR4", "query": "DDR4", "component_type": "ram",
                    "channel_id": DEALS, "threshold": 0, "cold_start_opt_in": True},
        )  # fmt: skip
        await fake.wait_for(lambda: bool(fake.messages_in(DEALS)), timeout=60)
        (first, *_) = fake.messages_in(DEALS)
        assert first.embeds
        assert first.components  # an alert, or a digest of a burst, with its buttons
        discord = h.services.health.latest()["discord"]
        assert discord.up, discord
        supervisor = h.supervisor
    assert supervisor.running() == []
    conn = await asyncpg.connect(database_url)
    try:  # the scheduler gave its leases back on the way out
        held = await conn.fetchval("SELECT count(*) FROM watches WHERE lease_holder IS NOT NULL")
        assert held == 0
        assert await conn.fetchval("SELECT count(*) FROM watches WHERE last_run_at IS NOT NULL")
    finally:
        await conn.close()


class QuickShards(SptBot):
    """discord.py waits 5 s between shards' IDENTIFYs (Discord's rate limit); not here."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


async def test_two_shards_each_serve_their_own_guilds(fake: FakeDiscord, database_url: str) -> None:
    holder = holder_for(fake, database_url, None, "discord.shard_count=2")
    async with open_services(holder) as services:
        bot = QuickShards(holder, services, guild_ready_timeout=0.05)
        async with bot:
            runner = asyncio.create_task(bot.start(BOT_TOKEN))
            await asyncio.wait_for(bot.wait_until_ready(), 20)
            assert sorted(s.shard or (0, 0) for s in fake.identifies) == [(0, 2), (1, 2)]
            assert {g.id for g in bot.guilds} == {GUILD, OTHER_GUILD}
            assert bot.get_guild(GUILD).shard_id == 0  # type: ignore[union-attr]
            assert bot.get_guild(OTHER_GUILD).shard_id == 1  # type: ignore[union-attr]
            theirs = await fake.interact(
                fake.slash_command("watch list", {}, guild_id=OTHER_GUILD), timeout=10
            )  # answered through shard 1's session
            assert theirs.ephemeral
            assert "No watches yet" in theirs.embeds[0]["description"]
            await bot.close()
            await runner


async def test_a_rejected_token_fails_spt_run_with_a_clear_message(
    fake: FakeDiscord, database_url: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPT_")}
    env.update({"DISCORD_TOKEN": "not-the-token", "SPT_DISCORD__API_BASE_URL": fake.base_url,
                "SPT_SIDECAR__PORT": "0"})  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        str(SPT), "--database-url", database_url, "run", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert "discord error: Discord rejected the bot token" in stderr.decode()
    assert "not-the-token" not in stderr.decode()
