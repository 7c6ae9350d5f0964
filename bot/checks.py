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
    "Managing watches needs the **Manage Server** permission or one of this server's "
    "spt manager roles (`discord.manager_role_ids`)."
)


def can_manage(interaction: discord.Interaction, manager_roles: Iterable[int]) -> bool:
    """Whether the member may manage watches: Manage Server, Administrator or a manager role."""
    permissions = interaction.permissions
    if permissions.manage_guild or permissions.administrator:
        return True
    member = interaction.user
    roles = {role.id for role in getattr(member, "roles", [])}
    return bool(roles & set(manager_roles))


def require_manager(interaction: discord.Interaction) -> None:
    """Raise NotManagerError unless the member may manage watches."""
    bot: SptBot = interaction.client  # type: ignore[assignment]
    if not can_manage(interaction, bot.holder.current.discord.manager_role_ids):
        raise NotManagerError(REFUSAL)


def manager_only() -> Callable[[T], T]:
    """App-command check: only managers (see `can_manage`)."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        require_manager(interaction)
        return True

    return app_commands.check(predicate)
