"""`spt alerts`: alert history."""

from __future__ import annotations

import click

from app.cli.base import CliState, json_flag, pass_state, with_services
from app.render import dumps


@click.group()
def alerts() -> None:
    """Alert history."""


@alerts.command("list")
@click.option("--guild", type=int, default=None, help="Discord guild id (default: local).")
@click.option("--limit", default=20, show_default=True, type=int, help="Most rows.")
@json_flag
@pass_state
def alerts_list(state: CliState, guild: int | None, limit: int, as_json: bool) -> None:
    """The latest alerts, newest first: status, delivery attempts, score, price."""
    found = with_services(state, lambda s: s.alerts.recent(guild, limit))
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
