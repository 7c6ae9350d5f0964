"""Permission checks, done in code (not only through Discord's default permissions)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from bot.errors import NotManagerError

if TYPE_CHECKING:
    from bot.client import SptBot

T = TypeVar("T")
REFUSAL = (
    "Managing spt here needs the **Manage Server** permission or one of this server's "
    "spt manager roles (`/config show` lists them; `/config manager-role add` adds one)."
)


def has_manage_server(interaction: discord.Interaction) -> bool:
    """Manage Server or Administrator in this guild."""
    permissions = interaction.permissions
    return bool(permissions.manage_guild or permissions.administrator)


def can_manage(interaction: discord.Interaction, manager_roles: Iterable[int]) -> bool:
    """Whether the member may manage spt: Manage Server, Administrator or a manager role."""
    if has_manage_server(interaction):
        return True
    member = interaction.user
    roles = {role.id for role in getattr(member, "roles", [])}
    return bool(roles & set(manager_roles))


async def manager_roles(interaction: discord.Interaction) -> set[int]:
    """The roles that manage spt in the interaction's guild: the guild's own (`/config`) and
    the operator's override (`discord.manager_role_ids`, for every guild)."""
    bot: SptBot = interaction.client  # type: ignore[assignment]
    roles = set(bot.holder.current.discord.manager_role_ids)
    if interaction.guild_id is not None:
        roles |= await bot.services.guild_settings.manager_roles(interaction.guild_id)
    return roles


async def require_manager(interaction: discord.Interaction) -> None:
    """Raise NotManagerError unless the member may manage spt in this guild."""
    if has_manage_server(interaction):
        return  # no need to read the guild's roles
    if not can_manage(interaction, await manager_roles(interaction)):
        raise NotManagerError(REFUSAL)


def manager_only() -> Callable[[T], T]:
    """App-command check: only managers (see `can_manage`)."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        await require_manager(interaction)
        return True

    return app_commands.check(predicate)
