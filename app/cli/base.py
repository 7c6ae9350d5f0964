"""What every `spt` command shares: the global flags turned into settings, one policy
that turns expected failures into one clear line and an exit status, and the services."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import asyncpg
import click

from app.cli.state import EXIT_CONFIG, EXIT_FAILURE, CliState, fail, fail_config
from app.errors import IntegrationError, SidecarError
from app.services import Services, open_services
from core.marketplace.quota import QuotaExhaustedError
from core.resilience import ServiceError
from core.storage import EmbeddedPostgresError, MigrationError
from core.watches import InvalidWatchError, WatchError

T = TypeVar("T")


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


__all__ = ["EXIT_CONFIG", "EXIT_FAILURE", "CliState", "fail", "fail_config", "json_flag",
           "pass_state", "run_command", "with_services"]  # fmt: skip
pass_state = click.make_pass_decorator(CliState)
json_flag = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
