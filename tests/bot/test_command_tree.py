"""The command tree as a whole: the payload Discord gets, syncing, guild-only, one error policy."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.client import SptBot, cog_extensions, command_payload
from tests.bot.harness import GUILD, OTHER_GUILD, Harness, holder_for
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscord

SNAPSHOT = Path(__file__).resolve().parent.parent / "data" / "commands.json"
SPT = Path(sys.executable).with_name("spt")
EXPECTED = {
    "watch": {"add", "list", "show", "edit", "remove", "pause", "resume", "filter", "test"},
    "listings": {"top", "search"},
    "listing": {"show"},
    "baseline": {"show"},
    "alerts": {"recent"},
    "status": set(),
    "config": {"show"},
}
# Subcommand groups, with their subcommands (`/config quiet-hours set`).
EXPECTED_GROUPS = {
    "config": {
        "manager-role": {"add", "remove"},
        "alert-channel": {"set", "clear"},
        "quiet-hours": {"set", "clear"},
        "daily-cap": {"set", "clear"},
    },
}


def spt(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SPT_")}
    full.update(env or {})
    return subprocess.run([str(SPT), *args], env=full, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


def test_the_payload_matches_the_snapshot() -> None:
    """A changed command is a changed contract with every guild: update the snapshot on purpose
    (`spt commands --json > tests/data/commands.json`) and sync again."""
    result = spt("commands", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload == json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    groups = {c["name"]: {o["name"] for o in c["options"] if o["type"] == 1} for c in payload}
    assert groups == EXPECTED
    nested = {
        c["name"]: {g["name"]: {o["name"] for o in g["options"]} for g in c["options"]
                    if g["type"] == 2}
        for c in payload if any(o["type"] == 2 for o in c["options"])
    }  # fmt: skip
    assert nested == EXPECTED_GROUPS
    add = next(o for o in next(c for c in payload if c["name"] == "watch")["options"]
               if o["name"] == "add")  # fmt: skip
    assert [o["name"] for o in add["options"]] == [
        "name", "query", "type", "marketplace", "min_price", "max_price", "conditions",
        "threshold", "channel", "cold_start_alerts", "filters",
    ]  # fmt: skip
    assert all(c["contexts"] == [0] and c["integration_types"] == [0] for c in payload)


async def test_command_names_are_unique_across_cogs(fake: FakeDiscord, database_url: str) -> None:
    payload = await command_payload(holder_for(fake, database_url, None))
    names = Counter(c["name"] for c in payload)
    assert all(n == 1 for n in names.values()), names
    for command in payload:
        subs = Counter(o["name"] for o in command.get("options", []) if o["type"] in (1, 2))
        assert all(n == 1 for n in subs.values()), (command["name"], subs)
    assert cog_extensions() == ["cogs.alerts", "cogs.baselines", "cogs.config", "cogs.listings",
                                "cogs.status", "cogs.watches"]  # fmt: skip


def test_spt_commands_prints_usage_lines() -> None:
    result = spt("commands")
    assert result.returncode == 0, result.stderr
    assert "/watch add name query type [marketplace]" in result.stdout
    assert "/listing show listing" in result.stdout
    assert "/status  Is spt healthy?" in result.stdout
    assert "/config quiet-hours set start end [timezone]" in result.stdout


async def test_sync_registers_globally_or_in_one_guild_only_when_asked(
    fake: FakeDiscord, database_url: str
) -> None:
    from bot.client import sync_commands

    holder = holder_for(fake, database_url, None)
    assert fake.synced == {}
    synced = await sync_commands(holder, GUILD)
    assert {c["name"] for c in synced} == set(EXPECTED)
    assert set(fake.synced) == {GUILD}
    assert await sync_commands(holder, None)
    assert set(fake.synced) == {GUILD, None}
    assert fake.synced[None] == await command_payload(holder)


def test_sync_needs_a_token() -> None:
    result = spt("sync")
    assert result.returncode == 2
    assert "syncing needs discord.token" in result.stderr


async def test_a_direct_message_is_refused(h: Harness) -> None:
    payload = h.fake.slash_command("watch list", {}, dm=True, command_guild_id=None)
    record = await h.fake.interact(payload)
    assert record.ephemeral
    assert "inside a server" in (record.content or "")


async def test_an_unexpected_error_is_apologised_for_and_logged(
    h: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any) -> Any:
        raise RuntimeError("the database ate my homework")

    monkeypatch.setattr(h.services.watches, "list", broken)
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        answer = await h.run("watch list")
    assert answer.ephemeral
    assert "Something went wrong on spt's side (reference `" in answer.text()
    assert "homework" not in answer.text()  # internals stay in the log
    (entry,) = [r for r in caplog.records if r.name == "bot.errors"]
    assert entry.exc_info is not None
    assert "homework" in str(entry.exc_info[1])
    assert entry.guild_id == GUILD  # type: ignore[attr-defined]


def test_the_bot_is_sharded_and_asks_only_for_the_guilds_intent(
    fake: FakeDiscord, database_url: str
) -> None:
    bot = SptBot(holder_for(fake, database_url, None, "discord.shard_count=2"), None)
    assert bot.shard_count == 2
    assert bot.intents.value == 1  # GUILDS only: no privileged intents
    assert bot.allowed_mentions is not None
    assert dict(bot.allowed_mentions.to_dict()) == {"parse": []}  # listing text never pings


async def test_spt_sync_registers_in_the_guilds_asked_for(fake: FakeDiscord) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPT_")}
    env.update({"DISCORD_TOKEN": BOT_TOKEN, "SPT_DISCORD__API_BASE_URL": fake.base_url,
                "SPT_DISCORD__DEV_GUILD_IDS": f"[{OTHER_GUILD}]"})  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        str(SPT), "sync", "--guild", str(GUILD), "--dev", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert f"synced 7 command(s) to guild {GUILD}: /alerts, /baseline, /config" in stdout.decode()
    assert f"to guild {OTHER_GUILD}" in stdout.decode()
    assert set(fake.synced) == {GUILD, OTHER_GUILD}  # nothing global
    no_dev = spt("sync", "--dev", env={"DISCORD_TOKEN": BOT_TOKEN})
    assert no_dev.returncode == 2
    assert "--dev needs discord.dev_guild_ids" in no_dev.stderr
