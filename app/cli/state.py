"""The global flags, turned into settings on first use (light: `spt --version` and
`spt --help` import no more than this and the command modules they show)."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from core.config_reload import SettingsHolder
from core.observability.logging import secret_values, set_secrets, setup_logging
from core.settings import ConfigError, LoadedSettings, cli_layer, load_settings

EXIT_CONFIG = 2  # bad settings or bad input, like click's usage errors
EXIT_FAILURE = 1


@dataclass
class CliState:
    """Global flags, turned into settings on first use."""

    config: Path | None
    pairs: list[str]
    flags: dict[tuple[str, ...], tuple[str, Any]]
    verbose: bool = False

    def load(self) -> LoadedSettings:
        """Settings from every layer; exits with status 2 and one line per bad key."""
        return load_settings(self.config, cli_layer(self.flags, self.pairs))

    def holder(self, *, serving: bool = False) -> SettingsHolder:
        """Settings for a command that uses them, with logging set up to match.

        Commands that run spt (`serving`) log at `logging.level`; the others say only
        warnings and errors (not the database's start-up lines) unless `-v` is given or
        the level was asked for this run (`--log-level`, SPT_LOGGING__LEVEL); a level in
        config.toml is the service's.
        """
        try:
            loaded = self.load()
        except ConfigError as exc:
            fail_config(exc)
        setup_logging(loaded.settings.logging)
        chosen = loaded.source_of(("logging", "level")).startswith(("flag", "env", "--set"))
        if not serving and not self.verbose and not chosen:
            logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
        set_secrets(secret_values(loaded.settings))
        return SettingsHolder(loaded, self.load)


def fail_config(exc: ConfigError) -> NoReturn:
    """One line per bad key, then exit 2."""
    for line in exc.lines:
        click.echo(f"config error: {line}", err=True)
    sys.exit(EXIT_CONFIG)


def fail(message: str, status: int = EXIT_FAILURE) -> NoReturn:
    """`error: message` on stderr, then exit with `status`."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)
