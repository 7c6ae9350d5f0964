"""`spt watch`: add, list, show, edit, pause, resume and remove watches."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from app.cli.base import EXIT_FAILURE, CliState, fail, json_flag, pass_state, run_command
from app.render import (
    dumps,
    feedback_dict,
    preview_text,
    watch_detail,
    watch_dict,
    watch_table,
)
from app.services import open_services
from core.alerts.feedback import FeedbackService, Precision, Suggestion
from core.alerts.preview import Preview
from core.clock import utc_now
from core.marketplace.wiring import credentials
from core.watches import Watch, hints

T = TypeVar("T")


@click.group()
def watch() -> None:
    """Manage watches (saved eBay searches). Without --guild they live in the local scope."""


guild_option = click.option(
    "--guild", type=int, default=None, help="Discord guild id (default: the local scope)."
)
json_option = json_flag


def _with_watches(state: CliState, action: Callable[[Any], Awaitable[T]]) -> T:
    holder = state.holder()

    async def go() -> T:
        async with open_services(holder) as services:
            return await action(services.watches)

    return run_command(go())


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
                          "'port_type in SFP+,SFP28'. On edit, added to the watch's filters."),
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
        async with open_services(holder) as services:
            found = await services.watches.get(guild, ref)
            review = await FeedbackService(services.db.pool, utc_now).review(guild, found)
            return found, review

    found, feedback = run_command(go())
    _show(found, as_json, feedback=feedback)


@watch.command("edit")
@click.argument("ref")
@_fields_options(required=False)
@click.option("--remove-filter", "remove_filters", multiple=True,
              help="Remove this attribute filter, by its text or its number in `watch show` "
                   "(repeatable).")  # fmt: skip
@click.option("--clear-filters", is_flag=True, help="Remove every attribute filter first.")
@click.option("--clear-conditions", is_flag=True, help="Accept any condition but for_parts.")
@guild_option
@json_option
@pass_state
def watch_edit(
    state: CliState,
    /,
    ref: str,
    remove_filters: tuple[str, ...],
    clear_filters: bool,
    clear_conditions: bool,
    guild: int | None,
    as_json: bool,
    **fields: Any,
) -> None:
    """Change a watch (by id or name); only the options given change.

    --filter adds to the watch's filters; --remove-filter and --clear-filters take
    filters away (clearing first, then removing, then adding).
    """
    changes = _given(fields)
    added = changes.pop("filters", [])
    if clear_conditions:
        changes["conditions"] = []
    edited = _with_watches(state, lambda s: s.edit(
        guild, ref, changes, add_filters=added, remove_filters=list(remove_filters),
        clear_filters=clear_filters,
    ))  # fmt: skip
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


@watch.command("test")
@click.argument("ref")
@guild_option
@json_option
@pass_state
def watch_test(state: CliState, ref: str, guild: int | None, as_json: bool) -> None:
    """Search eBay now and show what would alert (nothing is stored or alerted)."""
    holder = state.holder()
    if credentials(holder.current) is None:
        fail("eBay is not configured (EBAY_CLIENT_ID / EBAY_CLIENT_SECRET), so spt cannot "
             "search now")  # fmt: skip

    async def go() -> Preview:
        async with open_services(holder) as services:
            found = await services.watches.get(guild, ref)
            return await services.preview.run(found)

    result = run_command(go())
    if as_json:
        click.echo(dumps({"watch": result.watch.id, "searched": result.searched,
                          "total": result.total,
                          "items": [dataclasses.asdict(i) for i in result.items]}))  # fmt: skip
        return
    click.echo(preview_text(result))
