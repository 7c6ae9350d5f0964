"""The CLI commands that need Discord (`spt commands`, `spt sync`), contributed to the
application's CLI through the `spt.commands` entry points. discord.py loads only when one
of them runs."""

from __future__ import annotations

import asyncio
import json

import click

from app.cli.base import EXIT_CONFIG, CliState, fail, pass_state, run_command
from app.errors import IntegrationError


@click.command()
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


@click.command()
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
    import discord

    from bot.client import FATAL, fatal_problem, sync_commands

    holder = state.holder()
    if holder.current.discord.token is None:
        fail("syncing needs discord.token (set DISCORD_TOKEN)", EXIT_CONFIG)
    targets: list[int | None] = list(guilds)
    if dev:
        if not holder.current.discord.dev_guild_ids:
            fail("--dev needs discord.dev_guild_ids", EXIT_CONFIG)
        targets += holder.current.discord.dev_guild_ids

    async def register(target: int | None) -> list[dict[str, object]]:
        try:
            return await sync_commands(holder, target)
        except FATAL as exc:
            raise IntegrationError("discord", fatal_problem(exc)) from exc
        except discord.HTTPException as exc:
            raise IntegrationError(
                "discord", f"Discord refused: HTTP {exc.status} {exc.text}"
            ) from exc

    for target in targets or [None]:
        synced = run_command(register(target))
        where = f"guild {target}" if target is not None else "every guild (global)"
        click.echo(f"synced {len(synced)} command(s) to {where}: "
                   + ", ".join(f"/{c['name']}" for c in synced))  # fmt: skip
