"""`spt config`: the effective settings and where each came from, and a check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel, SecretStr

from app.cli.base import CliState, fail_config, pass_state
from core.settings import ConfigError


@click.group()
def config() -> None:
    """Inspect and check settings."""


def _flatten(model: BaseModel, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    items: list[tuple[tuple[str, ...], Any]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = (*prefix, name)
        if isinstance(value, BaseModel):
            items.extend(_flatten(value, path))
        else:
            items.append((path, value))
    return items


def _display(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "********" if value.get_secret_value() else None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return [_display(v) for v in value]
    return getattr(value, "value", value)


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: key -> value and source.")
@pass_state
def config_show(state: CliState, as_json: bool) -> None:
    """Effective settings, secrets masked, with where each value came from."""
    try:
        loaded = state.load()
    except ConfigError as exc:
        fail_config(exc)
    rows = [
        (".".join(path), _display(value), loaded.source_of(path))
        for path, value in _flatten(loaded.settings)
    ]
    if as_json:
        click.echo(json.dumps({k: {"value": v, "source": s} for k, v, s in rows}, indent=2))
        return
    click.echo(f"# config file: {loaded.config_path or 'none'}")
    width = max(len(k) for k, _, _ in rows)
    for key, value, source in rows:
        click.echo(f"{key.ljust(width)} = {json.dumps(value)}  # {source}")


@config.command("check")
@pass_state
def config_check(state: CliState) -> None:
    """Validate settings; exit 2 with one line per bad key."""
    try:
        loaded = state.load()
    except ConfigError as exc:
        fail_config(exc)
    click.echo(f"config OK ({loaded.config_path or 'no config file'})")
