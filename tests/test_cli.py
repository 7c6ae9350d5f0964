"""The `spt` command line, driven as a user would: in-process with CliRunner, or as a process."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import click
import pytest
from click.testing import CliRunner, Result

from app.cli import cli
from app.cli.serve import _demo_report
from app.demo import DemoResult
from core.db import processes as processes_repo
from core.db.listings import PageOutcome
from core.db.migrate import discover
from core.db.pool import create_pool
from core.jobs.ingest import RunResult, TickResult
from core.settings import DatabaseSettings
from tests.alerts.test_feedback import KEY_16, RAM_16, Seed

SPT = Path(sys.executable).with_name("spt")
SECRETS = {
    "DISCORD_TOKEN": "MTA5ODc2.discord-token-value",
    "EBAY_CLIENT_SECRET": "PRD-ebay-secret-value",
    "ANTHROPIC_API_KEY": "sk-ant-secret-value",
}


def invoke(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)


def spt(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script, as a user would."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SPT_")}
    full_env.update(env or {})
    return subprocess.run(
        [str(SPT), *args], env=full_env, capture_output=True, text=True, timeout=120, check=False
    )


def last_json(output: str) -> object:
    return json.loads(output.strip().splitlines()[-1])


# ------------------------------------------------------------------ help and version


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # spt's commands load when asked for
        command = group.get_command(ctx, name)
        assert command is not None, name
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_command_has_help() -> None:
    commands = list(_commands(cli))
    assert {("run",), ("demo",), ("migrate",), ("config", "show"), ("watch", "add"),
            ("sync",), ("commands",)} <= set(commands)  # fmt: skip
    for path in [(), *commands]:
        result = invoke(*path, "--help")
        assert result.exit_code == 0, path
        assert "Usage: " in result.stdout


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("spt, version 0.1.0")


# ------------------------------------------------------------------ config show / check


def test_config_show_json_reports_port_from_environment() -> None:
    result = spt("config", "show", "--json", env={"SPT_SIDECAR__PORT": "1234"})
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["sidecar.port"] == {"value": 1234, "source": "env SPT_SIDECAR__PORT"}
    assert shown["sidecar.host"] == {"value": "127.0.0.1", "source": "default"}


def test_config_show_names_flag_over_env(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[sidecar]\nport = 1111\n[logging]\nlevel = 'ERROR'\n", encoding="utf-8")
    result = invoke(
        "--config", str(config), "--sidecar-port", "3333", "config", "show", "--json",
        env={"SPT_SIDECAR__PORT": "2222"},
    )  # fmt: skip
    shown = json.loads(result.stdout)
    assert shown["sidecar.port"] == {"value": 3333, "source": "flag --sidecar-port"}
    assert shown["logging.level"] == {"value": "ERROR", "source": f"file {config}"}


@pytest.mark.parametrize("as_json", [False, True])
def test_config_show_never_prints_a_secret(tmp_path: Path, as_json: bool) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[llm]\nopenai_api_key = "sk-openai-from-file"\n', encoding="utf-8")
    args = [
        "--config",
        str(config),
        "--set",
        "discord.webhook_url=https://discord.com/api/webhooks/"
        "118000000000000077/" + "secret-hook-path" * 5,
    ]
    args += ["--database-url", "postgresql://spt:pg-password-value@db/spt", "config", "show"]
    result = spt(*args, *(["--json"] if as_json else []), env=SECRETS)
    assert result.returncode == 0, result.stderr
    everything = result.stdout + result.stderr
    for secret in [
        *SECRETS.values(),
        "sk-openai-from-file",
        "secret-hook-path",
        "pg-password-value",
    ]:
        assert secret not in everything
    if as_json:
        shown = json.loads(result.stdout)
        assert shown["discord.token"] == {"value": "********", "source": "env DISCORD_TOKEN"}
        assert shown["database.url"]["value"] == "********"
        assert shown["ebay.client_id"] == {"value": None, "source": "default"}
    else:
        assert "********" in result.stdout


def test_config_check_ok(tmp_path: Path) -> None:
    result = invoke("config", "check")
    assert result.exit_code == 0
    assert result.stdout.strip() == "config OK (no config file)"


def test_config_check_bad_value_exits_2_naming_the_key() -> None:
    result = spt("config", "check", env={"SPT_SIDECAR__PORT": "seventy"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "config error: sidecar.port: got 'seventy' (from env SPT_SIDECAR__PORT); "
        "expected an integer (>= 0; <= 65535; TCP port of the side server (0: any free port))"
    )


def test_bad_config_fails_every_command_with_one_line_per_key(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[sidecar]\nport = -1\n[logging]\nlevel = "chatty"\n', encoding="utf-8")
    result = spt("--config", str(config), "watch", "list")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[1].strip() for line in lines] == ["sidecar.port", "logging.level"]
    assert all(line.startswith("config error: ") for line in lines)


def test_unparseable_config_file_fails_cleanly(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[sidecar\n", encoding="utf-8")
    result = spt("--config", str(config), "run")
    assert result.returncode == 2
    assert result.stderr.startswith(f"config error: config file {config}: not valid TOML")
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------ watch commands


def test_watch_commands_round_trip(database_url: str) -> None:
    db = ["--database-url", database_url]
    added = invoke(
        *db, "watch", "add", "--name", "Mellanox 25G", "--query", "ConnectX-4 Lx 25GbE",
        "--type", "nic", "--marketplace", "EBAY_GB", "--max-price", "60",
        "--filter", "speed=25gbe", "--filter", "port_type in SFP28", "--condition", "used_working",
        "--threshold", "85", "--cold-start", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.stdout
    watch = json.loads(added.stdout)
    assert watch["filters"] == ["speed=25GbE", "port_type in SFP28"]
    assert (watch["marketplace"], watch["currency"], watch["threshold"]) == ("EBAY_GB", "GBP", 85)
    assert watch["cold_start_opt_in"] is True

    listed = invoke(*db, "watch", "list")
    assert "Mellanox 25G" in listed.stdout
    assert "EBAY_GB" in listed.stdout

    shown = invoke(*db, "watch", "show", "mellanox 25g")
    assert "speed=25GbE, port_type in SFP28" in shown.stdout
    assert "0 to 60.00 GBP" in shown.stdout

    edited = invoke(*db, "watch", "edit", str(watch["id"]), "--threshold", "70", "--clear-filters")
    assert edited.exit_code == 0, edited.stdout
    assert "updated watch" in edited.stdout
    after = json.loads(invoke(*db, "watch", "show", str(watch["id"]), "--json").stdout)
    assert (after["threshold"], after["filters"], after["query"]) == (70, [], watch["query"])

    assert "paused watch" in invoke(*db, "watch", "pause", str(watch["id"])).stdout
    assert "paused" in invoke(*db, "watch", "list").stdout
    assert "resumed watch" in invoke(*db, "watch", "resume", "Mellanox 25G").stdout

    refused = invoke(*db, "watch", "remove", str(watch["id"]), stdin="n\n")
    assert refused.exit_code == 1
    assert "nothing deleted" in refused.stdout
    removed = invoke(*db, "watch", "remove", str(watch["id"]), "--yes")
    assert removed.exit_code == 0
    assert json.loads(invoke(*db, "watch", "list", "--json").stdout) == []


def test_watch_add_bad_input_exits_2_and_writes_nothing(database_url: str) -> None:
    db = ["--database-url", database_url]
    result = invoke(
        *db, "watch", "add", "--name", "x", "--query", "q" * 351, "--type", "ramm",
        "--threshold", "150", "--marketplace", "EBAY_XX",
    )  # fmt: skip
    assert result.exit_code == 2
    problems = result.stderr.strip().splitlines()
    assert [p.split(":")[1].strip() for p in problems] == [
        "--query",
        "--type",
        "--marketplace",
        "--threshold",
    ]
    assert json.loads(invoke(*db, "watch", "list", "--json").stdout) == []


def test_watch_scopes_by_guild(database_url: str) -> None:
    db = ["--database-url", database_url]
    base = ["watch", "add", "--query", "Tesla P40", "--type", "gpu", "--json"]
    in_guild = json.loads(invoke(*db, *base, "--name", "P40", "--guild", "42").stdout)
    assert in_guild["guild_id"] == 42
    assert json.loads(invoke(*db, "watch", "list", "--json").stdout) == []
    missing = invoke(*db, "watch", "show", str(in_guild["id"]), "--guild", "43")
    assert missing.exit_code == 1
    assert missing.stderr.strip() == f"error: no watch '{in_guild['id']}' here"


def _detail(stdout: str) -> dict[str, str]:
    """`spt watch show`'s "key  value" lines as a dict."""
    pairs = (re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in stdout.splitlines())
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}


def test_watch_show_reports_precision_from_feedback_and_a_working_command(
    database_url: str,
) -> None:
    db = ["--database-url", database_url]
    base = ["watch", "add", "--query", "DDR4", "--type", "ram", "--filter", "generation=DDR4",
            "--json"]  # fmt: skip
    local = json.loads(invoke(*db, *base, "--name", "local ram").stdout)
    in_guild = json.loads(invoke(*db, *base, "--name", "guild ram", "--guild", "42").stdout)
    before = _detail(invoke(*db, "watch", "show", "local ram").stdout)
    assert before["precision from feedback"] == (
        "no feedback yet (no alerts delivered in the last 90 days)")  # fmt: skip
    assert "suggestion" not in before

    async def press() -> None:
        pool = await create_pool(database_url, DatabaseSettings())
        try:
            seed = Seed(pool, datetime.now(UTC))
            for watch_id, guild in ((local["id"], None), (in_guild["id"], 42)):
                watch = await seed.watches.get(guild, watch_id)
                await seed.alerts(watch, kept=4, pressed=0)
                await seed.alerts(watch, kept=0, pressed=3, key=KEY_16, attributes=RAM_16)
        finally:
            await pool.close()

    asyncio.run(press())
    shown = _detail(invoke(*db, "watch", "show", "local ram").stdout)
    assert shown["precision from feedback"] == (
        "4 of 7 alerts kept (57%), 3 marked not a deal (last 90 days)")  # fmt: skip
    assert shown["not a deal by product"] == f"{KEY_16} 3"
    command = f"spt watch edit {local['id']} --filter 'capacity_gb>=32'"
    assert shown["suggestion"] == (
        f"add the filter capacity_gb>=32, which leaves out {KEY_16} ({command}), because 3 of 7 "
        f"alerts were marked not a deal in the last 30 days, 3 of them on {KEY_16}"
    )
    guild_json = invoke(*db, "watch", "show", "guild ram", "--guild", "42", "--json").stdout
    feedback = json.loads(guild_json)["feedback"]
    assert (feedback["delivered"], feedback["not_a_deal"], feedback["precision"]) == (7, 3, 0.571)
    assert feedback["suggestion"]["command"] == (
        f"spt watch edit {in_guild['id']} --guild 42 --filter 'capacity_gb>=32'"
    )
    # Nothing changed by itself; the command shown does what it says.
    assert json.loads(invoke(*db, "watch", "show", "local ram", "--json").stdout)["filters"] == [
        "generation=DDR4"]  # fmt: skip
    assert invoke(*db, *shlex.split(command)[1:]).exit_code == 0
    after = json.loads(invoke(*db, "watch", "show", "local ram", "--json").stdout)
    assert after["filters"] == ["generation=DDR4", "capacity_gb>=32"]


def test_watch_edit_adds_filters_and_removes_only_what_it_is_told(database_url: str) -> None:
    db = ["--database-url", database_url]
    added = invoke(*db, "watch", "add", "--name", "ram", "--query", "DDR4 ECC", "--type", "ram",
                   "--filter", "generation=DDR4", "--json")  # fmt: skip
    ref = str(json.loads(added.stdout)["id"])

    def filters() -> list[str]:
        shown: list[str] = json.loads(invoke(*db, "watch", "show", ref, "--json").stdout)["filters"]
        return shown

    assert invoke(*db, "watch", "edit", ref, "--filter", "capacity_gb>=32",
                  "--threshold", "85").exit_code == 0  # fmt: skip
    assert filters() == ["generation=DDR4", "capacity_gb>=32"]
    assert invoke(*db, "watch", "edit", ref, "--remove-filter", "generation=ddr4").exit_code == 0
    assert filters() == ["capacity_gb>=32"]
    assert invoke(*db, "watch", "edit", ref, "--remove-filter", "1").exit_code == 0
    assert filters() == []
    not_set = invoke(*db, "watch", "edit", ref, "--remove-filter", "ecc=true")
    assert not_set.exit_code == 2
    assert "'ecc=true' is not set (set: none)" in not_set.stderr
    both = invoke(*db, "watch", "edit", ref, "--filter", "ecc=true", "--filter", "registered=true")
    assert both.exit_code == 0
    replaced = invoke(*db, "watch", "edit", ref, "--clear-filters", "--filter", "speed_mhz>=2666")
    assert replaced.exit_code == 0
    assert filters() == ["speed_mhz>=2666"]


def test_watch_errors_name_the_flags_and_prices_read_as_written(database_url: str) -> None:
    db = ["--database-url", database_url]
    bad = invoke(*db, "watch", "add", "--name", "x", "--query", "DDR4", "--type", "ramm",
                 "--condition", "mint", "--poll-interval", "5")  # fmt: skip
    assert bad.exit_code == 2
    lines = bad.stderr.strip().splitlines()[-3:]
    assert lines[0].startswith("error: --type: unknown component type 'ramm'")
    assert lines[1].startswith("error: --condition: unknown condition 'mint'")
    assert lines[2] == "error: --poll-interval: must be between 60 and 86400 seconds (got 5)"
    colon = invoke(*db, "watch", "add", "--name", "x", "--query", "DDR4", "--type", "ram",
                   "--filter", "capacity_gb:32")  # fmt: skip
    assert colon.exit_code == 2
    assert "error: --filter: cannot read filter 'capacity_gb:32': write capacity_gb=32" in (
        colon.stderr)  # fmt: skip
    good = invoke(*db, "watch", "add", "--name", "x", "--query", "DDR4", "--type", "ram",
                  "--marketplace", "EBAY_US", "--max-price", "$60", "--condition", "used",
                  "--json")  # fmt: skip
    assert good.exit_code == 0, good.stderr
    saved = json.loads(good.stdout)
    assert (saved["max_price"], saved["conditions"]) == ("60.00", ["used_working"])


def test_one_shot_commands_log_only_warnings_unless_verbose(empty_database_url: str) -> None:
    quiet = invoke("--database-url", empty_database_url, "watch", "list")
    assert quiet.exit_code == 0
    assert quiet.stdout.strip() == "no watches"
    assert "database migrated" not in quiet.stderr  # it was: the database was empty
    assert quiet.stderr == ""


def test_verbose_shows_the_databases_start_up(empty_database_url: str) -> None:
    loud = invoke("-v", "--database-url", empty_database_url, "watch", "list")
    assert loud.exit_code == 0
    assert "database migrated: 001_initial" in loud.stderr


def test_version_answers_without_loading_services_or_the_database() -> None:
    code = ("import sys\nfrom app.cli import cli\ntry:\n    cli(['--version'])\n"
            "except SystemExit as exit:\n    assert exit.code == 0\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'asyncpg', 'aiohttp', 'discord', 'anthropic'} or m == 'app.services'))")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)  # fmt: skip
    assert result.stdout.splitlines() == ["spt, version 0.1.0", "[]"]


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    url = f"postgresql://spt:pw-not-shown@/spt?host={tmp_path}&port=1"
    result = spt("--database-url", url, "watch", "list")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("database error: cannot use the")
    assert "Traceback" not in result.stderr
    assert "pw-not-shown" not in result.stderr


# ------------------------------------------------------------------ migrate and demo


def test_migrate_reports_up_to_date(database_url: str) -> None:
    result = invoke("--database-url", database_url, "migrate")
    assert result.exit_code == 0
    assert result.stdout.strip() == "database is up to date"


def test_migrate_applies_to_an_empty_database(empty_database_url: str) -> None:
    result = invoke("--database-url", empty_database_url, "migrate")
    labels = [m.label for m in discover()]
    assert labels[:2] == ["001_initial", "002_bot"]
    assert result.stdout.strip() == "applied: " + ", ".join(labels)


def test_demo_seeds_example_watches_once(empty_database_url: str) -> None:
    first = invoke("--database-url", empty_database_url, "demo", "--once", "--json")
    assert first.exit_code == 0, first.stdout
    summary = last_json(first.stdout)
    assert isinstance(summary, dict)
    assert summary["migrations_applied"] == [m.label for m in discover()]
    assert summary["watches_created"] == 5
    assert {w["type"] for w in summary["watches"]} == {"ram", "drive", "gpu", "server", "cpu"}
    assert {w["marketplace"] for w in summary["watches"]} == {
        "EBAY_US",
        "EBAY_GB",
        "EBAY_DE",
        "EBAY_AU",
    }
    assert "DDR4 ECC RDIMM 32GB" in first.stdout  # the human table comes first
    assert summary["watch_runs"] == 5
    assert summary["ingested"] > 0
    assert summary["run_errors"] == []
    assert summary["extraction"] == "rules"  # no LLM here: the demo reads titles with rules
    assert summary["extracted"] == summary["ingested"]
    assert summary["product_keys"] > 0
    assert summary["baselines"] > 0
    assert summary["scored"] > 0
    assert summary["alerts"] > 0
    assert summary["delivered"] == summary["alerts"]
    rate = round(summary["alerts"] / summary["seen_this_pass"] * 1000, 1)
    assert summary["alerts_per_1000_listings"] == rate
    assert f"({rate:.1f} per 1,000 listings ingested)" in first.stdout

    again = last_json(
        invoke("--database-url", empty_database_url, "demo", "--once", "--json").stdout
    )
    assert isinstance(again, dict)
    assert (again["watches_created"], again["watches_existing"]) == (0, 5)
    assert again["migrations_applied"] == []
    assert (again["alerts"], again["delivered"]) == (0, 0)  # nothing is delivered twice
    assert again["alerts_per_1000_listings"] == 0.0


def test_demo_summary_gives_alerts_per_1000_listings(capsys: pytest.CaptureFixture[str]) -> None:
    runs = [RunResult(1, outcome=PageOutcome(seen=1200, new=1200)),
            RunResult(2, outcome=PageOutcome(seen=1000, new=900))]  # fmt: skip
    result = DemoResult(True, [], [], [], TickResult(runs), "http://127.0.0.1:1", 2100, 2100,
                            40, "rules", 40, 2000, [], 7, 7)  # fmt: skip
    assert result.alerts_per_1000 == 3.2  # 7 of the 2,200 listings read: 3.18 per 1,000
    assert result.summary()["alerts_per_1000_listings"] == 3.2
    _demo_report(result)
    assert ("alerts: 7 new (3.2 per 1,000 listings ingested), 7 delivered to the console above"
            in capsys.readouterr().out)  # fmt: skip
    nothing = dataclasses.replace(result, tick=TickResult(), alerts=0, delivered=0)
    assert nothing.alerts_per_1000 == 0.0


def test_demo_runs_on_embedded_postgres_and_stops_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "pg"
    result = spt("--data-dir", str(data_dir), "demo", "--once", "--json")
    assert result.returncode == 0, result.stderr
    summary = last_json(result.stdout)
    assert isinstance(summary, dict)
    assert summary["database"] == "embedded"
    assert summary["data_dir"] == str(data_dir)
    # The demo's data is apart from a real install's, and the report says how to reach it.
    assert f"the CLI reaches it with: spt --data-dir {data_dir} watch list" in result.stdout
    assert summary["watches_created"] == 5
    assert summary["ingested"] > 0
    assert (data_dir / "PG_VERSION").is_file()
    assert not (data_dir / "postmaster.pid").exists()  # the server stopped with the process
    logged = result.stderr
    assert "starting embedded PostgreSQL" in logged


def test_status_shows_quota_and_schedule(database_url: str) -> None:
    invoke("--database-url", database_url, "watch", "add", "--name", "a", "--query", "q",
           "--type", "ram")  # fmt: skip
    result = invoke("--database-url", database_url, "status")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("eBay quota: 0 of 5000 calls used, 5000 left, resets ")
    assert lines[1] == "ingestion: not running (no `spt run` is running on this database)"
    assert "watches: 1 enabled, 1 due, 0 failing" in lines
    assert lines[-2].startswith("alert delivery: console, at least once: an alert is never lost")
    shown = json.loads(invoke("--database-url", database_url, "status", "--json").stdout)
    assert shown["quota"]["limit"] == 5000
    assert shown["alert_delivery"].startswith("console, at least once")
    assert shown["paused"] is False


def test_status_names_failing_watches_and_whether_a_process_ingests(database_url: str) -> None:
    db = ["--database-url", database_url]
    added = invoke(*db, "watch", "add", "--name", "a", "--query", "q", "--type", "ram", "--json")
    watch_id = json.loads(added.stdout)["id"]
    dns = ("ebay: connection failed: Cannot connect to host api.ebay.com:443 ssl:default "
           "[Name or service not known]; circuit open after repeated failures")  # fmt: skip

    async def prepare() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute("UPDATE watches SET last_error = $1, last_run_at = now() "
                               "WHERE id = $2", dns, watch_id)  # fmt: skip
            now = datetime.now(UTC)
            await processes_repo.beat(conn, "host:1", ["ingest"], now, now)
            # A process that stopped beating a minute ago is gone, not running.
            await processes_repo.beat(conn, "host:2", ["ingest"], now, now - timedelta(minutes=1))
        finally:
            await conn.close()

    asyncio.run(prepare())
    lines = invoke(*db, "status").stdout.splitlines()
    assert lines[1] == "ingestion: running (1 process)"
    assert "watches: 1 enabled, 1 due, 1 failing" in lines
    assert f"  failing: watch {watch_id} (a, local): {dns}" in lines
    shown = invoke(*db, "watch", "show", str(watch_id)).stdout
    assert re.search(rf"^last error +{re.escape(dns)}$", shown, re.MULTILINE)


def test_sandbox_command_serves_a_fake_ebay() -> None:
    import base64
    import urllib.request

    env = {k: v for k, v in os.environ.items() if not k.startswith("SPT_")}
    proc = subprocess.Popen(
        [str(SPT), "sandbox", "--port", "0", "--size", "300"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("sandbox marketplace on http://127.0.0.1:")
        url = first.split()[3]
        credentials = base64.b64encode(b"sandbox-client:sandbox-secret").decode()
        request = urllib.request.Request(
            url + "/identity/v1/oauth2/token",
            data=b"grant_type=client_credentials&scope=https://api.ebay.com/oauth/api_scope",
            headers={"Authorization": f"Basic {credentials}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["token_type"] == "Application Access Token"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_alerts_list_and_rescore_on_an_empty_database(database_url: str) -> None:
    db = ["--database-url", database_url]
    assert invoke(*db, "alerts", "list").stdout.strip() == "no alerts"
    assert json.loads(invoke(*db, "alerts", "list", "--json").stdout) == []
    assert invoke(*db, "rescore").stdout.strip() == "scored 0 listing(s)"
