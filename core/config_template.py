"""A commented config.toml written from the settings model itself (`spt init`): every key
with its description, defaults commented out, the values chosen set. Secrets never go in
it: they go in the secrets file (`spt.env`, core/settings.py), one `NAME=value` a line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from core.settings import CONVENTIONAL_ENV, ENV_PREFIX, Settings, is_reloadable, is_secret

Key = tuple[str, ...]
HEADER = """\
# spt configuration, written by `spt init`. Every key is listed with what it does; the
# commented ones hold their defaults. Keys marked [reload] take effect while spt runs.
#
# Precedence, highest first: CLI flags > environment (SPT_SECTION__KEY and DISCORD_TOKEN,
# EBAY_CLIENT_ID, ...) > the secrets file (spt.env beside this file, or $SPT_ENV_FILE) >
# this file > defaults. Secrets (tokens, keys, URLs with passwords) live in spt.env, never
# here. `spt config show` prints every effective value and where it came from; `spt
# doctor` checks each part for real.
"""


def toml_value(value: Any) -> str:
    """One TOML value for the settings' value types (scalars, lists, paths, enums)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def secret_name(key: Key) -> str:
    """The variable a secret key is set with: DISCORD_TOKEN, else SPT_SECTION__KEY."""
    for name, target in CONVENTIONAL_ENV.items():
        if target == key:
            return name
    return ENV_PREFIX + "__".join(part.upper() for part in key)


def render_config(chosen: Mapping[Key, Any]) -> str:
    """config.toml with `chosen` values set and every other key commented at its default."""
    lines = [HEADER]
    defaults = Settings()
    for name, info in Settings.model_fields.items():
        _section(lines, (name,), info, getattr(defaults, name), chosen)
    return "\n".join(lines).rstrip() + "\n"


def _section(
    lines: list[str], key: Key, info: FieldInfo, value: BaseModel, chosen: Mapping[Key, Any]
) -> None:
    lines.append(f"[{'.'.join(key)}]")
    nested = []
    for name, field in type(value).model_fields.items():
        current = getattr(value, name)
        if isinstance(current, BaseModel):
            nested.append((name, field, current))
            continue
        path = (*key, name)
        lines.append(_comment(field, path))
        if is_secret(field):
            lines.append(f"# {name}: a secret; set {secret_name(path)} in spt.env")
        elif path in chosen:
            lines.append(f"{name} = {toml_value(chosen[path])}")
        elif current is None:
            lines.append(f"# {name} =")
        else:
            lines.append(f"# {name} = {toml_value(current)}")
    lines.append("")
    for name, field, current in nested:
        _section(lines, (*key, name), field, current, chosen)


def _comment(field: FieldInfo, path: Key) -> str:
    reload = "[reload] " if is_reloadable(path) else ""
    description = field.description or ""
    return f"# {reload}{description[:1].upper()}{description[1:]}."
