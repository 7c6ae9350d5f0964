"""What every `spt` command shares: the global flags turned into settings, one policy
that turns expected failures into one clear line and an exit status, and the services."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import asyncpg
import click

from app.errors import IntegrationError, SidecarError
from app.services import Services, open_services
from core.config_reload import SettingsHolder
from core.marketplace.quota import QuotaExhaustedError
from core.observability.logging import secret_values, set_secrets, setup_logging
from core.resilience import ServiceError
from core.settings import ConfigError, LoadedSettings, cli_layer, load_settings
from core.storage import EmbeddedPostgresError, MigrationError
from core.watches import InvalidWatchError, WatchError

T = TypeVar("T")

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
            fail_config(exc)
        setup_logging(loaded.settings.logging)
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


# How the CLI's users know each watch setting: by its flag.
WATCH_FLAGS = {"component_type": "--type", "conditions": "--condition",
               "buying_options": "--buying-option", "category_ids": "--category",
               "filters": "--filter", "channel_id": "--channel",
               "cold_start_opt_in": "--cold-start", "realert_step_pct": "--realert-step",
               "poll_interval_seconds": "--poll-interval"}  # fmt: skip


def flag(field: str) -> str:
    """The CLI flag that sets a watch field."""
    return WATCH_FLAGS.get(field, "--" + field.replace("_", "-"))


def run_command(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine, turning expected failures into one clear line."""
    try:
        return asyncio.run(coro)
    except InvalidWatchError as exc:
        names = {field: flag(field) for field, _ in exc.details if field}
        for problem in exc.lines(names):
            click.echo(f"error: {problem}", err=True)
        sys.exit(EXIT_CONFIG)
    except (WatchError, QuotaExhaustedError, ServiceError, SidecarError) as exc:
        fail(str(exc))
    except IntegrationError as exc:
        click.echo(f"{exc.service} error: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except (MigrationError, EmbeddedPostgresError) as exc:
        click.echo(f"database error: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        click.echo(f"database error: cannot use the database: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except KeyboardInterrupt:
        sys.exit(130)


def with_services(state: CliState, action: Callable[[Services], Awaitable[T]]) -> T:
    """Open the services, run `action` on them, close them."""
    holder = state.holder()

    async def go() -> T:
        async with open_services(holder) as services:
            return await action(services)

    return run_command(go())


pass_state = click.make_pass_decorator(CliState)
json_flag = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
