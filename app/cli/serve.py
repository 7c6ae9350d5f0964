"""`spt run`, `spt demo`, `spt sandbox` and `spt migrate`: the commands that run spt or
prepare its database."""

from __future__ import annotations

import asyncio
import contextlib
import shlex

import click

from app.cli.base import CliState, pass_state, run_command
from app.demo import DemoResult
from app.demo import demo as spt_demo
from app.render import dumps, watch_table
from app.run import run as spt_run
from app.services import open_services


@click.command()
@pass_state
def run(state: CliState) -> None:
    """Run spt: the bot when discord.token is set, headless otherwise. Applies migrations first."""
    holder = state.holder(serving=True)
    run_command(spt_run(holder))


@click.command()
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
    holder = state.holder(serving=True)

    def report(result: DemoResult) -> None:
        _demo_report(result)
        if not once:
            click.echo("the pipeline keeps running (new listings appear over time); Ctrl-C stops")

    result = run_command(spt_demo(holder, once, report))
    if as_json:
        click.echo(dumps(result.summary()))


def _demo_report(result: DemoResult) -> None:
    """What the demo's first pass did, for people."""
    if result.data_dir is not None:
        # The demo's data is apart from a real install's; say how to look at it.
        click.echo(
            f"database: embedded PostgreSQL in {result.data_dir} (the CLI reaches "
            f"it with: spt --data-dir {shlex.quote(result.data_dir)} watch list)"
        )
    else:
        click.echo("database: database.url")
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


@click.command()
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


@click.command()
@pass_state
def migrate(state: CliState) -> None:
    """Apply pending database migrations."""
    holder = state.holder()

    async def go() -> list[str]:
        async with open_services(holder) as services:
            return services.migrations_applied

    applied = run_command(go())
    click.echo(f"applied: {', '.join(applied)}" if applied else "database is up to date")
