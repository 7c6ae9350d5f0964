"""`spt init` and `spt doctor`: from nothing to a checked setup.

`init` asks for (or reads from flags and the environment) the eBay keys, the Discord token,
the LLM choice and where alerts go, and writes a commented config.toml beside a secrets
file (spt.env, readable by its owner only). `doctor` then checks each part for real and
says what to fix, one line each.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import click

from app import integrations
from app.cli.base import pass_state
from app.cli.state import EXIT_CONFIG, EXIT_FAILURE, CliState, fail
from app.services import open_services
from core.config_reload import SettingsHolder
from core.config_template import Key, render_config, secret_name
from core.doctor import Finding, check_ebay, check_llm, failed
from core.models import Marketplace
from core.settings import CONVENTIONAL_ENV, DEFAULT_CONFIG_NAME, DEFAULT_ENV_FILE
from core.storage import EmbeddedPostgresError, MigrationError

LLM_CHOICES = ("rules", "auto", "ollama", "anthropic", "openai_compat")
# The secrets `init` asks for, by settings key, with the prompt shown.
SECRETS: dict[Key, str] = {
    ("ebay", "client_id"): "eBay App ID (Client ID), Production keyset",
    ("ebay", "client_secret"): "eBay Cert ID (Client Secret)",
    ("discord", "token"): "Discord bot token (empty: no bot; alerts go to the console)",
}


@click.command()
@click.option("--ebay-client-id", help="eBay App ID (Production). Else $EBAY_CLIENT_ID or asked.")
@click.option("--ebay-client-secret", help="eBay Cert ID. Else $EBAY_CLIENT_SECRET or asked.")
@click.option("--discord-token", help="Bot token. Else $DISCORD_TOKEN or asked (may be empty).")
@click.option("--alert-channel", type=int, help="Channel id for alerts of watches naming none.")
@click.option(
    "--llm",
    type=click.Choice(LLM_CHOICES),
    help="How titles are read: rules, or rules and an LLM when unsure (auto), or an "
    "LLM for every title. Default: auto with Ollama when it is asked, else rules.",
)
@click.option("--anthropic-api-key", help="For --llm anthropic. Else $ANTHROPIC_API_KEY.")
@click.option(
    "--marketplace",
    type=click.Choice([m.value for m in Marketplace]),
    help="Default eBay site for new watches.",
)
@click.option(
    "--directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    show_default=True,
    help="Where config.toml and spt.env are written.",
)
@click.option(
    "--non-interactive",
    is_flag=True,
    help="Ask nothing: take flags and the environment, leave the rest unset.",
)
@click.option("--force", is_flag=True, help="Replace config.toml and spt.env if they exist.")
def init(
    ebay_client_id: str | None,
    ebay_client_secret: str | None,
    discord_token: str | None,
    alert_channel: int | None,
    llm: str | None,
    anthropic_api_key: str | None,
    marketplace: str | None,
    directory: Path,
    non_interactive: bool,
    force: bool,
) -> None:
    """Write a commented config.toml and a secrets file (spt.env) for this machine."""
    config_file, env_file = directory / DEFAULT_CONFIG_NAME, directory / DEFAULT_ENV_FILE
    existing = [p for p in (config_file, env_file) if p.exists()]
    if existing and not force:
        names = " and ".join(str(p) for p in existing)
        click.echo(
            f"error: {names} already exist(s); --force replaces them, or give "
            "--directory for a folder of its own",
            err=True,
        )
        sys.exit(EXIT_CONFIG)
    ask = _asker(interactive=not non_interactive and sys.stdin.isatty())
    given: dict[Key, str | None] = {
        ("ebay", "client_id"): ebay_client_id,
        ("ebay", "client_secret"): ebay_client_secret,
        ("discord", "token"): discord_token,
        ("llm", "anthropic_api_key"): anthropic_api_key,
    }
    secrets: dict[Key, str] = {}
    for key, prompt in SECRETS.items():
        value = given[key] or _from_environment(key) or ask(prompt, hide=True)
        if value:
            secrets[key] = value
    chosen: dict[Key, Any] = {}
    mode = (
        llm
        or ask(
            "Reading titles: rules, auto (rules + an LLM when unsure), ollama, "
            "anthropic or openai_compat",
            default="rules",
        )
        or "rules"
    )
    if mode not in LLM_CHOICES:
        fail(f"--llm: choose one of {', '.join(LLM_CHOICES)}", EXIT_CONFIG)
    chosen[("extract", "backend")] = mode
    if mode in ("auto", "anthropic"):
        if mode == "auto":
            chosen[("llm", "backend")] = "ollama"
        api_key = given[("llm", "anthropic_api_key")] or _from_environment(
            ("llm", "anthropic_api_key")
        )
        if mode == "anthropic" and not api_key:
            api_key = ask("Anthropic API key", hide=True)
        if api_key:
            secrets[("llm", "anthropic_api_key")] = api_key
    if alert_channel is None and "discord" in {k[0] for k in secrets}:
        answer = ask("Alert channel id for watches that name none (empty: each watch's own)")
        alert_channel = int(answer) if answer and answer.isdigit() else None
    if alert_channel is not None:
        chosen[("discord", "alert_channel_id")] = alert_channel
    if marketplace:
        chosen[("ebay", "default_marketplace")] = Marketplace(marketplace)
    directory.mkdir(parents=True, exist_ok=True)
    config_file.write_text(render_config(chosen), encoding="utf-8")
    _write_secrets(env_file, secrets)
    click.echo(
        f"wrote {config_file} (settings, every key commented) and {env_file} "
        f"({len(secrets)} secret(s), readable by you only)"
    )
    missing = [
        name
        for name in ("EBAY_CLIENT_ID", "EBAY_CLIENT_SECRET")
        if CONVENTIONAL_ENV[name] not in secrets
    ]
    if missing:
        click.echo(
            f"note: without {' and '.join(missing)} nothing is searched; add them to "
            f"{env_file} when you have them"
        )
    click.echo("next: spt doctor (checks each part), then spt run")


def _asker(*, interactive: bool) -> Callable[..., str | None]:
    def ask(prompt: str, *, hide: bool = False, default: str = "") -> str | None:
        if not interactive:
            return None
        answer: str = click.prompt(
            prompt, default=default, hide_input=hide, show_default=bool(default)
        )
        return answer.strip() or None

    return ask


def _from_environment(key: Key) -> str | None:
    return os.environ.get(secret_name(key)) or None


def _write_secrets(path: Path, secrets: dict[Key, str]) -> None:
    """`NAME=value` lines, quoted; created readable and writable by the owner only."""
    lines = ["# spt's secrets, written by `spt init`. Keep this file to yourself.\n"]
    for key, value in secrets.items():
        if "\n" in value:
            raise click.BadParameter(f"{secret_name(key)} cannot span lines")
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        lines.append(f"{secret_name(key)}='{escaped}'\n")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)  # an existing file keeps its mode otherwise
        out.writelines(lines)


@click.command()
@pass_state
def doctor(state: CliState) -> None:
    """Check each part for real: database, eBay token and a search, Discord login and the
    alert channels' permissions, the LLM and its model. One line each; exit 1 if any fails."""
    holder = state.holder()
    findings = _run_checks(holder)
    for finding in findings:
        click.echo(finding.line())
    bad = failed(findings)
    click.echo(
        f"{len(findings) - len(bad)} of {len(findings)} checks passed"
        + (f"; fix the {len(bad)} above marked FAIL" if bad else "")
    )
    if bad:
        sys.exit(EXIT_FAILURE)


def _run_checks(holder: SettingsHolder) -> list[Finding]:
    return asyncio.run(_checks(holder))


async def _checks(holder: SettingsHolder) -> list[Finding]:
    settings = holder.current
    where = holder.loaded.config_path or "no config file"
    findings = [Finding("settings", True, f"valid ({where})")]
    channels: dict[int, str] = {}
    if settings.discord.alert_channel_id is not None:
        channels[settings.discord.alert_channel_id] = "discord.alert_channel_id"
    try:
        async with open_services(holder) as services:
            how = "embedded PostgreSQL" if services.db.embedded else "database.url"
            findings.append(Finding("database", True, f"{how} answers, migrations applied"))
            findings += await check_ebay(services.ebay, settings)
            findings += await check_llm(services.extractor, settings)
            channels |= await services.watches.alert_channels()
    except (MigrationError, EmbeddedPostgresError) as exc:
        findings.append(
            Finding(
                "database",
                False,
                str(exc),
                "see the message; the data directory or the server may need attention",
            )
        )
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        findings.append(
            Finding(
                "database",
                False,
                f"cannot use the database ({exc})",
                "check database.url / DATABASE_URL, or unset it for the embedded one",
            )
        )
    if settings.alerts.apprise_urls:
        # Every URL loaded with the settings; a test notification would be a real push.
        urls = [u.get_secret_value() for u in settings.alerts.apprise_urls]
        kinds = ", ".join(sorted({u.split("://", 1)[0] for u in urls}))
        findings.append(
            Finding(
                "Apprise",
                True,
                f"{len(urls)} target(s) load ({kinds}); "
                "no test notification is sent (it would be a real push)",
            )
        )
    if settings.discord.token is None and settings.discord.webhook_url is None:
        findings.append(
            Finding(
                "Discord",
                True,
                "no bot token and no webhook: alerts are "
                "printed to the console (set DISCORD_TOKEN to post)",
            )
        )
        return findings
    try:
        findings += await integrations.discord().doctor(holder, channels)
    except integrations.IntegrationError as exc:
        findings.append(Finding("Discord", False, str(exc), "reinstall spt: pip install -e ."))
    return findings
