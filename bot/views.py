"""Buttons: the persistent alert buttons, page flipping, and confirmations.

The alert buttons are DynamicItems: their custom_id (`spt:alert:{action}:{alert_id}`,
written by core/alerts/card.py when the alert is posted) carries everything needed, so
they work on any message, after any restart, without storing view state.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot import embeds
from bot.checks import require_manager
from bot.errors import report_error, send_ephemeral
from core.alerts.card import ALERT_ACTION_PREFIX, DIGEST_DISMISS_ID, alert_custom_id, safe_url

if TYPE_CHECKING:
    from bot.client import SptBot

log = logging.getLogger(__name__)
_LABELS = {
    "dismiss": ("Dismiss", discord.ButtonStyle.secondary),
    "mute": ("Mute watch 24h", discord.ButtonStyle.secondary),
    "notdeal": ("Not a deal", discord.ButtonStyle.danger),
}


def _bot(interaction: discord.Interaction) -> SptBot:
    return interaction.client  # type: ignore[return-value]


def link_view(url: str | None) -> discord.ui.View | None:
    """A view with only the "View on eBay" link (what a handled alert keeps)."""
    safe = safe_url(url)
    if safe is None:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="View on eBay", url=safe))
    return view


class AlertButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(rf"{re.escape(ALERT_ACTION_PREFIX)}:(?P<action>dismiss|mute|notdeal):"
                        r"(?P<alert_id>[0-9]{1,19})"),
):  # fmt: skip
    """Dismiss, Mute watch 24h, or Not a deal, on one alert message."""

    def __init__(self, action: str, alert_id: int) -> None:
        label, style = _LABELS[action]
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=alert_custom_id(action, alert_id))
        )
        self.action = action
        self.alert_id = alert_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AlertButton:
        return cls(match["action"], int(match["alert_id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        # DynamicItem errors would only be logged by discord.py: answer them here instead.
        try:
            await self._act(interaction)
        except Exception as exc:
            await report_error(interaction, exc)

    async def _act(self, interaction: discord.Interaction[Any]) -> None:
        actions = _bot(interaction).services.actions
        guild_id, user = interaction.guild_id, interaction.user
        if guild_id is None:
            await send_ephemeral(interaction, content="Alert buttons work inside a server.")
            return
        if self.action == "notdeal":
            info = await actions.not_a_deal(guild_id, self.alert_id, user.id)
            await send_ephemeral(interaction, embed=embeds.feedback_noted(info))
            return
        await require_manager(interaction)
        if self.action == "dismiss":
            info = await actions.dismiss(guild_id, self.alert_id, user.id)
            await interaction.response.edit_message(
                embed=embeds.dismissed(info, user), view=link_view(info.url)
            )
            return
        info, held = await actions.mute_watch(guild_id, self.alert_id)
        await send_ephemeral(interaction, embed=embeds.watch_muted(info, held))


class DigestDismiss(discord.ui.DynamicItem[discord.ui.Button[Any]], template=DIGEST_DISMISS_ID):
    """ "Dismiss all" under a digest: dismisses every alert the message lists."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Dismiss all", style=discord.ButtonStyle.secondary,
                custom_id=DIGEST_DISMISS_ID,
            )
        )  # fmt: skip

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DigestDismiss:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await require_manager(interaction)
            assert interaction.guild_id is not None
            assert interaction.message is not None
            actions = _bot(interaction).services.actions
            count = await actions.dismiss_message(
                interaction.guild_id, interaction.message.id, interaction.user.id
            )
            original = interaction.message.embeds[0] if interaction.message.embeds else None
            await interaction.response.edit_message(
                embed=embeds.digest_dismissed(original, count, interaction.user), view=None
            )
        except Exception as exc:
            await report_error(interaction, exc)


class OwnedView(discord.ui.View):
    """A view only the member who ran the command may use."""

    def __init__(self, owner_id: int, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.InteractionMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.owner_id:
            await send_ephemeral(interaction, content="Only the member who ran the command can.")
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_error(interaction, error)


class Paginator(OwnedView):
    """Flip through embeds with ◀ and ▶; the page counter sits between them."""

    def __init__(self, pages: list[discord.Embed], owner_id: int, timeout: float = 600) -> None:
        super().__init__(owner_id, timeout)
        self.pages = pages
        self.index = 0
        self._sync()

    def _sync(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1
        self.counter.label = f"{self.index + 1} / {len(self.pages)}"

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        self.index = max(self.index - 1, 0)
        self._sync()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    @discord.ui.button(label="1 / 1", style=discord.ButtonStyle.secondary, disabled=True)
    async def counter(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.defer()

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        self.index = min(self.index + 1, len(self.pages) - 1)
        self._sync()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    async def on_timeout(self) -> None:
        if self.message is not None:
            try:
                await self.message.edit(view=None)
            except discord.HTTPException:
                log.debug("could not remove the page buttons after the timeout")


async def send_pages(interaction: discord.Interaction[Any], pages: list[discord.Embed]) -> None:
    """Answer with the first page, and page buttons when there is more than one."""
    if len(pages) == 1:
        await answer(interaction, embed=pages[0])
        return
    view = Paginator(pages, interaction.user.id)
    await answer(interaction, embed=pages[0], view=view)
    view.message = await interaction.original_response()


async def answer(interaction: discord.Interaction[Any], **kwargs: Any) -> None:
    """The command's one answer: replaces the "thinking…" state of a deferred command."""
    if interaction.response.is_done():
        await interaction.edit_original_response(**kwargs)
    else:
        await interaction.response.send_message(ephemeral=True, **kwargs)


class Confirm(OwnedView):
    """Yes or no, for what cannot be undone; `value` is None after the timeout."""

    def __init__(self, owner_id: int, confirm_label: str, timeout: float = 60) -> None:
        super().__init__(owner_id, timeout)
        self.value: bool | None = None
        self.answer: discord.Interaction[Any] | None = None
        self.confirm.label = confirm_label

    @discord.ui.button(label="Delete", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        self.value, self.answer = True, interaction
        self.stop()

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        self.value, self.answer = False, interaction
        self.stop()
