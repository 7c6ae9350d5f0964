"""`spt init` then `spt doctor`, as a new user runs them: against the sandbox marketplace,
the fake Discord and a fake Ollama every check passes; on a broken setup each failure is
named with its fix."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import tomllib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import asyncpg
import pytest

from sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxMarketplace
from tests.bot.harness import DEALS, READ_ONLY, world
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscord
from tests.fakes.ollama import FakeOllama

SPT = Path(sys.executable).with_name("spt")


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    server = FakeOllama(models=("qwen2.5:7b-instruct",))
    await server.start()
    yield server
    await server.stop()


async def spt(
    directory: Path, *args: str, env: Mapping[str, str] | None = None
) -> tuple[int, str, str]:
    """The console script in `directory`, with none of the caller's spt variables."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SPT_")
        and k not in {"DISCORD_TOKEN", "EBAY_CLIENT_ID", "EBAY_CLIENT_SECRET", "ANTHROPIC_API_KEY"}
    }
    clean.update(env or {})
    process = await asyncio.create_subprocess_exec(
        str(SPT),
        *args,
        cwd=directory,
        env=clean,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def lines_of(output: str) -> dict[str, str]:
    """Doctor's lines by part: `ok    part: detail` -> {part: "ok: detail"}."""
    found = {}
    for line in output.splitlines():
        status, _, rest = line.partition("  ")
        part, sep, detail = rest.strip().partition(": ")
        if status.strip() in {"ok", "FAIL"} and sep:
            found[part] = f"{status.strip()}: {detail}"
    return found


async def init(directory: Path, *extra: str) -> None:
    code, out, err = await spt(
        directory,
        "init",
        "--non-interactive",
        "--ebay-client-id",
        DEFAULT_CLIENT_ID,
        "--ebay-client-secret",
        DEFAULT_CLIENT_SECRET,
        "--discord-token",
        BOT_TOKEN,
        "--alert-channel",
        str(DEALS),
        "--marketplace",
        "EBAY_US",
        *extra,
    )
    assert code == 0, err
    assert "wrote config.toml" in out


async def test_init_writes_a_commented_config_and_a_private_secrets_file(tmp_path: Path) -> None:
    await init(tmp_path, "--llm", "auto")
    config = (tmp_path / "config.toml").read_text(encoding="utf-8")
    values = tomllib.loads(config)
    assert values["extract"]["backend"] == "auto"
    assert values["discord"]["alert_channel_id"] == DEALS
    assert "# [reload] " in config  # every key with what it does
    assert BOT_TOKEN not in config
    assert DEFAULT_CLIENT_SECRET not in config
    secrets = tmp_path / "spt.env"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert f"DISCORD_TOKEN='{BOT_TOKEN}'" in secrets.read_text(encoding="utf-8")
    # spt reads both where they were written, and says where each value came from.
    code, out, _ = await spt(tmp_path, "config", "show")
    assert code == 0
    shown = {line.split(" = ")[0].strip(): line for line in out.splitlines() if " = " in line}
    assert shown["ebay.client_id"].endswith("# secrets file spt.env: EBAY_CLIENT_ID")
    assert shown["discord.token"].split(" = ")[1].startswith('"********"')
    assert shown["extract.backend"].endswith("# file config.toml")
    # Nothing is overwritten by accident.
    code, _, err = await spt(tmp_path, "init", "--non-interactive")
    assert code == 2
    assert "already exist" in err


async def test_doctor_passes_every_check_on_a_working_setup(
    tmp_path: Path,
    fake: FakeDiscord,
    sandbox: SandboxMarketplace,
    ollama: FakeOllama,
    database_url: str,
) -> None:
    world(fake)
    await init(tmp_path, "--llm", "auto")
    env = {
        "SPT_EBAY__API_BASE_URL": str(sandbox.base_url),
        "SPT_DISCORD__API_BASE_URL": fake.base_url,
        "SPT_LLM__OLLAMA_URL": ollama.base_url,
        "DATABASE_URL": database_url,
    }
    env["SPT_ALERTS__APPRISE_URLS"] = '["json://127.0.0.1:9/spt"]'
    code, out, err = await spt(tmp_path, "doctor", env=env)
    assert code == 0, out + err
    found = lines_of(out)
    assert found["settings"].startswith("ok: valid (config.toml)")
    assert found["database"] == "ok: database.url answers, migrations applied"
    assert found["eBay token"] == "ok: eBay issued an application token"
    assert found["eBay search"].startswith("ok: Browse answered on EBAY_US")
    assert found["ollama"] == "ok: answers"
    assert found["ollama model"] == "ok: qwen2.5:7b-instruct is there"
    assert found["Discord login"].startswith("ok: logged in as ")
    assert found["Discord gateway"].startswith("ok: connected; the bot is in 2 server(s)")
    assert found[f"channel {DEALS} (discord.alert_channel_id)"].startswith(
        "ok: #deals in Homelab Deals"
    )
    assert found["Apprise"] == (
        "ok: 1 target(s) load (json); no test notification is sent (it would be a real push)"
    )
    assert not any(v.startswith("FAIL") for v in found.values())
    assert out.strip().splitlines()[-1] == f"{len(found)} of {len(found)} checks passed"


async def test_doctor_names_each_failure_with_its_fix(
    tmp_path: Path, fake: FakeDiscord, sandbox: SandboxMarketplace, database_url: str
) -> None:
    world(fake)
    await init(tmp_path, "--llm", "auto", "--alert-channel", str(READ_ONLY))
    missing_model = FakeOllama(models=("llama3:8b",))
    await missing_model.start()
    try:
        env = {
            "SPT_EBAY__API_BASE_URL": str(sandbox.base_url),
            "SPT_DISCORD__API_BASE_URL": fake.base_url,
            "SPT_LLM__OLLAMA_URL": missing_model.base_url,
            "DATABASE_URL": database_url,
        }
        code, out, _ = await spt(tmp_path, "doctor", env=env)
    finally:
        await missing_model.stop()
    assert code == 1
    found = lines_of(out)
    assert found["ollama model"] == (
        "FAIL: qwen2.5:7b-instruct is not there -> ollama pull qwen2.5:7b-instruct"
    )
    assert found[f"channel {READ_ONLY} (discord.alert_channel_id)"] == (
        # Without Send Messages, Discord also withholds Embed Links (discord.py agrees).
        "FAIL: #announcements lacks Send Messages and Embed Links for the bot -> allow Send "
        "Messages and Embed Links for the bot in #announcements's permissions"
    )
    assert out.strip().splitlines()[-1].endswith("fix the 2 above marked FAIL")

    # Wrong keys and token, no LLM answering: each named, none hidden behind another.
    broken = {
        **env,
        "EBAY_CLIENT_SECRET": "not-the-secret",
        "DISCORD_TOKEN": "not.a.token",
        "SPT_LLM__OLLAMA_URL": "http://127.0.0.1:9",
    }
    code, out, _ = await spt(tmp_path, "doctor", env=broken)
    assert code == 1
    found = lines_of(out)
    assert found["eBay token"].startswith("FAIL: eBay refused the keys")
    assert found["eBay token"].endswith(
        "-> check EBAY_CLIENT_ID / EBAY_CLIENT_SECRET are the "
        "Production keyset's App ID and Cert ID"
    )
    assert found["ollama"] == (
        'FAIL: does not answer -> start Ollama (ollama serve), or set extract.backend = "rules"'
    )
    assert found["Discord login"].startswith("FAIL: Discord rejected the bot token -> ")
    assert found["database"].startswith("ok")

    code, out, _ = await spt(
        tmp_path,
        "doctor",
        env={**env, "DATABASE_URL": f"postgresql://spt@/spt?host={tmp_path}&port=1"},
    )
    assert code == 1
    assert lines_of(out)["database"].startswith("FAIL: cannot use the database (")


async def test_watch_test_on_the_cli_searches_now_and_stores_nothing(
    tmp_path: Path, sandbox: SandboxMarketplace, database_url: str
) -> None:
    await init(tmp_path, "--llm", "rules")
    env = {"SPT_EBAY__API_BASE_URL": str(sandbox.base_url), "DATABASE_URL": database_url}
    add = ["watch", "add", "--name", "ram", "--query", "DDR4", "--type", "ram"]
    code, _, err = await spt(tmp_path, *add, "--threshold", "0", "--cold-start", env=env)
    assert code == 0, err
    code, out, err = await spt(tmp_path, "watch", "test", "ram", env=env)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].endswith("listings on the first page would alert now:")
    assert lines[-1].endswith("results on eBay; nothing was stored or alerted)")
    assert "https://www.ebay.com/itm/" in out
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM listings") == 0
        assert await conn.fetchval("SELECT count(*) FROM alerts") == 0
    finally:
        await conn.close()
    code, _, err = await spt(
        tmp_path,
        "watch",
        "test",
        "ram",
        env={**env, "EBAY_CLIENT_ID": "", "SPT_ENV_FILE": "/dev/null"},
    )
    assert code == 1
    assert "error: eBay is not configured" in err
