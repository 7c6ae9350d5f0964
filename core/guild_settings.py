"""Per-server settings: manager roles, the default alert channel, quiet hours, a daily cap.

A Discord guild's managers set them with `/config`; they live in `guild_settings`, one
row per guild, and every read and write names the guild, so a guild only ever sees and
changes its own row. A guild without a row has the defaults: no manager roles of its own
(Manage Server and the operator's `discord.manager_role_ids` still manage), no default
channel (the operator's `discord.alert_channel_id` applies), no quiet hours, no cap, and
days counted in UTC.

Where they apply: manager roles in `bot/checks.py`; the default channel and the daily cap
when an alert is created (`core/alerts/service.py`); quiet hours when channel delivery
claims the outbox (`core/alerts/channel.py`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.clock import Clock
from core.db import guild_settings as repo
from core.db.pool import Connection, Pool

log = logging.getLogger(__name__)
MAX_MANAGER_ROLES = 25
CAP_MIN, CAP_MAX = 1, 1000
TIME_FORM = "HH:MM on a 24-hour clock (00:00 to 23:59), e.g. 22:00"
ZONE_FORM = "an IANA time zone name such as Europe/Berlin, America/New_York or UTC"
_HH_MM = re.compile(r"^(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)$")
# How long the bot trusts the manager roles it read (a change made here applies at once).
MANAGER_ROLES_CACHE_SECONDS = 10.0
LABELS = {
    "manager_role_ids": "manager roles",
    "default_channel_id": "default alert channel",
    "quiet_start": "quiet hours start",
    "quiet_end": "quiet hours end",
    "timezone": "time zone",
    "daily_cap": "daily cap",
}


class GuildSettingsError(Exception):
    """A settings change users should see explained verbatim."""


class InvalidGuildSettingsError(GuildSettingsError, ValueError):
    """Values that cannot be saved; `problems` has one line per bad field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@cache
def _zone_names() -> dict[str, str]:
    """Every IANA name this machine knows, by its lower-case spelling."""
    return {name.lower(): name for name in available_timezones()}


def zone_names(fragment: str, limit: int = 25) -> list[str]:
    """Time zone names containing `fragment` (any case), the shortest first (autocomplete)."""
    needle = fragment.strip().lower().replace(" ", "_")
    found = [name for lower, name in _zone_names().items() if needle in lower]
    return sorted(found, key=lambda n: (len(n), n))[:limit]


def parse_zone(text: str) -> str:
    """The canonical IANA name for `text` (any case); ValueError naming the allowed form."""
    name = text.strip()
    canonical = _zone_names().get(name.lower(), name)
    try:
        ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use {ZONE_FORM}") from None
    return canonical


def parse_time(text: str) -> time:
    """`HH:MM` as a time of day; ValueError naming the allowed form."""
    match = _HH_MM.match(text.strip())
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a time of day; use {TIME_FORM}")
    return time(int(match["h"]), int(match["m"]))


def in_quiet_hours(start: time, end: time, zone: tzinfo, now: datetime) -> bool:
    """Whether `now` falls in the quiet hours [start, end) on the local wall clock.

    A range whose end is not after its start runs overnight (22:00-07:00 is quiet from
    22:00 to midnight and from midnight to 07:00). The local time comes from zoneinfo, so
    a DST change moves the hours with the wall clock: quiet ends at 07:00 local on both
    sides of it. On the night clocks go back, an end inside the repeated hour is passed
    twice and the repeated part is quiet again.
    """
    local = now.astimezone(zone).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def day_bounds(zone: tzinfo, now: datetime) -> tuple[date, datetime, datetime]:
    """The calendar day `now` falls on in `zone`: its date, first instant and the next day's
    first instant (23 or 25 hours apart around a DST change), in UTC."""
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return today, start, end


class GuildSettingsFields(BaseModel):
    """What a guild's managers may set, validated together."""

    model_config = ConfigDict(extra="forbid")

    manager_role_ids: list[int] = Field(default_factory=list, max_length=MAX_MANAGER_ROLES)
    default_channel_id: int | None = Field(None, gt=0)
    quiet_start: time | None = None
    quiet_end: time | None = None
    timezone: str | None = None
    daily_cap: int | None = Field(None, ge=CAP_MIN, le=CAP_MAX)

    @field_validator("manager_role_ids", mode="after")
    @classmethod
    def _distinct_roles(cls, value: list[int]) -> list[int]:
        if any(role <= 0 for role in value):
            raise ValueError("role ids are Discord ids (positive numbers)")
        return list(dict.fromkeys(value))

    @field_validator("quiet_start", "quiet_end", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_time(value)
        if isinstance(value, time):
            return value.replace(second=0, microsecond=0, tzinfo=None)
        return value

    @field_validator("timezone", mode="before")
    @classmethod
    def _zone(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_zone(value)
        return value

    @model_validator(mode="after")
    def _quiet_range(self) -> GuildSettingsFields:
        start, end = self.quiet_start, self.quiet_end
        if (start is None) != (end is None):
            raise ValueError("quiet hours need both a start and an end (HH:MM each)")
        if start is not None and start == end:
            raise ValueError(
                f"quiet hours start and end are both {start:%H:%M}; give two different times "
                "(an end before the start runs overnight, e.g. 22:00 to 07:00)"
            )
        return self


class GuildSettings(GuildSettingsFields):
    """One guild's stored settings (the defaults when it never set any)."""

    guild_id: int
    updated_at: datetime | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The guild's time zone (UTC unless it set one)."""
        return ZoneInfo(self.timezone or "UTC")

    @property
    def zone_name(self) -> str:
        """The time zone's IANA name."""
        return self.timezone or "UTC"

    @property
    def has_quiet_hours(self) -> bool:
        """Whether quiet hours are set."""
        return self.quiet_start is not None and self.quiet_end is not None

    def quiet_at(self, now: datetime) -> bool:
        """Whether `now` is in the guild's quiet hours."""
        if self.quiet_start is None or self.quiet_end is None:
            return False
        return in_quiet_hours(self.quiet_start, self.quiet_end, self.zone, now)

    def day(self, now: datetime) -> tuple[date, datetime, datetime]:
        """The guild's calendar day at `now` (see `day_bounds`)."""
        return day_bounds(self.zone, now)

    def quiet_hours_text(self) -> str:
        """`22:00-07:00 (Europe/Berlin)`, or "none"."""
        if self.quiet_start is None or self.quiet_end is None:
            return "none"
        overnight = " overnight" if self.quiet_end < self.quiet_start else ""
        return f"{self.quiet_start:%H:%M}-{self.quiet_end:%H:%M}{overnight} ({self.zone_name})"


@dataclass(frozen=True)
class GuildOverview:
    """A guild's settings as `/config show` and `/status` present them."""

    settings: GuildSettings
    quiet_now: bool
    held_today: int  # alerts the daily cap held back on the guild's calendar day
    today: date


def _problems(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors(include_url=False):
        loc = [str(p) for p in error["loc"]]
        field = LABELS.get(loc[0], loc[0]) if loc else ""
        kind, ctx, got = error["type"], error.get("ctx", {}), error.get("input")
        if kind == "value_error":
            text = error["msg"].removeprefix("Value error, ")
        elif field == LABELS["daily_cap"] and kind in (
            "greater_than_equal", "less_than_equal", "int_parsing", "int_type",
        ):  # fmt: skip
            text = f"must be a whole number from {CAP_MIN} to {CAP_MAX} (got {got!r})"
        elif kind == "too_long":
            text = f"at most {ctx.get('max_length', MAX_MANAGER_ROLES)} are allowed"
        elif kind == "greater_than":
            text = f"must be a Discord id (got {got!r})"
        elif kind == "extra_forbidden":
            text = "is not a server setting"
        elif kind.startswith("time"):
            text = f"{got!r} is not a time of day; use {TIME_FORM}"
        else:
            text = error["msg"][0].lower() + error["msg"][1:]
        lines.append(f"{field}: {text}" if field else text)
    return lines


def _validate(data: Mapping[str, Any]) -> GuildSettingsFields:
    try:
        return GuildSettingsFields.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidGuildSettingsError(_problems(exc)) from None


class GuildSettingsService:
    """Reads and changes one guild's settings at a time; every call names the guild."""

    def __init__(
        self,
        pool: Pool,
        clock: Clock,
        cache_seconds: float = MANAGER_ROLES_CACHE_SECONDS,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._roles: dict[int, tuple[float, frozenset[int]]] = {}

    async def get(self, guild_id: int) -> GuildSettings:
        """The guild's settings (defaults if it never set any)."""
        async with self._pool.acquire() as conn:
            row = await repo.get(conn, guild_id)
        return _model(guild_id, row)

    async def update(self, guild_id: int, changes: Mapping[str, Any]) -> GuildSettings:
        """Apply changes (None clears a setting), validating the result whole; nothing is
        written if anything is bad."""
        unknown = set(changes) - set(repo.WRITABLE)
        if unknown:
            raise InvalidGuildSettingsError(
                [f"{name}: is not a server setting" for name in sorted(unknown)]
            )
        async with self._pool.acquire() as conn, conn.transaction():
            current = _model(guild_id, await repo.get(conn, guild_id, lock=True))
            merged = {**current.model_dump(include=set(repo.WRITABLE)), **changes}
            valid = _validate(merged)
            row = await repo.upsert(conn, guild_id, valid.model_dump())
        self._roles.pop(guild_id, None)
        return _model(guild_id, row)

    async def add_manager_role(self, guild_id: int, role_id: int) -> GuildSettings:
        """Let members with this role manage spt in the guild (no change if they already may)."""
        current = await self.get(guild_id)
        if role_id in current.manager_role_ids:
            return current
        return await self.update(
            guild_id, {"manager_role_ids": [*current.manager_role_ids, role_id]}
        )

    async def remove_manager_role(self, guild_id: int, role_id: int) -> GuildSettings:
        """Take the role off the guild's manager roles."""
        current = await self.get(guild_id)
        if role_id not in current.manager_role_ids:
            raise GuildSettingsError(f"role {role_id} is not one of this server's manager roles")
        kept = [r for r in current.manager_role_ids if r != role_id]
        return await self.update(guild_id, {"manager_role_ids": kept})

    async def manager_roles(self, guild_id: int) -> frozenset[int]:
        """The guild's own manager roles, remembered for a few seconds (permission checks
        run on every managing command and button)."""
        now = monotonic()
        cached = self._roles.get(guild_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        roles = frozenset((await self.get(guild_id)).manager_role_ids)
        self._roles[guild_id] = (now + self._cache_seconds, roles)
        return roles

    async def overview(self, guild_id: int) -> GuildOverview:
        """The settings, whether quiet hours hold alerts now, and what the cap held today."""
        now = self._clock()
        settings = await self.get(guild_id)
        today, start, end = settings.day(now)
        async with self._pool.acquire() as conn:
            held = await repo.capped_between(conn, guild_id, start, end)
        return GuildOverview(settings, settings.quiet_at(now), held, today)


def _model(guild_id: int, row: Mapping[str, Any] | None) -> GuildSettings:
    if row is None:
        return GuildSettings(guild_id=guild_id)
    data = dict(row)
    data["manager_role_ids"] = list(data.get("manager_role_ids") or [])
    try:
        return GuildSettings.model_validate(data)
    except ValidationError:
        if data.get("timezone") is None:
            raise
        # Checked when stored; a name this machine's time zone database no longer knows must
        # not stop the guild's alerts (nor, in a batch, other guilds'): its days are UTC's.
        log.warning("guild %d: unknown stored time zone %r, using UTC", guild_id,
                    data["timezone"])  # fmt: skip
        return GuildSettings.model_validate({**data, "timezone": None})


async def load(conn: Connection, guild_id: int) -> GuildSettings:
    """The guild's settings over an open connection (the defaults without a row)."""
    return _model(guild_id, await repo.get(conn, guild_id))


async def quiet_guilds(pool: Pool, now: datetime) -> list[int]:
    """The guilds whose quiet hours hold their channel alerts at `now`."""
    async with pool.acquire() as conn:
        rows = await repo.with_quiet_hours(conn)
    return [r["guild_id"] for r in rows if _quiet_row(r, now)]


def _quiet_row(row: Mapping[str, Any], now: datetime) -> bool:
    try:
        zone = ZoneInfo(row["timezone"] or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        # Validated when stored; a name this machine's tz database lost falls back to UTC
        # rather than stopping every guild's delivery.
        zone = ZoneInfo("UTC")
    return in_quiet_hours(row["quiet_start"], row["quiet_end"], zone, now)
