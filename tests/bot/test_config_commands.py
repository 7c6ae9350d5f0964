"""`/config` through discord.py against the fake Discord: answers, permissions, two guilds
kept apart, bad input, and the settings at work (manager roles, default channel, quiet
hours, daily cap, `/status`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.delivery import BotChannels
from core.alerts.channel import ChannelDelivery
from core.resilience import breaker_factory
from tests.bot.harness import (
    DEALS,
    GUILD,
    OTHER_DEALS,
    OTHER_GUILD,
    OTHER_MEMBER_ROLE,
    PLAIN_ROLE,
    READ_ONLY,
    SPT_ROLE,
    Harness,
)
from tests.bot.market import Seeder
from tests.bot.test_watch_commands import RAM, watches
from tests.clock import ManualClock
from tests.fakes.discord_api import ChannelArg, OptionValue, RoleArg

NIGHT: dict[str, OptionValue] = {"start": "22:00", "end": "07:00", "timezone": "Europe/Berlin"}


async def row(h: Harness, guild: int = GUILD) -> dict[str, Any] | None:
    found = await h.pool.fetchrow("SELECT * FROM guild_settings WHERE guild_id = $1", guild)
    return dict(found) if found is not None else None


def fields(answer: Any) -> dict[str, str]:
    return {f["name"]: f["value"] for f in answer.embed["fields"]}


async def configure_everything(h: Harness) -> None:
    """Guild GUILD's managers set every setting."""
    await h.run("config manager-role add", {"role": RoleArg(PLAIN_ROLE)})
    await h.run("config alert-channel set", {"channel": ChannelArg(DEALS)})
    await h.run("config quiet-hours set", NIGHT)
    await h.run("config daily-cap set", {"alerts": 5})


async def test_show_is_open_to_every_member_and_starts_with_the_defaults(h: Harness) -> None:
    answer = await h.run("config show", who="member")
    assert answer.ephemeral
    assert answer.embed["title"] == "Server settings"
    shown = fields(answer)
    # The operator's override role exists in this guild, so it is named as theirs.
    assert shown["Manager roles"] == (
        f"none of its own · set by spt's operator: <@&{SPT_ROLE}> · and anyone with Manage Server"
    )
    assert shown["Default alert channel"].startswith("none")
    assert shown["Quiet hours"] == "none"
    assert shown["Daily cap"].startswith("none · 0 held back today")
    assert shown["Time zone"].startswith("UTC")
    assert await row(h) is None  # reading writes nothing


async def test_every_change_is_answered_ephemerally_with_the_new_settings(h: Harness) -> None:
    added = await h.run("config manager-role add", {"role": RoleArg(PLAIN_ROLE)})
    assert added.ephemeral
    assert added.embed["title"] == "Members is now a manager role"
    assert f"<@&{PLAIN_ROLE}>" in fields(added)["Manager roles"]
    again = await h.run("config manager-role add", {"role": RoleArg(PLAIN_ROLE)})
    assert again.embed["title"] == "Members was already a manager role"
    channel = await h.run("config alert-channel set", {"channel": ChannelArg(DEALS)})
    assert fields(channel)["Default alert channel"] == f"<#{DEALS}>"
    quiet = await h.run("config quiet-hours set", NIGHT)
    assert quiet.embed["title"] == "Quiet hours set: 22:00-07:00 overnight (Europe/Berlin)"
    assert "none is lost" in quiet.text()
    cap = await h.run("config daily-cap set", {"alerts": 25})
    assert cap.embed["title"] == "Daily cap set: 25 alert(s) per channel a day"
    stored = await row(h)
    assert stored is not None
    assert (stored["manager_role_ids"], stored["default_channel_id"], stored["timezone"],
            stored["daily_cap"]) == ([PLAIN_ROLE], DEALS, "Europe/Berlin", 25)  # fmt: skip
    assert f"{stored['quiet_start']:%H:%M}-{stored['quiet_end']:%H:%M}" == "22:00-07:00"
    for command in ("config alert-channel clear", "config quiet-hours clear",
                    "config daily-cap clear"):  # fmt: skip
        cleared = await h.run(command)
        assert cleared.ephemeral
        assert cleared.embed["title"].endswith("cleared")
    removed = await h.run("config manager-role remove", {"role": RoleArg(PLAIN_ROLE)})
    assert removed.embed["title"] == "Members no longer manages spt"
    stored = await row(h)
    assert stored is not None
    assert (stored["manager_role_ids"], stored["default_channel_id"], stored["quiet_start"],
            stored["daily_cap"]) == ([], None, None, None)  # fmt: skip
    assert stored["timezone"] == "Europe/Berlin"  # the server's time zone stays


async def test_changing_needs_manage_server_or_a_manager_role(h: Harness) -> None:
    attempts: list[tuple[str, dict[str, OptionValue]]] = [
        ("config manager-role add", {"role": RoleArg(PLAIN_ROLE)}),
        ("config manager-role remove", {"role": RoleArg(PLAIN_ROLE)}),
        ("config alert-channel set", {"channel": ChannelArg(DEALS)}),
        ("config alert-channel clear", {}),
        ("config quiet-hours set", NIGHT),
        ("config quiet-hours clear", {}),
        ("config daily-cap set", {"alerts": 3}),
        ("config daily-cap clear", {}),
    ]
    for command, options in attempts:
        refused = await h.run(command, options, who="member")
        assert refused.ephemeral, command
        assert "Manage Server" in refused.text(), command
    assert await row(h) is None
    # The operator's discord.manager_role_ids still manage, whatever the guild sets.
    await h.run("config daily-cap set", {"alerts": 3}, who="manager")
    stored = await row(h)
    assert stored is not None
    assert stored["daily_cap"] == 3


async def test_a_role_made_manager_by_config_can_then_manage_watches(h: Harness) -> None:
    refused = await h.run("watch add", RAM, who="member")
    assert "Manage Server" in refused.text()
    assert await watches(h) == []
    await h.run("config manager-role add", {"role": RoleArg(PLAIN_ROLE)})
    added = await h.run("watch add", RAM, who="member")
    assert added.embed["title"] == "Watch added: DDR4 RDIMM"
    paused = await h.run("watch pause", {"watch": "DDR4 RDIMM"}, who="member")
    assert "paused" in paused.text()
    # and may change the settings themselves
    await h.run("config daily-cap set", {"alerts": 9}, who="member")
    stored = await row(h)
    assert stored is not None
    assert stored["daily_cap"] == 9
    await h.run("config manager-role remove", {"role": RoleArg(PLAIN_ROLE)})
    again = await h.run("watch resume", {"watch": "DDR4 RDIMM"}, who="member")
    assert "Manage Server" in again.text()  # taken away at once, not after a cache expiry
    (watch,) = await watches(h)
    assert not watch["enabled"]


async def test_two_guilds_settings_are_kept_apart(h: Harness) -> None:
    await configure_everything(h)
    theirs = await h.run("config show", guild_id=OTHER_GUILD)
    shown = fields(theirs)
    assert str(PLAIN_ROLE) not in theirs.text()
    assert f"<#{DEALS}>" not in theirs.text()
    assert shown["Quiet hours"] == "none"
    assert shown["Daily cap"].startswith("none")
    # Their managers change their own row only.
    await h.run("config daily-cap set", {"alerts": 700}, guild_id=OTHER_GUILD)
    await h.run("config quiet-hours clear", guild_id=OTHER_GUILD)
    await h.run("config alert-channel clear", guild_id=OTHER_GUILD)
    await h.run("config manager-role add", {"role": RoleArg(OTHER_MEMBER_ROLE)},
                guild_id=OTHER_GUILD)  # fmt: skip
    mine, other = await row(h), await row(h, OTHER_GUILD)
    assert mine is not None
    assert other is not None
    assert (mine["daily_cap"], mine["default_channel_id"], mine["manager_role_ids"]) == (
        5, DEALS, [PLAIN_ROLE])  # fmt: skip
    assert mine["quiet_start"] is not None
    assert (other["daily_cap"], other["default_channel_id"], other["manager_role_ids"]) == (
        700, None, [OTHER_MEMBER_ROLE])  # fmt: skip
    # A's manager role is no manager role in B, and B's none in A.
    await h.run("watch add", RAM, who="member", guild_id=OTHER_GUILD, channel_id=OTHER_DEALS)
    await h.run("config manager-role remove", {"role": RoleArg(OTHER_MEMBER_ROLE)},
                guild_id=OTHER_GUILD)  # fmt: skip
    refused = await h.run("watch remove", {"watch": "DDR4 RDIMM"}, who="member",
                          guild_id=OTHER_GUILD)  # fmt: skip
    assert "Manage Server" in refused.text()
    assert len(await watches(h, OTHER_GUILD)) == 1
    ours = await h.run("watch add", RAM, who="member")  # PLAIN_ROLE still manages in A
    assert ours.embed["title"] == "Watch added: DDR4 RDIMM"
    status = await h.run("status", guild_id=OTHER_GUILD)
    assert "22:00" not in status.text()
    assert str(PLAIN_ROLE) not in status.text()


async def test_bad_input_is_refused_with_what_was_wrong_and_stores_nothing(h: Harness) -> None:
    cases: list[tuple[str, dict[str, OptionValue], str]] = [
        ("config quiet-hours set", {**NIGHT, "start": "25:00"},
         "quiet hours start: '25:00' is not a time of day; use HH:MM on a 24-hour clock "
         "(00:00 to 23:59), e.g. 22:00"),
        ("config quiet-hours set", {**NIGHT, "end": "7 am"},
         "quiet hours end: '7 am' is not a time of day"),
        ("config quiet-hours set", {**NIGHT, "end": "22:00"},
         "quiet hours start and end are both 22:00"),
        ("config quiet-hours set", {**NIGHT, "timezone": "Mars/Olympus_Mons"},
         "time zone: unknown time zone 'Mars/Olympus_Mons'; use an IANA time zone name"),
        ("config daily-cap set", {"alerts": 0},
         "daily cap: must be a whole number from 1 to 1000 (got 0)"),
        ("config daily-cap set", {"alerts": 5, "timezone": "CEST"},
         "time zone: unknown time zone 'CEST'"),
    ]  # fmt: skip
    for command, options, problem in cases:
        answer = await h.run(command, options)
        assert answer.ephemeral, command
        assert "That setting cannot be saved" in answer.text(), command
        assert problem in answer.text(), (command, answer.text())
    everyone = await h.run("config manager-role add", {"role": RoleArg(GUILD)})
    assert "@everyone cannot be a manager role" in everyone.text()
    missing = await h.run("config manager-role remove", {"role": RoleArg(PLAIN_ROLE)})
    assert f"<@&{PLAIN_ROLE}> is not one of this server's spt manager roles" in missing.text()
    assert await row(h) is None


async def test_the_default_channel_warns_like_watch_add_when_spt_cannot_post(h: Harness) -> None:
    answer = await h.run("config alert-channel set", {"channel": ChannelArg(READ_ONLY)})
    assert f"spt cannot post alerts in <#{READ_ONLY}> yet: it lacks Send Messages" in answer.text()
    stored = await row(h)
    assert stored is not None
    assert stored["default_channel_id"] == READ_ONLY
    fine = await h.run("config alert-channel set", {"channel": ChannelArg(DEALS)})
    assert "cannot post" not in fine.text()


async def test_timezones_autocomplete(h: Harness) -> None:
    choices = await h.complete("config quiet-hours set", {**NIGHT, "timezone": "berl"}, "timezone")
    assert [c["value"] for c in choices] == ["Europe/Berlin"]


async def test_status_shows_the_servers_settings(h: Harness) -> None:
    await configure_everything(h)
    answer = await h.run("status")
    settings = fields(answer)["Server settings"]
    assert f"**Manager roles**: <@&{PLAIN_ROLE}>" in settings
    assert f"**Default alert channel**: <#{DEALS}>" in settings
    assert "**Quiet hours**: 22:00-07:00 overnight (Europe/Berlin)" in settings
    assert "**Daily cap**: 5 alert(s) per channel a day · 0 held back today" in settings


async def test_a_watch_without_a_channel_alerts_to_the_servers_default_channel(
    h: Harness,
) -> None:
    seed = Seeder(h)
    watch = await seed.watch(channel=None)
    await seed.market(watch)
    first = await h.pool.fetchval("SELECT destination_kind FROM outbox")
    assert first == "console"  # no channel anywhere (the operator set none either)
    await h.run("config alert-channel set", {"channel": ChannelArg(DEALS)})
    await seed.listing(watch, "45")
    await h.services.baselines.refresh()
    latest = await h.pool.fetchrow("SELECT destination_kind, destination FROM outbox "
                                   "ORDER BY id DESC LIMIT 1")  # fmt: skip
    assert latest is not None
    assert (latest["destination_kind"], latest["destination"]) == ("discord_channel", str(DEALS))
    assert await seed.delivery().deliver_pending() == 1
    assert len(h.fake.messages_in(DEALS)) == 1


async def test_quiet_hours_set_with_config_hold_alerts_until_they_end(h: Harness) -> None:
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    await h.run("config quiet-hours set", {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}",
                                           "timezone": "UTC"})  # fmt: skip
    shown = await h.run("config show")
    assert "quiet now: alerts wait in the queue until it ends" in fields(shown)["Quiet hours"]
    seed = Seeder(h)
    watch = await seed.watch()
    await seed.market(watch, deals=2)
    alerts = await h.pool.fetchval("SELECT count(*) FROM alerts")
    assert alerts >= 2
    clock = ManualClock(datetime.now(UTC))  # the alerts are due now, in quiet hours
    services = h.services
    delivery = ChannelDelivery(services.db.pool, BotChannels(h.bot),
                               lambda: services.holder.current, breaker_factory(), clock,
                               "test")  # fmt: skip
    assert await delivery.deliver_pending() == 0
    assert h.fake.messages_in(DEALS) == []
    clock.advance(timedelta(hours=1, minutes=5))  # past the end
    assert await delivery.deliver_pending() == alerts
    assert len(h.fake.messages_in(DEALS)) >= 1
    assert await h.pool.fetchval("SELECT count(*) FROM alerts WHERE status = 'delivered'") == (
        alerts)  # fmt: skip


async def test_the_daily_cap_holds_back_the_next_alert_and_says_so(h: Harness) -> None:
    await h.run("config daily-cap set", {"alerts": 1})
    seed = Seeder(h)
    watch = await seed.watch()
    await seed.market(watch, deals=2)
    statuses = [r["status"] for r in await h.pool.fetch("SELECT status FROM alerts ORDER BY id")]
    held = len(statuses) - 1
    assert held >= 1
    assert statuses == ["queued"] + ["capped"] * held
    assert await seed.delivery().deliver_pending() == 1
    assert len(h.fake.messages_in(DEALS)) == 1
    recent = await h.run("alerts recent", who="member")
    assert "· capped ·" in recent.text()
    assert f"not posted: daily cap: channel {DEALS} already had 1 alert(s) on" in recent.text()
    shown = await h.run("config show", who="member")
    assert fields(shown)["Daily cap"].startswith(
        f"1 alert(s) per channel a day · {held} held back today"
    )
    theirs = await h.run("config show", guild_id=OTHER_GUILD)
    assert "0 held back today" in fields(theirs)["Daily cap"]
