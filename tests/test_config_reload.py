"""Hot reload of config.toml: reloadable keys apply, broken edits are rejected, restarts named."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from core.config_reload import SettingsHolder, watch_config
from core.settings import Settings, load_settings

BASE = '[logging]\nlevel = "INFO"\n[sidecar]\nport = 9400\n[scoring]\ndefault_threshold = 80\n'


def make_holder(path: Path) -> SettingsHolder:
    return SettingsHolder(load_settings(path, None, {}), lambda: load_settings(path, None, {}))


def save_atomically(path: Path, text: str) -> None:
    """What editors do: write a temporary file, then rename it over the original."""
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "spt.toml"
    path.write_text(BASE, encoding="utf-8")
    return path


def test_reloadable_keys_apply_and_listeners_hear(config: Path) -> None:
    holder = make_holder(config)
    heard: list[tuple[Settings, Settings]] = []
    holder.subscribe(lambda old, new: heard.append((old, new)))
    config.write_text(BASE.replace('"INFO"', '"DEBUG"').replace("= 80", "= 70"), encoding="utf-8")
    outcome = holder.reload()
    assert set(outcome.applied) == {"logging.level", "scoring.default_threshold"}
    assert outcome.needs_restart == ()
    assert holder.current.logging.level == "DEBUG"
    assert holder.current.scoring.default_threshold == 70
    assert len(heard) == 1
    assert heard[0][0].logging.level == "INFO"


def test_restart_only_key_is_named_and_kept(config: Path, caplog: pytest.LogCaptureFixture) -> None:
    holder = make_holder(config)
    config.write_text(BASE.replace("9400", "9500").replace('"INFO"', '"ERROR"'), encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="core.config_reload"):
        outcome = holder.reload()
    assert outcome.needs_restart == ("sidecar.port",)
    assert outcome.applied == ("logging.level",)
    assert holder.current.sidecar.port == 9400
    assert holder.current.logging.level == "ERROR"
    assert any(
        "needs a restart" in r.getMessage() and "sidecar.port" in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.parametrize(
    "broken",
    ["[logging\nlevel = 'DEBUG'\n", '[logging]\nlevel = "chatty"\n', "[sidecar]\nport = -1\n"],
)
def test_broken_edit_is_rejected_and_running_settings_stay(
    config: Path, caplog: pytest.LogCaptureFixture, broken: str
) -> None:
    holder = make_holder(config)
    before = holder.current
    config.write_text(broken, encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="core.config_reload"):
        outcome = holder.reload()
    assert outcome.error
    assert holder.current is before
    assert any("config reload rejected" in r.getMessage() for r in caplog.records)


def test_secret_change_is_never_logged(config: Path, caplog: pytest.LogCaptureFixture) -> None:
    holder = make_holder(config)
    config.write_text(BASE + '[discord]\ntoken = "new-secret-token-xyz"\n', encoding="utf-8")
    with caplog.at_level(logging.DEBUG):
        outcome = holder.reload()
    assert outcome.needs_restart == ("discord.token",)
    assert holder.current.discord.token is None
    assert "new-secret-token-xyz" not in caplog.text


async def _wait_for(predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not predicate():  # noqa: ASYNC110 - polls logs and state, which have no event
            await asyncio.sleep(0.05)


async def test_watcher_follows_atomic_saves_and_survives_a_broken_one(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    holder = make_holder(config)
    stop = asyncio.Event()
    caplog.set_level(logging.INFO, logger="core.config_reload")
    task = asyncio.create_task(watch_config(holder, config, stop))
    # An unrelated file in the same directory changes nothing.
    (config.parent / "other.toml").write_text("[x]\n", encoding="utf-8")

    def level() -> str:
        return holder.current.logging.level

    # The watcher arms itself in the background: save until the first change is seen.
    for _attempt in range(50):
        save_atomically(config, BASE.replace('"INFO"', '"DEBUG"'))
        await asyncio.sleep(0.2)
        if level() == "DEBUG":
            break
    assert level() == "DEBUG"

    save_atomically(config, "this is [ not toml")
    await _wait_for(lambda: "config reload rejected" in caplog.text)
    assert level() == "DEBUG"

    save_atomically(config, BASE.replace('"INFO"', '"WARNING"'))
    await _wait_for(lambda: level() == "WARNING")
    stop.set()
    await asyncio.wait_for(task, 5)
