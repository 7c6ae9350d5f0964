"""The `spt` command line: global flags, then one module per command group.

Commands that need Discord (`spt commands`, `spt sync`) come from the Discord package
through the `spt.commands` entry points and load only when used, so the application's
CLI never imports discord.py for the commands that do not need it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import click

from app.cli.state import CliState
from app.integrations import command_entry_points

# Each command's module, imported only when the command runs (or `--help` lists it), so
# `spt --version` answers at once and a command loads only what it uses.
COMMANDS = {
    "run": "serve:run", "demo": "serve:demo", "sandbox": "serve:sandbox",
    "migrate": "serve:migrate", "status": "status:status", "extract": "extract:extract",
    "eval": "extract:eval_command", "eval-alerts": "extract:eval_alerts_command",
    "reextract": "extract:reextract", "baselines": "baselines:baselines",
    "rescore": "baselines:rescore", "alerts": "alerts:alerts", "config": "config:config",
    "watch": "watch:watch", "init": "setup:init", "doctor": "setup:doctor",
}  # fmt: skip


class SptGroup(click.Group):
    """spt's own commands, and those other packages contribute, loaded when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *command_entry_points()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command: click.Command
        if cmd_name in COMMANDS:
            module, name = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(f"{__name__}.{module}"), name)
            return command
        entry = command_entry_points().get(cmd_name)
        if entry is None:
            return None
        command = entry.load()
        return command


@click.group(
    cls=SptGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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
@click.option("-v", "--verbose", is_flag=True,
              help="Log at logging.level in every command (by default only `run` and `demo` "
                   "log below warnings).")  # fmt: skip
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
    verbose: bool,
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
    ctx.obj = CliState(config, list(pairs), flags, verbose)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="spt")
