"""The `spt` command line: parses flags, loads settings, and hands off to bot/app.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import click
from pydantic import BaseModel, SecretStr

from bot import app
from bot.app import extractor_session
from bot.render import (
    baseline_detail,
    baseline_table,
    dumps,
    eval_summary,
    feedback_dict,
    watch_detail,
    watch_dict,
    watch_table,
)
from bot.sidecar import SidecarError
from core.alerts.evaluate import evaluate_alerts, load_cases
from core.alerts.evaluate import summary as alerts_summary
from core.alerts.feedback import FeedbackService, Precision, Suggestion
from core.clock import utc_now
from core.config_reload import SettingsHolder
from core.db.embedded import EmbeddedPostgresError
from core.db.migrate import MigrationError
from core.extract.evaluate import (
    DatasetError,
    Example,
    evaluate,
    load_examples,
    outcome_json,
)
from core.extract.llm import llm_configured
from core.marketplace.quota import QuotaExhaustedError
from core.models import ComponentType, choices
from core.observability.logging import secret_values, set_secrets, setup_logging
from core.resilience import ServiceError
from core.settings import ConfigError, LoadedSettings, cli_layer, load_settings
from core.status import InsightsStatus
from core.watches import InvalidWatchError, Watch, WatchError, hints

T = TypeVar("T")
log = logging.getLogger("spt")

EXIT_CONFIG = 2  # bad settings or bad input, like click's usage errors
EXIT_FAILURE = 1


@dataclass
class CliState:
    """Global flags, turned into settings on first use."""

    config: Path | None
    pairs: list[str]
    flags: dict[tuple[str, ...], tuple[str, Any]]

    def load(self) -> LoadedSettings:
        """Settings from every layer; exits with status 2 and one line per bad key."""
        return load_settings(self.config, cli_layer(self.flags, self.pairs))

    def holder(self) -> SettingsHolder:
        """Settings for a command that uses them, with logging set up to match."""
        try:
            loaded = self.load()
        except ConfigError as exc:
            _fail_config(exc)
        setup_logging(loaded.settings.logging)
        set_secrets(secret_values(loaded.settings))
        return SettingsHolder(loaded, self.load)


def _fail_config(exc: ConfigError) -> Any:
    for line in exc.lines:
        click.echo(f"config error: {line}", err=True)
    sys.exit(EXIT_CONFIG)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine, turning expected failures into one clear line."""
    try:
        return asyncio.run(coro)
    except InvalidWatchError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(EXIT_CONFIG)
    except WatchError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except QuotaExhaustedError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except ServiceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except SidecarError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except (MigrationError, EmbeddedPostgresError) as exc:
        click.echo(f"database error: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        click.echo(f"database error: cannot use the database: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if type(exc).__module__.startswith("discord"):
            # discord.py is imported only when the bot runs: match its errors by module.
            click.echo(f"discord error: {_discord_problem(exc)}", err=True)
            sys.exit(EXIT_FAILURE)
        raise


def _discord_problem(exc: Exception) -> str:
    name = type(exc).__name__
    if name == "LoginFailure":
        return "Discord rejected the bot token (discord.token / DISCORD_TOKEN)"
    if name == "PrivilegedIntentsRequired":
        return "the bot asked for an intent it is not allowed in the developer portal"
    return f"{name}: {exc}"


pass_state = click.make_pass_decorator(CliState)
json_flag = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="spt", prog_name="spt")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="config.toml to read (default: $SPT_CONFIG, else ./config.toml if present).",
)
@click.option(
    "--set",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override any setting, e.g. --set sidecar.port=9400 (repeatable; beats env and file).",
)
@click.option("--database-url", help="PostgreSQL URL (database.url); omit for the embedded one.")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Embedded PostgreSQL directory.")
@click.option("--log-level", help="DEBUG, INFO, WARNING or ERROR (logging.level).")
@click.option("--sidecar-host", help="Side server bind address (sidecar.host).")
@click.option("--sidecar-port", help="Side server port (sidecar.port).")
@click.pass_context
def cli(
    ctx: click.Context,
    config: Path | None,
    pairs: tuple[str, ...],
    database_url: str | None,
    data_dir: Path | None,
    log_level: str | None,
    sidecar_host: str | None,
    sidecar_port: str | None,
) -> None:
    """spt: finds deals on used server hardware on eBay and posts them to Discord.

    Settings come from CLI flags, then SPT_* environment variables, then
    config.toml, then defaults. `spt config show` tells where each came from.
    """
    flags: dict[tuple[str, ...], tuple[str, Any]] = {
        ("database", "url"): ("--database-url", database_url),
        ("database", "data_dir"): ("--data-dir", str(data_dir) if data_dir else None),
        ("logging", "level"): ("--log-level", log_level),
        ("sidecar", "host"): ("--sidecar-host", sidecar_host),
        ("sidecar", "port"): ("--sidecar-port", sidecar_port),
    }
    ctx.obj = CliState(config, list(pairs), flags)


# ---------------------------------------------------------------- run / demo / migrate


@cli.command()
@pass_state
def run(state: CliState) -> None:
    """Run spt: the bot when discord.token is set, headless otherwise. Applies migrations first."""
    holder = state.holder()
    _run(app.run(holder))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the JSON payload Discord receives.")
@pass_state
def commands(state: CliState, as_json: bool) -> None:
    """The slash commands `spt sync` would register (nothing is sent to Discord)."""
    from bot.client import command_payload

    payload = asyncio.run(command_payload(state.holder()))
    if as_json:
        click.echo(json.dumps(payload, indent=2))
        return
    for command in payload:
        children = command.get("options", [])
        subcommands = [o for o in children if o["type"] == 1]
        # A subcommand group (type 2) holds subcommands one level down: `/config quiet-hours set`.
        subcommands += [{**sub, "name": f"{group['name']} {sub['name']}"}
                        for group in children if group["type"] == 2
                        for sub in group.get("options", [])]  # fmt: skip
        if not subcommands:
            click.echo(f"/{command['name']}  {command['description']}")
        for sub in subcommands:
            options = " ".join(
                f"{o['name']}" if o.get("required") else f"[{o['name']}]"
                for o in sub.get("options", [])
            )
            click.echo(f"/{command['name']} {sub['name']} {options}".rstrip()
                       + f"  {sub['description']}")  # fmt: skip


@cli.command()
@click.option(
    "--guild",
    "guilds",
    type=int,
    multiple=True,
    help="Register in this guild only, instantly (repeatable). Default: globally.",
)
@click.option("--dev", is_flag=True, help="Register in each of discord.dev_guild_ids.")
@pass_state
def sync(state: CliState, guilds: tuple[int, ...], dev: bool) -> None:
    """Register the slash commands with Discord (needs discord.token).

    Global registration can take up to an hour to reach every server; a guild's is
    instant. spt never syncs by itself on start.
    """  # fmt: skip
    from bot.client import sync_commands

    holder = state.holder()
    if holder.current.discord.token is None:
        click.echo("error: syncing needs discord.token (set DISCORD_TOKEN)", err=True)
        sys.exit(EXIT_CONFIG)
    targets: list[int | None] = list(guilds)
    if dev:
        if not holder.current.discord.dev_guild_ids:
            click.echo("error: --dev needs discord.dev_guild_ids", err=True)
            sys.exit(EXIT_CONFIG)
        targets += holder.current.discord.dev_guild_ids
    for target in targets or [None]:
        synced = _run(sync_commands(holder, target))
        where = f"guild {target}" if target is not None else "every guild (global)"
        click.echo(f"synced {len(synced)} command(s) to {where}: "
                   + ", ".join(f"/{c['name']}" for c in synced))  # fmt: skip


@cli.command()
@click.option("--once", is_flag=True, help="Run one full cycle, then exit.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary as the last line.")
@pass_state
def demo(state: CliState, once: bool, as_json: bool) -> None:
    """Offline demo: the whole pipeline against the sandbox marketplace.

    Starts the sandbox eBay on loopback and embedded PostgreSQL, seeds five example
    watches, and runs ingest -> extract (rules) -> baselines -> score -> alerts, printing
    alerts to the console. With --once it stops after that pass; otherwise it keeps
    running until Ctrl-C. Re-running it is safe: nothing is delivered twice.
    """
    holder = state.holder()

    def report(result: app.DemoResult) -> None:
        _demo_report(result)
        if not once:
            click.echo("the pipeline keeps running (new listings appear over time); Ctrl-C stops")

    result = _run(app.demo(holder, once, report))
    if as_json:
        click.echo(dumps(result.summary()))


def _demo_report(result: app.DemoResult) -> None:
    """What the demo's first pass did, for people."""
    click.echo(f"database: {'embedded PostgreSQL' if result.embedded else 'database.url'}")
    if result.migrations_applied:
        click.echo(f"migrations applied: {', '.join(result.migrations_applied)}")
    else:
        click.echo("migrations: up to date")
    click.echo(
        f"example watches: {len(result.created)} created, {len(result.existing)} already there"
    )
    click.echo(watch_table(sorted([*result.created, *result.existing], key=lambda w: w.id)))
    click.echo(
        f"ingested {result.tick.ingested} listings ({result.tick.new} new) "
        f"in {len(result.tick.runs)} watch runs from the sandbox marketplace"
    )
    click.echo(
        f"extracted {result.extracted} of {result.listings} listings with "
        f"{result.extraction_mode} into {result.product_keys} product keys; "
        f"{result.baselines} baselines; {result.scored} listings scored"
    )
    click.echo(
        f"alerts: {result.alerts} new ({result.alerts_per_1000:.1f} per 1,000 listings "
        f"ingested), {result.delivered} delivered to the console above"
    )
    for best in result.top:
        cold = " (immature baseline)" if best["cold_start"] else ""
        click.echo(
            f"  {float(best['score']):5.1f}  {best['unit_price']} {best['currency']}  "
            f"{best['title'][:60]}{cold}"
        )
    for run in result.tick.runs:
        if run.error:
            click.echo(f"  watch {run.watch_id}: {run.error}", err=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8790, show_default=True, type=int, help="Port (0: any free).")
@click.option("--seed", default=1, show_default=True, type=int, help="Catalog seed.")
@click.option("--size", default=2400, show_default=True, type=int, help="Catalog listings.")
@click.option(
    "--daily-limit", default=5000, show_default=True, type=int, help="Search calls per day."
)
@click.option("--grant-insights", is_flag=True, help="Grant the Marketplace Insights scope too.")
def sandbox(
    host: str, port: int, seed: int, size: int, daily_limit: int, grant_insights: bool
) -> None:
    """Run the sandbox marketplace (a fake eBay) alone, until Ctrl-C.

    Point spt at it with --set ebay.api_base_url=http://HOST:PORT and the client id and
    secret it prints.
    """
    from sandbox import serve_forever

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(host, port, seed, size, daily_limit=daily_limit,
                                  grant_insights=grant_insights))  # fmt: skip


@cli.command()
@json_flag
@pass_state
def status(state: CliState, as_json: bool) -> None:
    """eBay quota, whether ingestion is paused, what is due, and the extraction queue."""
    holder = state.holder()

    async def go() -> tuple[app.IngestStatus, dict[str, Any], InsightsStatus, str]:
        async with app.open_services(holder) as services:
            return (await services.status(), await services.queue_status(),
                    await services.status_report.insights(),
                    services.status_report.delivery())  # fmt: skip

    current, queue, insights, delivery = _run(go())
    if as_json:
        extra = {"paused": current.paused, "extraction": queue,
                 "marketplace_insights": insights.summary(),
                 "alert_delivery": delivery}  # fmt: skip
        click.echo(dumps(asdict(current) | extra))
        return
    click.echo("\n".join([*current.lines(), insights.line(), f"alert delivery: {delivery}"]))
    click.echo(
        f"extraction: {queue['pending']} pending, {queue['running']} running, "
        f"{queue['parked']} parked; {queue['extracted']} listings extracted into "
        f"{queue['product_keys']} product keys"
    )
    for job in queue["parked_jobs"]:
        click.echo(f"  parked job {job['id']} ({job['title'][:50]}): {job['last_error']}")


BACKENDS = ("rules", "auto", "ollama", "anthropic", "openai_compat")
backend_option = click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    help="Extraction mode (default: extract.backend): rules, auto (rules, LLM when unsure) "
    "or one LLM backend for every title.",
)
model_option = click.option("--model", help="Model for the LLM backend (overrides llm.*_model).")


def _extract_holder(state: CliState, backend: str | None, model: str | None) -> SettingsHolder:
    holder = state.holder()
    overrides: dict[str, Any] = {}
    if backend:
        overrides["extract"] = {"backend": backend}
    if model:
        llm = (
            holder.current.llm.backend
            if (backend or holder.current.extract.backend) in ("auto", "rules")
            else (backend or holder.current.extract.backend)
        )
        overrides["llm"] = {f"{'openai' if llm == 'openai_compat' else llm}_model": model}
    if overrides:
        holder.pin(overrides)
    mode = holder.current.extract.backend
    if mode not in ("rules", "auto") and not llm_configured(holder.current, mode):
        hint = "set ANTHROPIC_API_KEY" if mode == "anthropic" else "see [llm] in config.toml"
        click.echo(f"error: the {mode} backend is not configured: {hint}", err=True)
        sys.exit(EXIT_CONFIG)
    return holder


@cli.command()
@click.argument("titles", nargs=-1)
@click.option("--jsonl", type=click.Path(path_type=Path, dir_okay=False),
              help="Read titles from JSONL lines in the eval format instead.")  # fmt: skip
@backend_option
@model_option
@pass_state
def extract(
    state: CliState, titles: tuple[str, ...], jsonl: Path | None, backend: str | None,
    model: str | None,
) -> None:  # fmt: skip
    """Read titles into attributes: one JSON object per line, as production would store it."""
    if not titles and jsonl is None:
        raise click.UsageError("give one or more TITLEs or --jsonl PATH")
    holder = _extract_holder(state, backend, model)
    try:
        examples = (
            load_examples(jsonl, labelled=False)
            if jsonl is not None
            else [Example("", t, None, None) for t in titles]
        )
    except DatasetError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)

    async def go() -> None:
        async with extractor_session(holder) as extractor:
            for example in examples:
                outcome = await extractor.extract(example.title, example.marketplace)
                click.echo(dumps(outcome_json(example.id or None, example.title, outcome)))

    _run(go())


def _progress(quiet: bool) -> Callable[[int, int], None]:
    """`done/total` on a terminal's stderr every 25 items, for long evaluations."""

    def show(done: int, total: int) -> None:
        if not quiet and sys.stderr.isatty() and (done % 25 == 0 or done == total):
            click.echo(f"\r{done}/{total}", err=True, nl=done == total)

    return show


@cli.command("eval")
@click.option("--dataset", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="JSONL of labelled titles (id, title, marketplace, expected).")  # fmt: skip
@backend_option
@model_option
@json_flag
@pass_state
def eval_command(
    state: CliState, dataset: Path, backend: str | None, model: str | None, as_json: bool
) -> None:
    """Grade an extraction setup on labelled titles: accuracy, LLM calls, speed, misses."""
    holder = _extract_holder(state, backend, model)
    try:
        examples = load_examples(dataset)
    except DatasetError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)

    progress = _progress(quiet=as_json)

    async def go() -> dict[str, Any]:
        async with extractor_session(holder) as extractor:
            return await evaluate(extractor, examples, progress)

    report = _run(go())
    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(eval_summary(report))


@cli.command("eval-alerts")
@click.option(
    "--dataset",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSONL of judged alerts (listing, baseline, watch, label deal|fair|noise).",
)
@click.option(
    "--backend",
    type=click.Choice(["rules", "auto", "ollama", "anthropic", "openai_compat"]),
    default="rules",
    show_default=True,
    help="Extraction mode: rules alone measures the decision, not an LLM's answers.",
)
@json_flag
@pass_state
def eval_alerts_command(state: CliState, dataset: Path, backend: str, as_json: bool) -> None:
    """Run extraction, scoring and the alert decision over judged alerts: deals alerted,
    non-deals alerted, precision and AUC. Exits 1 when a target is missed."""
    holder = _extract_holder(state, backend, None)
    now = datetime.now(UTC)
    try:
        cases = load_cases(dataset, holder.current, now)
    except DatasetError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)

    progress = _progress(quiet=as_json)

    async def go() -> dict[str, Any]:
        async with extractor_session(holder) as extractor:
            return await evaluate_alerts(cases, extractor, holder.current, now, progress,
                                         str(dataset))  # fmt: skip

    result = _run(go())
    click.echo(json.dumps(result) if as_json else alerts_summary(result))
    if not result["met"]:
        sys.exit(EXIT_FAILURE)


@cli.command()
@click.option("--type", "component_type", help="Only listings extracted as this type.")
@click.option("--low-confidence", is_flag=True, help="Only low-confidence extractions.")
@pass_state
def reextract(state: CliState, component_type: str | None, low_confidence: bool) -> None:
    """Queue listings for extraction again (e.g. after a better model or rules)."""
    if component_type is not None and component_type not in {t.value for t in ComponentType}:
        click.echo(
            f"error: unknown type {component_type!r}; choose one of {choices(ComponentType)}",
            err=True,
        )
        sys.exit(EXIT_CONFIG)
    holder = state.holder()

    async def go() -> int:
        async with app.open_services(holder) as services:
            return await services.requeue(component_type, low_confidence)

    queued = _run(go())
    click.echo(f"queued {queued} listing(s) for extraction")


@cli.group()
def baselines() -> None:
    """Market baselines: unit-price percentiles per product key and currency."""


def _with_services(state: CliState, action: Callable[[app.Services], Awaitable[T]]) -> T:
    holder = state.holder()

    async def go() -> T:
        async with app.open_services(holder) as services:
            return await action(services)

    return _run(go())


@cli.group()
def alerts() -> None:
    """Alert history."""


@alerts.command("list")
@click.option("--guild", type=int, default=None, help="Discord guild id (default: local).")
@click.option("--limit", default=20, show_default=True, type=int, help="Most rows.")
@json_flag
@pass_state
def alerts_list(state: CliState, guild: int | None, limit: int, as_json: bool) -> None:
    """The latest alerts, newest first: status, delivery attempts, score, price."""
    found = _with_services(state, lambda s: s.alerts.recent(guild, limit))
    if as_json:
        click.echo(dumps(found))
        return
    if not found:
        click.echo("no alerts")
        return
    for a in found:
        cold = " cold" if a["cold_start"] else ""
        click.echo(
            f"{a['id']:>5}  {a['created_at']:%Y-%m-%d %H:%M}  {a['status']:<9} "
            f"{a['attempts']} attempt(s)  {float(a['score']):5.1f}{cold}  "
            f"{a['unit_price']} {a['currency']}  [{a['watch_name']}] {a['title'][:50]}"
        )


@cli.command()
@click.option("--key", "keys", multiple=True, help="Only listings of this product key.")
@pass_state
def rescore(state: CliState, keys: tuple[str, ...]) -> None:
    """Score listings again against their current baselines."""
    wanted = [k.strip().lower() for k in keys] or None
    scored = _with_services(state, lambda s: s.scorer.rescore(keys=wanted))
    click.echo(f"scored {scored} listing(s)")


@baselines.command("refresh")
@click.option("--key", "keys", multiple=True, help="Only this product key (repeatable).")
@pass_state
def baselines_refresh(state: CliState, keys: tuple[str, ...]) -> None:
    """Recompute baselines now (all, or the given product keys)."""
    wanted = [k.strip().lower() for k in keys] or None
    result = _with_services(state, lambda s: s.baselines.refresh(wanted))
    click.echo(f"baselines refreshed: {result.refreshed} written, {result.removed} removed")


@baselines.command("list")
@click.option("--currency", help="Only this currency (USD, GBP, EUR, AUD).")
@click.option("--min-samples", default=0, show_default=True, type=int, help="Fewest samples.")
@click.option("--prefix", help="Only keys starting with this, e.g. ram:ddr4.")
@click.option("--limit", default=50, show_default=True, type=int, help="Most rows.")
@json_flag
@pass_state
def baselines_list(
    state: CliState, currency: str | None, min_samples: int, prefix: str | None, limit: int,
    as_json: bool,
) -> None:  # fmt: skip
    """Baselines, most samples first."""
    found = _with_services(
        state,
        lambda s: s.baselines.search(currency.upper() if currency else None, min_samples,
                                     prefix.lower() if prefix else None, limit),
    )  # fmt: skip
    if as_json:
        click.echo(dumps([asdict(b) for b in found]))
        return
    click.echo(baseline_table(found, holder_min_samples(state)))


def holder_min_samples(state: CliState) -> int:
    """The cold-start threshold in force (for marking immature baselines)."""
    return state.load().settings.scoring.cold_start_min_samples


@baselines.command("show")
@click.argument("key")
@click.option("--days", default=30, show_default=True, type=int, help="History days shown.")
@json_flag
@pass_state
def baselines_show(state: CliState, key: str, days: int, as_json: bool) -> None:
    """One product key: percentiles per currency and the daily history."""

    async def read(services: app.Services) -> list[tuple[Any, list[dict[str, Any]]]]:
        found = await services.baselines.get(key)
        return [(b, await services.baselines.history(b.product_key, b.currency, days))
                for b in found]  # fmt: skip

    found = _with_services(state, read)
    if not found:
        click.echo(f"error: no baseline for {key.strip().lower()!r}", err=True)
        sys.exit(EXIT_FAILURE)
    if as_json:
        click.echo(dumps([asdict(b) | {"history": h} for b, h in found]))
        return
    click.echo(baseline_detail(found, state.load().settings.scoring))


@cli.command()
@pass_state
def migrate(state: CliState) -> None:
    """Apply pending database migrations."""
    holder = state.holder()

    async def go() -> list[str]:
        async with app.open_services(holder) as services:
            return services.migrations_applied

    applied = _run(go())
    click.echo(f"applied: {', '.join(applied)}" if applied else "database is up to date")


# ---------------------------------------------------------------- config


@cli.group()
def config() -> None:
    """Inspect and check settings."""


def _flatten(model: BaseModel, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    items: list[tuple[tuple[str, ...], Any]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = (*prefix, name)
        if isinstance(value, BaseModel):
            items.extend(_flatten(value, path))
        else:
            items.append((path, value))
    return items


def _display(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "********" if value.get_secret_value() else None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return [_display(v) for v in value]
    return getattr(value, "value", value)


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: key -> value and source.")
@pass_state
def config_show(state: CliState, as_json: bool) -> None:
    """Effective settings, secrets masked, with where each value came from."""
    try:
        loaded = state.load()
    except ConfigError as exc:
        _fail_config(exc)
    rows = [
        (".".join(path), _display(value), loaded.source_of(path))
        for path, value in _flatten(loaded.settings)
    ]
    if as_json:
        click.echo(json.dumps({k: {"value": v, "source": s} for k, v, s in rows}, indent=2))
        return
    click.echo(f"# config file: {loaded.config_path or 'none'}")
    width = max(len(k) for k, _, _ in rows)
    for key, value, source in rows:
        click.echo(f"{key.ljust(width)} = {json.dumps(value)}  # {source}")


@config.command("check")
@pass_state
def config_check(state: CliState) -> None:
    """Validate settings; exit 2 with one line per bad key."""
    try:
        loaded = state.load()
    except ConfigError as exc:
        _fail_config(exc)
    click.echo(f"config OK ({loaded.config_path or 'no config file'})")


# ---------------------------------------------------------------- watch


@cli.group()
def watch() -> None:
    """Manage watches (saved eBay searches). Without --guild they live in the local scope."""


guild_option = click.option(
    "--guild", type=int, default=None, help="Discord guild id (default: the local scope)."
)
json_option = json_flag


def _with_watches(state: CliState, action: Callable[[Any], Awaitable[T]]) -> T:
    holder = state.holder()

    async def go() -> T:
        async with app.open_services(holder) as services:
            return await action(services.watches)

    return _run(go())


def _show(
    watch: Watch,
    as_json: bool,
    verb: str | None = None,
    feedback: tuple[Precision, Suggestion | None] | None = None,
) -> None:
    precision, suggestion = feedback if feedback is not None else (None, None)
    if as_json:
        data = watch_dict(watch)
        if precision is not None:
            data["feedback"] = feedback_dict(watch, precision, suggestion)
        click.echo(dumps(data))
        return
    if verb:
        click.echo(f"{verb} watch {watch.id} ({watch.name})")
    click.echo(watch_detail(watch, precision, suggestion))


def _fields_options(required: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The watch fields as options, shared by `add` (name, query, type required) and `edit`."""
    options = [
        click.option("--name", required=required, help="Short unique name."),
        click.option("--query", required=required, help="eBay search words (at most 350)."),
        click.option("--type", "component_type", required=required,
                     help="ram, drive, server, cpu, nic, gpu, workstation, desktop or other."),
        click.option("--marketplace", help="EBAY_US, EBAY_GB, EBAY_DE or EBAY_AU."),
        click.option("--min-price", help="Lowest unit price, in the marketplace currency."),
        click.option("--max-price", help="Highest unit price, in the marketplace currency."),
        click.option("--condition", "conditions", multiple=True,
                     help="Accepted condition (repeatable): new, like_new, used_working, "
                          "for_parts, unknown."),
        click.option("--buying-option", "buying_options", multiple=True,
                     help="FIXED_PRICE, AUCTION or BEST_OFFER (repeatable; default: fixed price "
                          "and auctions)."),
        click.option("--category", "category_ids", multiple=True,
                     help="eBay category id to search in (repeatable, at most 3)."),
        click.option("--filter", "filters", multiple=True,
                     help="Attribute filter (repeatable): capacity_gb>=32, generation=DDR4, "
                          "'port_type in SFP+,SFP28'."),
        click.option("--threshold", help="Score (0-100) a listing needs to alert."),
        click.option("--channel", "channel_id", help="Discord channel id for alerts."),
        click.option("--cold-start/--no-cold-start", "cold_start_opt_in", default=None,
                     help="Alert even while the baseline has under 10 samples."),
        click.option("--realert-step", "realert_step_pct",
                     help="Unit-price drop in percent before re-alerting."),
        click.option("--poll-interval", "poll_interval_seconds",
                     help="Seconds between searches (60-86400)."),
        click.option("--min-seller-feedback", help="Lowest seller feedback score."),
        click.option("--min-seller-percent", help="Lowest seller positive feedback percent."),
        click.option("--top-rated-only/--any-seller", "top_rated_only", default=None,
                     help="Only top-rated sellers."),
    ]  # fmt: skip

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


def _given(fields: dict[str, Any]) -> dict[str, Any]:
    """Only the options the user gave (empty repeatables mean 'not given')."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None or value == ():
            continue
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


@watch.command("add")
@_fields_options(required=True)
@guild_option
@click.option("--owner", "owner_id", type=int, default=None, help="Discord user id of the owner.")
@json_option
@pass_state
def watch_add(
    state: CliState, /, guild: int | None, owner_id: int | None, as_json: bool, **fields: Any
) -> None:
    """Create a watch."""
    created = _with_watches(state, lambda s: s.add(guild, _given(fields), owner_id))
    _show(created, as_json, "created")
    if not as_json:
        for hint in hints(created):
            click.echo(f"hint: {hint}")


@watch.command("list")
@guild_option
@json_option
@pass_state
def watch_list(state: CliState, guild: int | None, as_json: bool) -> None:
    """List watches."""
    watches: list[Watch] = _with_watches(state, lambda s: s.list(guild))
    if as_json:
        click.echo(dumps([watch_dict(w) for w in watches]))
    else:
        click.echo(watch_table(watches))


@watch.command("show")
@click.argument("ref")
@guild_option
@json_option
@pass_state
def watch_show(state: CliState, ref: str, guild: int | None, as_json: bool) -> None:
    """Show one watch, by id or name, with its precision from "Not a deal" feedback."""
    holder = state.holder()

    async def go() -> tuple[Watch, tuple[Precision, Suggestion | None]]:
        async with app.open_services(holder) as services:
            found = await services.watches.get(guild, ref)
            review = await FeedbackService(services.db.pool, utc_now).review(guild, found)
            return found, review

    found, feedback = _run(go())
    _show(found, as_json, feedback=feedback)


@watch.command("edit")
@click.argument("ref")
@_fields_options(required=False)
@click.option("--clear-filters", is_flag=True, help="Remove every attribute filter.")
@click.option("--clear-conditions", is_flag=True, help="Accept any condition but for_parts.")
@guild_option
@json_option
@pass_state
def watch_edit(
    state: CliState,
    /,
    ref: str,
    clear_filters: bool,
    clear_conditions: bool,
    guild: int | None,
    as_json: bool,
    **fields: Any,
) -> None:
    """Change a watch (by id or name); only the options given change."""
    changes = _given(fields)
    if clear_filters:
        changes["filters"] = []
    if clear_conditions:
        changes["conditions"] = []
    edited = _with_watches(state, lambda s: s.edit(guild, ref, changes))
    _show(edited, as_json, "updated")


@watch.command("remove")
@click.argument("ref")
@guild_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def watch_remove(state: CliState, ref: str, guild: int | None, yes: bool) -> None:
    """Delete a watch with its hits and alerts."""
    if not yes and not click.confirm(f"Delete watch {ref!r} with its hits and alerts?"):
        click.echo("nothing deleted")
        sys.exit(EXIT_FAILURE)
    removed = _with_watches(state, lambda s: s.remove(guild, ref))
    click.echo(f"removed watch {removed.id} ({removed.name})")


@watch.command("pause")
@click.argument("ref")
@guild_option
@pass_state
def watch_pause(state: CliState, ref: str, guild: int | None) -> None:
    """Stop a watch from searching until resumed."""
    paused = _with_watches(state, lambda s: s.set_enabled(guild, ref, False))
    click.echo(f"paused watch {paused.id} ({paused.name})")


@watch.command("resume")
@click.argument("ref")
@guild_option
@pass_state
def watch_resume(state: CliState, ref: str, guild: int | None) -> None:
    """Resume a paused watch; it searches at once."""
    resumed = _with_watches(state, lambda s: s.set_enabled(guild, ref, True))
    click.echo(f"resumed watch {resumed.id} ({resumed.name})")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="spt")
