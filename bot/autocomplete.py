"""Autocomplete for command options: watches (the caller's guild only), product keys,
component types, marketplaces, currencies, conditions, watch filters and time zones.

Discord gives autocomplete 3 seconds and shows at most 25 choices; a failing lookup
answers no choices rather than an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from core.attributes import attributes_for
from core.guild_settings import zone_names
from core.models import ComponentType, Condition, Marketplace
from core.watches import Watch

if TYPE_CHECKING:
    from bot.client import SptBot

log = logging.getLogger(__name__)
MAX_CHOICES = 25
Choice = app_commands.Choice[str]
TYPE_NOTES = {
    ComponentType.RAM: "memory modules and kits",
    ComponentType.DRIVE: "SSDs and hard drives",
    ComponentType.SERVER: "rack and tower servers",
    ComponentType.CPU: "processors",
    ComponentType.NIC: "network cards",
    ComponentType.GPU: "graphics and compute cards",
    ComponentType.WORKSTATION: "workstations",
    ComponentType.DESKTOP: "desktops and mini PCs",
    ComponentType.OTHER: "parts and accessories",
}
MARKET_NAMES = {
    Marketplace.EBAY_US: "United States",
    Marketplace.EBAY_GB: "United Kingdom",
    Marketplace.EBAY_DE: "Germany",
    Marketplace.EBAY_AU: "Australia",
}
Completer = Callable[[discord.Interaction[Any], str], Coroutine[Any, Any, list[Choice]]]


def _bot(interaction: discord.Interaction[Any]) -> SptBot:
    return interaction.client  # type: ignore[no-any-return]


def _safe(func: Completer) -> Completer:
    async def wrapper(interaction: discord.Interaction[Any], current: str) -> list[Choice]:
        try:
            return (await func(interaction, current))[:MAX_CHOICES]
        except Exception:
            log.exception("autocomplete %s failed", func.__name__)
            return []

    wrapper.__name__ = func.__name__
    return wrapper


def _choice(name: str, value: str) -> Choice:
    return app_commands.Choice(name=name[:100], value=value[:100])


@_safe
async def watches(interaction: discord.Interaction[Any], current: str) -> list[Choice]:
    """The caller's guild's watches whose names contain what was typed."""
    if interaction.guild_id is None:
        return []
    found = await _bot(interaction).services.watches.names(interaction.guild_id, current)
    return [
        _choice(f"{name} (#{watch_id}{'' if enabled else ', paused'})", str(watch_id))
        for watch_id, name, enabled in found
    ]


@_safe
async def product_keys(interaction: discord.Interaction[Any], current: str) -> list[Choice]:
    """Product keys with a baseline, most prices first."""
    found = await _bot(interaction).services.browser.product_keys(current, MAX_CHOICES)
    return [_choice(f"{key} ({samples} prices)", key) for key, samples in found]


@_safe
async def component_types(interaction: discord.Interaction[Any], current: str) -> list[Choice]:
    """Component types, with what each covers."""
    text = current.strip().lower()
    return [
        _choice(f"{kind.value} ({TYPE_NOTES[kind]})", kind.value)
        for kind in ComponentType
        if text in kind.value or text in TYPE_NOTES[kind]
    ]


@_safe
async def marketplaces(interaction: discord.Interaction[Any], current: str) -> list[Choice]:
    """eBay marketplaces with country and currency."""
    text = current.strip().lower()
    return [
        _choice(f"{m.value} ({MARKET_NAMES[m]}, {m.currency})", m.value)
        for m in Marketplace
        if text in m.value.lower() or text in MARKET_NAMES[m].lower() or text in m.currency.lower()
    ]


@_safe
async def time_zones(interaction: discord.Interaction[Any], current: str) -> list[Choice]:
    """IANA time zone names containing what was typed (`berlin` offers Europe/Berlin)."""
    return [_choice(name, name) for name in zone_names(current or "", MAX_CHOICES)]


@_safe
async def currencies(interaction: discord.Interaction[Any], current: str) -> list[Choice]:
    """The currencies of the marketplaces."""
    text = current.strip().upper()
    return [
        _choice(f"{m.currency} ({MARKET_NAMES[m]})", m.currency)
        for m in Marketplace
        if text in m.currency
    ]


@_safe
async def conditions(interaction: discord.Interaction[Any], current: str) -> list[Choice]:
    """Conditions as a comma-separated list: completes the last item typed."""
    parts = [p.strip() for p in current.split(",")]
    done, last = [p for p in parts[:-1] if p], parts[-1].lower()
    prefix = ", ".join(done)
    result = []
    for condition in Condition:
        if condition.value in done or last not in condition.value:
            continue
        value = f"{prefix}, {condition.value}" if prefix else condition.value
        result.append(_choice(value, value))
    return result


def _set_filters(watch: Watch, current: str) -> list[Choice]:
    return [_choice(f.describe(), f.describe()) for f in watch.filters
            if current.lower() in f.describe().lower()]  # fmt: skip


async def _chosen_watch(interaction: discord.Interaction[Any]) -> Watch | None:
    """The watch the command's `watch` option names so far, in the caller's guild."""
    ref = getattr(interaction.namespace, "watch", None)
    if interaction.guild_id is None or not ref:
        return None
    return await _bot(interaction).services.watches.get(interaction.guild_id, str(ref))


@_safe
async def set_filters(interaction: discord.Interaction[Any], current: str) -> list[Choice]:
    """The chosen watch's current filters (to remove one)."""
    watch = await _chosen_watch(interaction)
    return [] if watch is None else _set_filters(watch, current)


@_safe
async def filters(interaction: discord.Interaction[Any], current: str) -> list[Choice]:
    """Filter examples for the chosen watch's type, or its current filters when removing."""
    watch = await _chosen_watch(interaction)
    if watch is None:
        return []
    if getattr(interaction.namespace, "action", None) == "remove":
        return _set_filters(watch, current)
    text = current.strip().lower()
    examples = []
    for name, spec in attributes_for(watch.component_type).items():
        if spec.values:
            example = f"{name} in {','.join(spec.values[:3])}"
        elif spec.numeric:
            example = f"{name}>=1"
        elif spec.kind.value == "boolean":
            example = f"{name}=true"
        else:
            example = f"{name}="
        if text in name:
            examples.append(_choice(example, example))
    typed = current.strip()
    if any(op in typed for op in ("=", ">", "<", " in ")):
        examples.insert(0, _choice(typed, typed))  # what was typed, as typed
    return examples
