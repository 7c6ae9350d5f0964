"""Hot reload: watch config.toml, apply reloadable keys, reject broken edits, name the rest."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from watchfiles import Change, awatch

from core.observability.logging import secret_values, set_secrets
from core.settings import ConfigError, LoadedSettings, Settings, is_reloadable

log = logging.getLogger(__name__)

Listener = Callable[[Settings, Settings], None]


@dataclass(frozen=True)
class ReloadOutcome:
    """What a reload did: keys applied, keys waiting for a restart, or the error that stopped it."""

    applied: tuple[str, ...] = ()
    needs_restart: tuple[str, ...] = ()
    error: str | None = None


class SettingsHolder:
    """The running settings. Readers use `holder.current` each time instead of keeping a copy."""

    def __init__(self, loaded: LoadedSettings, loader: Callable[[], LoadedSettings]) -> None:
        self._loaded = loaded
        self._loader = loader
        self._listeners: list[Listener] = []

    def pin(self, overrides: dict[str, Any]) -> None:
        """Hold these values (nested by section) above every layer, through reloads too.

        Used where the process itself decides a setting, e.g. `spt demo` pointing the eBay
        client at the sandbox marketplace it started.
        """
        loader = self._loader

        def pinned() -> LoadedSettings:
            fresh = loader()
            data = _merge_dicts(fresh.settings.model_dump(), overrides)
            return LoadedSettings(Settings.model_validate(data), fresh.layers, fresh.config_path)

        self._loader = pinned
        self._loaded = pinned()

    @property
    def current(self) -> Settings:
        """The settings in force now."""
        return self._loaded.settings

    @property
    def loaded(self) -> LoadedSettings:
        """The settings in force now, with where each value came from."""
        return self._loaded

    def subscribe(self, listener: Listener) -> None:
        """Call `listener(old, new)` after every reload that applied something."""
        self._listeners.append(listener)

    def reload(self) -> ReloadOutcome:
        """Re-read every layer; apply the reloadable changes, keep the rest, never raise."""
        try:
            fresh = self._loader()
        except ConfigError as exc:
            log.error(
                "config reload rejected, keeping the running settings: %s", "; ".join(exc.lines)
            )
            return ReloadOutcome(error="; ".join(exc.lines))
        old = self.current
        # Secrets in the edited file must be redacted even before (or without) being applied.
        set_secrets([*secret_values(old), *secret_values(fresh.settings)])
        changed = diff(old, fresh.settings)
        applied = tuple(k for k in changed if is_reloadable(_path(k)))
        restart = tuple(k for k in changed if k not in applied)
        if restart:
            log.warning(
                "config change needs a restart to take effect: %s (running values kept)",
                ", ".join(restart),
            )
        if not applied:
            return ReloadOutcome(needs_restart=restart)
        data = old.model_dump()
        new_data = fresh.settings.model_dump()
        for key in applied:
            _set(data, _path(key), _get(new_data, _path(key)))
        try:
            merged = Settings.model_validate(data)
        except ValueError as exc:
            log.error("config reload rejected, keeping the running settings: %s", exc)
            return ReloadOutcome(error=str(exc))
        self._loaded = LoadedSettings(merged, fresh.layers, fresh.config_path)
        log.info("config reloaded: %s", ", ".join(_describe(old, merged, k) for k in applied))
        for listener in self._listeners:
            try:
                listener(old, merged)
            except Exception:
                log.exception("config reload listener failed")
        return ReloadOutcome(applied=applied, needs_restart=restart)


def diff(old: Settings, new: Settings) -> list[str]:
    """Dotted keys whose values differ between two settings objects."""
    changed: list[str] = []

    def walk(a: BaseModel, b: BaseModel, prefix: str) -> None:
        for name in type(a).model_fields:
            left, right = getattr(a, name), getattr(b, name)
            key = f"{prefix}{name}"
            if isinstance(left, BaseModel) and isinstance(right, BaseModel):
                walk(left, right, key + ".")
            elif _plain(left) != _plain(right):
                changed.append(key)

    walk(old, new, "")
    return changed


def _merge_dicts(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_dicts(merged[key], value)
        else:
            merged[key] = value
    return merged


def _plain(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _describe(old: Settings, new: Settings, key: str) -> str:
    before, after = _get(old.model_dump(), _path(key)), _get(new.model_dump(), _path(key))
    if isinstance(before, SecretStr) or isinstance(after, SecretStr):
        return f"{key} (secret changed)"
    return f"{key} {before!r} -> {after!r}"


def _path(key: str) -> tuple[str, ...]:
    return tuple(key.split("."))


def _get(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for part in path:
        node = node[part]
    return node


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _absolute(path: Path) -> str:
    return os.path.abspath(path)


async def watch_config(holder: SettingsHolder, path: Path, stop: asyncio.Event) -> None:
    """Reload whenever `path` changes, until `stop` is set.

    Watches the directory, not the file: editors save by writing a temporary file and
    renaming it over the original, which replaces the inode a file watch would follow.
    """
    target = _absolute(path)

    def relevant(change: Change, changed_path: str) -> bool:
        return os.path.abspath(changed_path) == target

    log.info("watching %s for config changes", target)
    async for _changes in awatch(os.path.dirname(target), watch_filter=relevant, stop_event=stop):
        holder.reload()
