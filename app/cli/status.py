"""`spt status`: quota, ingestion, what is due, the extraction queue, where alerts go."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from app.cli.base import CliState, json_flag, pass_state, run_command
from app.render import dumps
from app.services import IngestStatus, open_services
from core.status import InsightsStatus


@click.command()
@json_flag
@pass_state
def status(state: CliState, as_json: bool) -> None:
    """eBay quota, whether ingestion is paused, what is due, and the extraction queue."""
    holder = state.holder()

    async def go() -> tuple[IngestStatus, dict[str, Any], InsightsStatus, str]:
        async with open_services(holder) as services:
            return (await services.status(), await services.queue_status(),
                    await services.status_report.insights(),
                    services.status_report.delivery())  # fmt: skip

    current, queue, insights, delivery = run_command(go())
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
