"""Per-server settings in core: validation, guild scoping, quiet hours (overnight, DST) and
the daily cap, against real PostgreSQL; delivery through discord.py to the fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.delivery import BotChannels
from core.alerts.actions import AlertActions
from core.alerts.channel import ChannelDelivery
from core.alerts.service import AlertService, destination
from core.db.pool import Pool
from core.guild_settings import (
    GuildSettings,
    GuildSettingsError,
    GuildSettingsService,
    InvalidGuildSettingsError,
    day_bounds,
    in_quiet_hours,
    quiet_guilds,
    zone_names,
)
from core.pricing.baselines import BaselineService
from core.pricing.scorer import Scorer
from core.resilience import breaker_factory
from core.settings import Settings, load_settings, parse_cli_overrides
from core.watches import WatchService
from tests.clock import ManualClock
from tests.fakes.discord_api import FakeDiscord
from tests.pricing.test_baselines import NOW, Market

GUILD_A = 610_000_000_000_000_001
GUILD_B = 620_000_000_000_000_002
DEALS_A = 610_000_000_000_000_101
OTHER_A = 610_000_000_000_000_102
DEALS_B = 620_000_000_000_000_201
BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = {"quiet_start": "22:00", "quiet_end": "07:00"}


def at(text: str, zone: ZoneInfo = BERLIN) -> datetime:
    """A local wall-clock time, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=zone)


# ------------------------------------------------------------------ quiet hours, pure


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        ("2026-11-28 21:59", False),
        ("2026-11-28 22:00", True),
        ("2026-11-28 23:59", True),
        ("2026-11-29 00:00", True),
        ("2026-11-29 06:59", True),
        ("2026-11-29 07:00", False),
        ("2026-11-29 12:00", False),
    ],
)
def test_overnight_quiet_hours_wrap_past_midnight(local: str, quiet: bool) -> None:
    assert in_quiet_hours(time(22), time(7), BERLIN, at(local).astimezone(UTC)) is quiet


@pytest.mark.parametrize(
    ("local", "quiet"),
    [("2026-11-28 12:59", False), ("2026-11-28 13:00", True), ("2026-11-28 14:29", True),
     ("2026-11-28 14:30", False), ("2026-11-28 23:00", False)],
)  # fmt: skip
def test_daytime_quiet_hours(local: str, quiet: bool) -> None:
    assert in_quiet_hours(time(13), time(14, 30), BERLIN, at(local)) is quiet


def test_quiet_hours_follow_the_local_clock_across_dst_changes() -> None:
    # 05:30 UTC is 06:30 in Berlin in winter (quiet) and 07:30 in summer (not quiet).
    winter, summer = (
        datetime(2026, 1, 15, 5, 30, tzinfo=UTC),
        datetime(2026, 7, 15, 5, 30, tzinfo=UTC),
    )
    assert in_quiet_hours(time(22), time(7), BERLIN, winter)
    assert not in_quiet_hours(time(22), time(7), BERLIN, summer)
    # The night clocks go forward (29 March 2026, 02:00 -> 03:00): quiet ends at 07:00 CEST.
    assert in_quiet_hours(time(22), time(7), BERLIN, datetime(2026, 3, 29, 4, 59, tzinfo=UTC))
    assert not in_quiet_hours(time(22), time(7), BERLIN, datetime(2026, 3, 29, 5, 0, tzinfo=UTC))
    # The night they go back (25 October 2026): 07:00 CET is 06:00 UTC.
    assert in_quiet_hours(time(22), time(7), BERLIN, datetime(2026, 10, 25, 5, 59, tzinfo=UTC))
    assert not in_quiet_hours(time(22), time(7), BERLIN, datetime(2026, 10, 25, 6, 0, tzinfo=UTC))
    # New York moves on other dates: on 15 March 2026 (US DST, Europe not yet), 07:00 EDT.
    york = ZoneInfo("America/New_York")
    assert not in_quiet_hours(time(22), time(7), york, datetime(2026, 3, 15, 11, 0, tzinfo=UTC))
    assert in_quiet_hours(time(22), time(7), york, datetime(2026, 3, 15, 10, 59, tzinfo=UTC))


def test_a_guild_day_is_its_local_calendar_day_and_dst_days_are_23_or_25_hours() -> None:
    today, start, end = day_bounds(BERLIN, datetime(2026, 11, 28, 23, 30, tzinfo=UTC))
    assert today.isoformat() == "2026-11-29"  # already the 29th in Berlin
    assert (start, end) == (datetime(2026, 11, 28, 23, tzinfo=UTC),
                            datetime(2026, 11, 29, 23, tzinfo=UTC))  # fmt: skip
    _, start, end = day_bounds(BERLIN, datetime(2026, 3, 29, 12, tzinfo=UTC))
    assert end - start == timedelta(hours=23)
    _, start, end = day_bounds(BERLIN, datetime(2026, 10, 25, 12, tzinfo=UTC))
    assert end - start == timedelta(hours=25)
    _, start, _ = day_bounds(ZoneInfo("UTC"), datetime(2026, 11, 28, 23, 30, tzinfo=UTC))
    assert start == datetime(2026, 11, 28, tzinfo=UTC)


# ------------------------------------------------------------------ validation and scoping


@pytest.fixture
def service(pool: Pool) -> GuildSettingsService:
    return GuildSettingsService(pool, ManualClock(NOW))


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"quiet_start": "25:00", "quiet_end": "07:00"},
         "quiet hours start: '25:00' is not a time of day; use HH:MM on a 24-hour clock"),
        ({"quiet_start": "22:00", "quiet_end": "7pm"},
         "quiet hours end: '7pm' is not a time of day; use HH:MM"),
        ({"quiet_start": "22:00", "quiet_end": "22:00"},
         "quiet hours start and end are both 22:00; give two different times"),
        ({"quiet_start": "22:00"}, "quiet hours need both a start and an end"),
        ({"timezone": "Mars/Olympus_Mons"},
         "time zone: unknown time zone 'Mars/Olympus_Mons'; use an IANA time zone name such as "
         "Europe/Berlin"),
        ({"timezone": "../../etc/passwd"}, "time zone: unknown time zone '../../etc/passwd'"),
        ({"daily_cap": 0}, "daily cap: must be a whole number from 1 to 1000 (got 0)"),
        ({"daily_cap": 1001}, "daily cap: must be a whole number from 1 to 1000 (got 1001)"),
        ({"default_channel_id": -5}, "default alert channel: must be a Discord id (got -5)"),
        ({"alerts_paused": True}, "alerts_paused: is not a server setting"),
    ],
)  # fmt: skip
async def test_bad_values_are_refused_naming_the_field_and_the_form_and_write_nothing(
    service: GuildSettingsService, pool: Pool, changes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidGuildSettingsError) as caught:
        await service.update(GUILD_A, changes)
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems
    assert await pool.fetchval("SELECT count(*) FROM guild_settings") == 0


async def test_good_values_are_normalised_and_stored(service: GuildSettingsService) -> None:
    changes = {**NIGHT, "quiet_end": "7:05", "timezone": "europe/berlin", "daily_cap": 1000}
    saved = await service.update(GUILD_A, changes)
    assert (saved.quiet_start, saved.quiet_end) == (time(22), time(7, 5))
    assert saved.timezone == "Europe/Berlin"  # any case in, the IANA spelling stored
    assert saved.quiet_hours_text() == "22:00-07:05 overnight (Europe/Berlin)"
    assert await service.get(GUILD_A) == saved
    cleared = await service.update(GUILD_A, {"quiet_start": None, "quiet_end": None})
    assert (cleared.has_quiet_hours, cleared.timezone, cleared.daily_cap) == (
        False, "Europe/Berlin", 1000)  # fmt: skip
    assert "Europe/Berlin" in zone_names("berlin")


async def test_a_guild_reads_and_writes_only_its_own_row(service: GuildSettingsService) -> None:
    await service.update(GUILD_A, {**NIGHT, "daily_cap": 5, "default_channel_id": DEALS_A})
    await service.add_manager_role(GUILD_A, 777)
    theirs = await service.get(GUILD_B)
    assert theirs == GuildSettings(guild_id=GUILD_B)  # the defaults, nothing of A's
    await service.update(GUILD_B, {"daily_cap": 9})
    await service.add_manager_role(GUILD_B, 888)
    with pytest.raises(GuildSettingsError, match="role 777 is not one of this server's"):
        await service.remove_manager_role(GUILD_B, 777)
    mine = await service.get(GUILD_A)
    assert (mine.daily_cap, mine.manager_role_ids, mine.default_channel_id) == (5, [777], DEALS_A)
    assert await service.manager_roles(GUILD_A) == {777}
    assert await service.manager_roles(GUILD_B) == {888}
    await service.remove_manager_role(GUILD_A, 777)
    assert await service.manager_roles(GUILD_A) == frozenset()  # the cache forgot at once


async def test_a_stored_time_zone_this_machine_no_longer_knows_falls_back_to_utc(
    service: GuildSettingsService, pool: Pool
) -> None:
    await service.update(GUILD_A, {**NIGHT, "timezone": "Europe/Berlin", "daily_cap": 4})
    await pool.execute("UPDATE guild_settings SET timezone = 'Gone/Away'")  # a tz db update
    settings = await service.get(GUILD_A)
    assert (settings.zone_name, settings.daily_cap) == ("UTC", 4)
    assert await quiet_guilds(pool, datetime(2026, 11, 28, 23, 0, tzinfo=UTC)) == [GUILD_A]


async def test_quiet_guilds_are_those_in_quiet_hours_now(service: GuildSettingsService,
                                                         pool: Pool) -> None:  # fmt: skip
    await service.update(GUILD_A, {**NIGHT, "timezone": "Europe/Berlin"})
    await service.update(GUILD_B, {"quiet_start": "13:00", "quiet_end": "14:00"})  # UTC
    assert await quiet_guilds(pool, at("2026-11-28 23:00").astimezone(UTC)) == [GUILD_A]
    assert await quiet_guilds(pool, datetime(2026, 11, 28, 13, 30, tzinfo=UTC)) == [GUILD_B]
    assert await quiet_guilds(pool, datetime(2026, 11, 28, 10, 0, tzinfo=UTC)) == []


# ------------------------------------------------------------------ the default channel


def settings_with(*pairs: str) -> Settings:
    return load_settings(None, parse_cli_overrides(["discord.token=x", *pairs]), {}).settings


async def test_a_watch_without_a_channel_alerts_to_its_guild_default_then_the_operators(
    pool: Pool,
) -> None:
    settings = settings_with("discord.alert_channel_id=999")
    watch = await WatchService(pool, lambda: settings).add(
        GUILD_A, {"name": "ram", "query": "ddr4", "component_type": "ram"}
    )
    assert watch.channel_id is None  # the operator's default is not copied onto the watch
    assert destination(settings, watch, DEALS_A) == ("discord_channel", str(DEALS_A))
    assert destination(settings, watch, None) == ("discord_channel", "999")
    own = watch.model_copy(update={"channel_id": OTHER_A})
    assert destination(settings, own, DEALS_A) == ("discord_channel", str(OTHER_A))


# ------------------------------------------------------------------ delivery


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        server.add_guild(GUILD_A, "ours")
        server.add_channel(GUILD_A, DEALS_A, "deals")
        server.add_channel(GUILD_A, OTHER_A, "more-deals")
        server.add_guild(GUILD_B, "theirs")
        server.add_channel(GUILD_B, DEALS_B, "deals")
        yield server


@pytest.fixture
async def client(fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    """A logged-in discord.py client (REST only: channel delivery needs no gateway)."""
    async with fake.rest_client() as bot:
        yield bot


class World:
    """Watches in two guilds whose every listing alerts, a manual clock, channel delivery."""

    def __init__(self, pool: Pool, fake: FakeDiscord, client: discord.Client) -> None:
        self.settings = settings_with(f"discord.api_base_url={fake.base_url}",
                                      "resilience.backoff_base_seconds=0.01")  # fmt: skip
        self.pool, self.fake = pool, fake
        self.clock = ManualClock(NOW)
        self.alerts = AlertService(pool, lambda: self.settings, self.clock)
        self.scorer = Scorer(pool, lambda: self.settings, self.clock, self.alerts.evaluate)
        self.baselines = BaselineService(pool, lambda: self.settings, self.clock,
                                         lambda keys: self.scorer.rescore(keys=keys))  # fmt: skip
        self.guilds = GuildSettingsService(pool, self.clock)
        self.delivery = ChannelDelivery(pool, BotChannels(client), lambda: self.settings,
                                        breaker_factory(), self.clock, "test")  # fmt: skip
        self.market = Market(pool)
        self.prices = 20

    async def watch(self, guild: int, channel: int | None, name: str) -> int:
        watch_id: int = await self.pool.fetchval(
            "INSERT INTO watches (guild_id, channel_id, name, query, component_type, marketplace, "
            "threshold, poll_interval_seconds, cold_start_opt_in) "
            "VALUES ($1, $2, $3, 'ddr4', 'ram', 'EBAY_US', 1, 900, true) RETURNING id",
            guild, channel, name,
        )  # fmt: skip
        return watch_id

    async def deals(self, watch_id: int, count: int) -> None:
        """`count` listings the watch found, scored now: one alert each."""
        for _ in range(count):
            self.prices += 1
            listing = await self.market.listing(str(self.prices), seen=self.clock())
            await self.pool.execute("INSERT INTO watch_hits (watch_id, listing_id) VALUES ($1, $2)",
                                    watch_id, listing)  # fmt: skip
        await self.baselines.refresh()

    def posted(self, channel: int) -> list[Any]:
        return [m for m in self.fake.messages_in(channel) if not m.deleted]

    async def statuses(self, watch_id: int) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT status FROM alerts WHERE watch_id = $1 ORDER BY id", watch_id
        )
        return [r["status"] for r in rows]


@pytest.fixture
async def world(pool: Pool, fake: FakeDiscord, client: discord.Client) -> World:
    return World(pool, fake, client)


async def test_quiet_hours_hold_a_guilds_alerts_and_release_them_as_a_digest(world: World) -> None:
    # NOW is 12:00 UTC: 01:00 the next morning in Auckland (NZDT), inside 22:00-07:00.
    await world.guilds.update(GUILD_A, {**NIGHT, "timezone": "Pacific/Auckland"})
    ours = await world.watch(GUILD_A, DEALS_A, "ours")
    theirs = await world.watch(GUILD_B, DEALS_B, "theirs")
    await world.deals(ours, 7)
    await world.deals(theirs, 1)
    assert await world.delivery.deliver_pending() == 1  # only the other guild's alert
    assert len(world.posted(DEALS_B)) == 1
    assert world.posted(DEALS_A) == []
    held = await world.pool.fetch(
        "SELECT o.status, o.attempts FROM outbox o JOIN alerts a ON a.outbox_id = o.id "
        "WHERE a.watch_id = $1", ours,
    )  # fmt: skip
    assert [(r["status"], r["attempts"]) for r in held] == [("pending", 0)] * 7  # untouched
    world.clock.advance(timedelta(hours=5, minutes=59))  # 06:59 in Auckland
    await world.deals(ours, 1)  # due in quiet hours too
    assert await world.delivery.deliver_pending() == 0
    assert world.posted(DEALS_A) == []
    world.clock.advance(timedelta(minutes=1))  # 07:00: quiet hours are over
    assert await world.delivery.deliver_pending() == 8
    (digest,) = world.posted(DEALS_A)  # the backlog (more than digest_threshold) in one message
    assert digest.embeds[0]["title"] == "8 new deals"
    assert await world.statuses(ours) == ["delivered"] * 8  # nothing lost


async def test_clearing_quiet_hours_releases_what_waits_at_the_next_pass(world: World) -> None:
    await world.guilds.update(GUILD_A, {"quiet_start": "11:00", "quiet_end": "13:00"})  # UTC
    ours = await world.watch(GUILD_A, DEALS_A, "ours")
    await world.deals(ours, 2)
    assert await world.delivery.deliver_pending() == 0
    await world.guilds.update(GUILD_A, {"quiet_start": None, "quiet_end": None})
    assert await world.delivery.deliver_pending() == 2
    assert len(world.posted(DEALS_A)) == 2


async def test_the_daily_cap_holds_back_alerts_past_it_per_channel_and_counts_them(
    world: World,
) -> None:
    await world.guilds.update(GUILD_A, {"daily_cap": 3, "timezone": "Europe/Berlin",
                                        "default_channel_id": OTHER_A})  # fmt: skip
    ours = await world.watch(GUILD_A, DEALS_A, "ours")
    defaulted = await world.watch(GUILD_A, None, "to the default channel")
    theirs = await world.watch(GUILD_B, DEALS_B, "theirs")
    await world.deals(ours, 3)
    assert (await world.guilds.overview(GUILD_A)).held_today == 0
    await world.deals(ours, 2)  # the 4th and 5th of the day in this channel
    await world.deals(defaulted, 2)  # another channel: a cap of its own
    await world.deals(theirs, 5)  # another guild, without a cap
    assert await world.statuses(ours) == ["queued"] * 3 + ["capped"] * 2
    assert await world.statuses(defaulted) == ["queued"] * 2
    assert await world.statuses(theirs) == ["queued"] * 5
    capped = await world.pool.fetch(
        "SELECT outbox_id, suppressed_reason FROM alerts WHERE status = 'capped'"
    )
    assert all(r["outbox_id"] is None for r in capped)  # never queued for sending
    assert capped[0]["suppressed_reason"] == (
        f"daily cap: channel {DEALS_A} already had 3 alert(s) on 2026-11-28 (Europe/Berlin)"
    )
    overview = await world.guilds.overview(GUILD_A)
    assert (overview.held_today, overview.today.isoformat()) == (2, "2026-11-28")
    assert (await world.guilds.overview(GUILD_B)).held_today == 0
    assert await world.delivery.deliver_pending() == 10
    assert (len(world.posted(DEALS_A)), len(world.posted(OTHER_A))) == (3, 2)
    recent = await world.alerts.recent(GUILD_A, 20)
    assert {r["status"] for r in recent} == {"delivered", "capped"}
    assert sum(1 for r in recent if r["suppressed_reason"]) == 2
    # Berlin's next day starts at 23:00 UTC: the channel may have three more.
    world.clock.set(datetime(2026, 11, 28, 23, 0, tzinfo=UTC))
    await world.deals(ours, 1)
    assert (await world.statuses(ours))[-1] == "queued"
    assert (await world.guilds.overview(GUILD_A)).held_today == 0  # a new day


async def test_a_capped_alert_cannot_be_dismissed_into_the_queue(world: World) -> None:
    await world.guilds.update(GUILD_A, {"daily_cap": 1})
    ours = await world.watch(GUILD_A, DEALS_A, "ours")
    await world.deals(ours, 2)
    capped = await world.pool.fetchval("SELECT id FROM alerts WHERE status = 'capped'")
    actions = AlertActions(world.pool, world.clock)
    assert (await actions.dismiss(GUILD_A, capped, None)).status == "capped"
    assert (await actions.restore(GUILD_A, capped)).status == "capped"
