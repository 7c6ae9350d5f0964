"""`spt baselines` and `spt rescore`: market baselines per product key, and scores against them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from app.cli.base import CliState, fail, json_flag, pass_state, with_services
from app.render import baseline_detail, baseline_table, dumps
from app.services import Services


@click.group()
def baselines() -> None:
    """Market baselines: unit-price percentiles per product key and currency."""


@click.command()
@click.option("--key", "keys", multiple=True, help="Only listings of this product key.")
@pass_state
def rescore(state: CliState, keys: tuple[str, ...]) -> None:
    """Score listings again against their current baselines."""
    wanted = [k.strip().lower() for k in keys] or None
    scored = with_services(state, lambda s: s.scorer.rescore(keys=wanted))
    click.echo(f"scored {scored} listing(s)")


@baselines.command("refresh")
@click.option("--key", "keys", multiple=True, help="Only this product key (repeatable).")
@pass_state
def baselines_refresh(state: CliState, keys: tuple[str, ...]) -> None:
    """Recompute baselines now (all, or the given product keys)."""
    wanted = [k.strip().lower() for k in keys] or None
    result = with_services(state, lambda s: s.baselines.refresh(wanted))
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
    found = with_services(
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

    async def read(services: Services) -> list[tuple[Any, list[dict[str, Any]]]]:
        found = await services.baselines.get(key)
        return [(b, await services.baselines.history(b.product_key, b.currency, days))
                for b in found]  # fmt: skip

    found = with_services(state, read)
    if not found:
        fail(f"no baseline for {key.strip().lower()!r}")
    if as_json:
        click.echo(dumps([asdict(b) | {"history": h} for b, h in found]))
        return
    click.echo(baseline_detail(found, state.load().settings.scoring))
