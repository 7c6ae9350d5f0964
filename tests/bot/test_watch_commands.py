"""`/watch` through discord.py against the fake Discord: answers, permissions, isolation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.alerts.test_feedback import KEY_16, RAM_16, Seed
from tests.bot.harness import (
    DEALS,
    GUILD,
    OTHER_DEALS,
    OTHER_GUILD,
    READ_ONLY,
    Harness,
    custom_ids,
)
from tests.fakes.discord_api import ChannelArg, OptionValue, Overwrite, Permission

RAM: dict[str, Any] = {"name": "DDR4 RDIMM", "query": "32GB DDR4 ECC RDIMM", "type": "ram"}


async def watches(h: Harness, guild: int = GUILD) -> list[dict[str, Any]]:
    rows = await h.pool.fetch("SELECT * FROM watches WHERE guild_id = $1 ORDER BY id", guild)
    return [dict(r) for r in rows]


async def test_add_stores_the_watch_in_the_guild_and_answers_ephemerally(h: Harness) -> None:
    options = {
        **RAM,
        "max_price": "60",
        "conditions": "new, used_working",
        "threshold": 85,
        "filters": "capacity_gb>=32; generation=ddr4",
        "cold_start_alerts": True,
    }
    answer = await h.run("watch add", options)
    assert answer.ephemeral
    assert answer.embed["title"] == "Watch added: DDR4 RDIMM"
    text = answer.text()
    assert "`capacity_gb>=32`" in text
    assert "`generation=DDR4`" in text
    assert f"<#{DEALS}>" in text  # the channel it was added in
    # a per-module capacity filter: the answer suggests the kit-aware one, changing nothing
    assert "filter on total_capacity_gb instead, e.g. total_capacity_gb>=32" in text
    (row,) = await watches(h)
    assert row["owner_id"] == h.fake.user.id
    assert row["channel_id"] == DEALS
    assert row["threshold"] == 85
    assert str(row["max_price"]) == "60.00"
    assert row["conditions"] == ["new", "used_working"]
    assert row["cold_start_opt_in"]
    assert await watches(h, OTHER_GUILD) == []


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"type": "dimm"}, "• type: unknown component type 'dimm'"),
        ({"max_price": "cheap"}, "max_price"),
        ({"max_price": "£60"}, "• max_price: prices on EBAY_US are in USD, not GBP"),
        ({"min_price": "90", "max_price": "60"}, "min_price (90) is above max_price (60)"),
        ({"conditions": "mint"}, "• conditions: unknown condition 'mint'"),
        ({"filters": "vram_gb>=24"}, "unknown attribute 'vram_gb' for type ram"),
        ({"marketplace": "EBAY_FR"}, "unknown marketplace 'EBAY_FR'"),
        ({"query": " "}, "query: must not be empty"),
    ],
)
async def test_bad_input_is_explained_ephemerally_and_writes_nothing(
    h: Harness, options: dict[str, Any], problem: str
) -> None:
    answer = await h.run("watch add", {**RAM, **options})
    assert answer.ephemeral
    assert "That watch cannot be saved" in answer.text()
    assert problem in answer.text()
    assert await watches(h) == []


async def test_a_duplicate_name_is_refused(h: Harness) -> None:
    await h.run("watch add", RAM)
    answer = await h.run("watch add", {**RAM, "name": "ddr4 rdimm"})
    assert "already exists" in answer.text()
    assert len(await watches(h)) == 1


async def test_managing_needs_manage_server_or_a_manager_role(h: Harness) -> None:
    refused = await h.run("watch add", RAM, who="member")
    assert refused.ephemeral
    assert "Manage Server" in refused.text()
    assert await watches(h) == []
    await h.run("watch add", RAM, who="manager")  # the role in discord.manager_role_ids
    assert len(await watches(h)) == 1
    attempts: list[tuple[str, dict[str, OptionValue]]] = [
        ("watch pause", {"watch": "DDR4 RDIMM"}),
        ("watch edit", {"watch": "DDR4 RDIMM", "threshold": 10}),
        ("watch remove", {"watch": "DDR4 RDIMM"}),
        ("watch filter", {"watch": "DDR4 RDIMM", "action": "clear"}),
    ]
    for command, options in attempts:
        answer = await h.run(command, options, who="member")
        assert "Manage Server" in answer.text(), command
    (row,) = await watches(h)
    assert row["enabled"]
    assert row["threshold"] == 80
    shown = await h.run("watch show", {"watch": "DDR4 RDIMM"}, who="member")  # reading is open
    assert shown.embed["title"] == "DDR4 RDIMM"


async def test_another_guild_can_neither_see_nor_change_a_watch(h: Harness) -> None:
    await h.run("watch add", RAM)
    (row,) = await watches(h)
    attempts: list[tuple[str, dict[str, OptionValue]]] = [
        ("watch show", {"watch": str(row["id"])}),
        ("watch show", {"watch": "DDR4 RDIMM"}),
        ("watch edit", {"watch": str(row["id"]), "threshold": 1}),
        ("watch pause", {"watch": str(row["id"])}),
        ("watch remove", {"watch": str(row["id"])}),
    ]
    for command, options in attempts:
        answer = await h.run(command, options, guild_id=OTHER_GUILD)
        assert answer.ephemeral
        assert "no watch" in answer.text(), command
    listed = await h.run("watch list", guild_id=OTHER_GUILD)
    assert "No watches yet" in listed.text()
    (after,) = await watches(h)
    assert (after["threshold"], after["enabled"]) == (80, True)


async def test_list_pages_with_buttons_only_the_caller_can_use(h: Harness) -> None:
    for n in range(12):
        await h.run("watch add", {**RAM, "name": f"watch {n:02d}"})
    record = await h.command("watch list")
    answer = await h.answer(record)
    assert answer.embed["title"] == "Watches (12)"
    assert answer.embed["description"].count("`#") == 10
    labels = [b["label"] for b in answer.buttons()]
    assert labels == ["◀", "1 / 2", "▶"]
    message = record.original
    assert message is not None
    previous, _, following = custom_ids(answer)
    flipped = await h.click(message.data, following)
    assert flipped.type == 7
    assert flipped.embeds[0]["description"].count("`#") == 2
    assert [b.get("disabled", False) for b in flipped.components[0]["components"]] == [
        False, True, True]  # fmt: skip
    stranger = await h.click(message.data, previous, who="stranger")
    assert stranger.ephemeral
    assert "Only the member who ran the command" in (stranger.content or "")


async def test_show_edit_pause_and_resume(h: Harness) -> None:
    await h.run("watch add", RAM)
    edited = await h.run("watch edit", {"watch": "ddr4 rdimm", "threshold": 90,
                                        "max_price": "75.5", "poll_every_minutes": 30})  # fmt: skip
    assert edited.embed["title"] == "Watch updated: DDR4 RDIMM"
    cleared = await h.run("watch edit", {"watch": "DDR4 RDIMM", "max_price": "none"})
    assert "Unit price: any" in cleared.text()
    nothing = await h.run("watch edit", {"watch": "DDR4 RDIMM"})
    assert "Nothing to change" in nothing.text()
    (row,) = await watches(h)
    assert (row["threshold"], row["max_price"], row["poll_interval_seconds"]) == (90, None, 1800)
    paused = await h.run("watch pause", {"watch": str(row["id"])})
    assert "paused" in paused.text()
    assert not (await watches(h))[0]["enabled"]
    resumed = await h.run("watch resume", {"watch": str(row["id"])})
    assert "🟢 active" in resumed.text()
    assert (await watches(h))[0]["enabled"]


async def test_edit_adds_and_removes_filters_and_keeps_the_others(h: Harness) -> None:
    await h.run("watch add", {**RAM, "filters": "generation=ddr4"})
    added = await h.run("watch edit", {"watch": "DDR4 RDIMM", "threshold": 85,
                                       "add_filter": "capacity_gb>=32"})  # fmt: skip
    assert "`generation=DDR4`" in added.text()
    assert "`capacity_gb>=32`" in added.text()
    (row,) = await watches(h)
    assert row["threshold"] == 85
    assert len(row["filters"]) == 2
    await h.run("watch edit", {"watch": "DDR4 RDIMM", "remove_filter": "generation=DDR4"})
    assert [f["attribute"] for f in (await watches(h))[0]["filters"]] == ["capacity_gb"]
    missing = await h.run("watch edit", {"watch": "DDR4 RDIMM", "remove_filter": "ecc=true"})
    assert "'ecc=true' is not set (set: capacity_gb>=32)" in missing.text()
    replaced = await h.run("watch edit", {"watch": "DDR4 RDIMM", "clear_filters": True,
                                          "add_filter": "registered=true"})  # fmt: skip
    assert "`registered=true`" in replaced.text()
    assert "capacity_gb" not in replaced.text()
    assert [f["attribute"] for f in (await watches(h))[0]["filters"]] == ["registered"]


async def test_edit_completes_the_watchs_own_filters_to_remove_and_examples_to_add(
    h: Harness,
) -> None:
    await h.run("watch add", {**RAM, "filters": "generation=ddr4; capacity_gb>=32"})
    removable = await h.complete("watch edit", {"watch": "DDR4 RDIMM", "remove_filter": "cap"},
                                 "remove_filter")  # fmt: skip
    assert [c["value"] for c in removable] == ["capacity_gb>=32"]
    addable = await h.complete("watch edit", {"watch": "DDR4 RDIMM", "add_filter": "spe"},
                               "add_filter")  # fmt: skip
    assert [c["value"] for c in addable] == ["speed_mhz>=1"]
    # Another server's watch of the same name completes nothing here.
    assert await h.complete("watch edit", {"watch": "DDR4 RDIMM", "remove_filter": ""},
                            "remove_filter", guild_id=OTHER_GUILD) == []  # fmt: skip


async def test_show_reports_precision_from_feedback_and_suggests_text_only(h: Harness) -> None:
    await h.run("watch add", RAM)
    first = await h.run("watch show", {"watch": "DDR4 RDIMM"}, who="member")
    fields = {f["name"]: f["value"] for f in first.embed["fields"]}
    assert fields["Precision from feedback"] == (
        "no feedback yet (no alerts delivered in the last 90 days)")  # fmt: skip
    assert "Suggestion" not in fields
    watch = await h.services.watches.get(GUILD, "DDR4 RDIMM")
    seed = Seed(h.pool, datetime.now(UTC))
    await seed.alerts(watch, kept=6, pressed=2)
    await seed.alert(watch, key=KEY_16, attributes=RAM_16, not_a_deal=True)
    # Another guild's presses never count here.
    theirs = await seed.watch(guild=OTHER_GUILD, name="DDR4 RDIMM")
    await seed.alerts(theirs, kept=0, pressed=5)

    shown = await h.run("watch show", {"watch": "DDR4 RDIMM"}, who="member")
    assert shown.ephemeral
    fields = {f["name"]: f["value"] for f in shown.embed["fields"]}
    assert fields["Precision from feedback"] == (
        "6 of 9 alerts kept (67%), 3 marked not a deal (last 90 days)\n"
        "Most marked: `ram:ddr4:ecc_reg:32gb:2666` (2), `ram:ddr4:ecc_reg:16gb:2666` (1)"
    )
    assert fields["Suggestion"] == (
        f"raise the threshold from 80 to 85 (`/watch edit watch:{watch.id} threshold:85`), "
        "because 3 of 9 alerts were marked not a deal in the last 30 days"
    )
    assert "Precision from feedback: 6 of 9 alerts kept (67%)" in shown.text()
    (row,) = await watches(h)
    assert row["threshold"] == 80  # a suggestion changes nothing by itself
    # Commands that answer with the watch's settings do not add feedback.
    paused = await h.run("watch pause", {"watch": "DDR4 RDIMM"})
    assert "Precision from feedback" not in paused.text()


async def test_remove_asks_first_and_deletes_only_on_confirmation(h: Harness) -> None:
    await h.run("watch add", RAM)
    record = await h.command("watch remove", {"watch": "DDR4 RDIMM"})
    asked = await h.answer(record)
    assert asked.ephemeral
    assert "cannot be undone" in asked.text()
    assert [b["label"] for b in asked.buttons()] == ["Delete", "Cancel"]
    assert record.original is not None
    delete, cancel = custom_ids(asked)
    not_yours = await h.click(record.original.data, delete, who="stranger")
    assert not_yours.ephemeral
    assert len(await watches(h)) == 1
    cancelled = await h.click(record.original.data, cancel)
    assert cancelled.type == 7
    assert "Nothing deleted" in cancelled.embeds[0]["description"]
    assert len(await watches(h)) == 1
    again = await h.command("watch remove", {"watch": "DDR4 RDIMM"})
    confirm = custom_ids(await h.answer(again))[0]
    assert again.original is not None
    done = await h.click(again.original.data, confirm)
    assert "Deleted watch **DDR4 RDIMM**" in done.embeds[0]["description"]
    assert done.components == []
    assert await watches(h) == []


async def test_filters_are_added_removed_and_cleared(h: Harness) -> None:
    await h.run("watch add", RAM)
    added = await h.run("watch filter", {"watch": "DDR4 RDIMM", "action": "add",
                                         "filter": "capacity_gb>=32"})  # fmt: skip
    assert "`capacity_gb>=32`" in added.text()
    await h.run("watch filter", {"watch": "DDR4 RDIMM", "action": "add", "filter": "ecc=yes"})
    removed = await h.run("watch filter", {"watch": "DDR4 RDIMM", "action": "remove",
                                           "filter": "1"})  # fmt: skip
    assert "capacity_gb" not in removed.text()
    assert "`ecc=true`" in removed.text()
    bad = await h.run("watch filter", {"watch": "DDR4 RDIMM", "action": "add",
                                       "filter": "speed_mhz>=fast"})  # fmt: skip
    assert "speed_mhz is a whole number, not 'fast'" in bad.text()
    missing = await h.run("watch filter", {"watch": "DDR4 RDIMM", "action": "add"})
    assert "Give the filter to add" in missing.text()
    cleared = await h.run("watch filter", {"watch": "DDR4 RDIMM", "action": "clear"})
    assert "Filters: none" in cleared.text()


async def test_a_channel_the_bot_cannot_post_in_is_named_when_saving(h: Harness) -> None:
    answer = await h.run("watch add", {**RAM, "channel": ChannelArg(READ_ONLY)})
    assert f"spt cannot post alerts in <#{READ_ONLY}> yet: it lacks Send Messages" in answer.text()
    (row,) = await watches(h)
    assert row["channel_id"] == READ_ONLY
    fine = await h.run("watch edit", {"watch": "DDR4 RDIMM", "channel": ChannelArg(DEALS)})
    assert "cannot post" not in fine.text()
    assert "Read Message History" not in fine.text()


async def test_a_channel_without_read_message_history_is_named_when_saving(h: Harness) -> None:
    quiet = 1_300_000_000_000_000_099
    history = int(Permission.READ_MESSAGE_HISTORY)
    roles = (GUILD, h.fake.guilds[GUILD].bot_role_id)  # @everyone and the bot's own role
    denied = [Overwrite(role, 0, deny=history) for role in roles if role is not None]
    h.fake.add_channel(GUILD, quiet, "quiet-deals", overwrites=denied)
    await h.fake.wait_for(lambda: h.bot.get_channel(quiet) is not None)
    answer = await h.run("watch add", {**RAM, "channel": ChannelArg(quiet)})
    assert "without Read Message History" in answer.text()
    assert "may appear twice" in answer.text()


async def test_watch_test_searches_now_and_stores_nothing(h: Harness) -> None:
    await h.run("watch add", {**RAM, "query": "DDR4", "threshold": 0, "cold_start_alerts": True})
    before = await h.pool.fetchval("SELECT count(*) FROM listings")
    record = await h.command("watch test", {"watch": "DDR4 RDIMM"})
    assert record.type == 5  # deferred: searching takes a moment
    assert record.ephemeral
    answer = await h.answer(record)
    assert answer.embed["title"] == "Test of DDR4 RDIMM"
    assert "would alert now" in answer.embed["description"]
    assert "nothing was stored or alerted" in answer.embed["footer"]["text"]
    assert await h.pool.fetchval("SELECT count(*) FROM listings") == before == 0
    assert await h.pool.fetchval("SELECT count(*) FROM alerts") == 0
    again = await h.run("watch test", {"watch": "DDR4 RDIMM"})  # within the cooldown
    assert "Slow down" in again.text()


async def test_autocomplete_offers_only_this_guilds_watches(h: Harness) -> None:
    await h.run("watch add", RAM)
    await h.run("watch add", {**RAM, "name": "SAS SSD", "query": "ssd", "type": "drive"})
    await h.run("watch add", {**RAM, "name": "DDR4 theirs"}, guild_id=OTHER_GUILD,
                channel_id=OTHER_DEALS)  # fmt: skip
    mine = await h.complete("watch show", {"watch": "dd"}, "watch")
    assert [c["name"].split(" (#")[0] for c in mine] == ["DDR4 RDIMM"]
    theirs = await h.complete("watch show", {"watch": "dd"}, "watch", guild_id=OTHER_GUILD)
    assert [c["name"].split(" (#")[0] for c in theirs] == ["DDR4 theirs"]
    kinds = await h.complete("watch add", {**RAM, "type": "dr"}, "type")
    assert [c["value"] for c in kinds] == ["drive"]
    markets = await h.complete("watch add", {**RAM, "marketplace": "germ"}, "marketplace")
    assert [c["value"] for c in markets] == ["EBAY_DE"]
    conditions = await h.complete("watch add", {**RAM, "conditions": "new, us"}, "conditions")
    assert [c["value"] for c in conditions] == ["new, used_working"]
    filters = await h.complete(
        "watch filter", {"watch": "DDR4 RDIMM", "action": "add", "filter": "capa"}, "filter"
    )
    # per module, and the whole listing's (a 2x64GB kit is 128)
    assert [c["value"] for c in filters] == ["capacity_gb>=1", "total_capacity_gb>=1"]
