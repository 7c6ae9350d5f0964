"""Watches: saved eBay searches with filters. The service the CLI, the bot and the web UI share."""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.attributes import TOTAL_CAPACITY
from core.db import watches as repo
from core.db.pool import Pool
from core.filters import AttributeFilter, FilterError, parse_filter, validate_filters
from core.models import BuyingOption, ComponentType, Condition, Marketplace, choices
from core.settings import Settings

MAX_QUERY = 350  # eBay rejects longer Browse `q` values
MAX_NAME = 100


class WatchError(Exception):
    """Base for watch failures users should see verbatim."""


class InvalidWatchError(WatchError, ValueError):
    """Input that cannot make a watch: one (field, what is wrong) per problem, the field
    None when the problem is the watch's as a whole. `problems` names fields as core does;
    `lines(names)` as a front end's users know them (`--type`, `type`)."""

    def __init__(self, problems: Sequence[str | tuple[str | None, str]]) -> None:
        self.details = [p if isinstance(p, tuple) else _split(p) for p in problems]
        super().__init__("; ".join(self.problems))

    @property
    def problems(self) -> list[str]:
        """One line per problem, fields by their setting names."""
        return self.lines({})

    def lines(self, names: Mapping[str, str]) -> list[str]:
        """One line per problem, each field by its name in `names` (else its own)."""
        return [f"{names.get(field, field)}: {text}" if field else text
                for field, text in self.details]  # fmt: skip


def _split(line: str) -> tuple[str | None, str]:
    field, sep, text = line.partition(": ")
    if sep and field in WatchFields.model_fields:
        return field, text
    return None, line


class WatchNotFoundError(WatchError, LookupError):
    """No watch with that id or name in this scope."""


class DuplicateWatchError(WatchError):
    """A watch with that name already exists in this scope."""


class WatchFields(BaseModel):
    """Everything a user may set on a watch, validated together."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=MAX_NAME)
    query: str = Field(min_length=1, max_length=MAX_QUERY)
    component_type: ComponentType
    marketplace: Marketplace
    channel_id: int | None = Field(None, ge=0)
    min_price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    max_price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    conditions: list[Condition] = Field(default_factory=list)
    buying_options: list[BuyingOption] = Field(default_factory=list)
    category_ids: list[str] = Field(default_factory=list, max_length=3)
    min_seller_feedback: int | None = Field(None, ge=0)
    min_seller_percent: Decimal | None = Field(None, ge=0, le=100, decimal_places=2)
    top_rated_only: bool = False
    filters: list[AttributeFilter] = Field(default_factory=list)
    threshold: int = Field(ge=0, le=100)
    cold_start_opt_in: bool = False
    realert_step_pct: Decimal = Field(ge=0, le=100, decimal_places=2)
    poll_interval_seconds: int = Field(ge=60, le=86400)
    enabled: bool = True

    @field_validator("component_type", "marketplace", mode="before")
    @classmethod
    def _fold_case(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value.upper() if value.lower().startswith("ebay") else value.lower()
        return value

    @field_validator("conditions", mode="before")
    @classmethod
    def _condition_words(cls, value: Any) -> Any:
        # As people write them: "used", "Like New", "for-parts".
        if isinstance(value, list):
            return [_CONDITION_WORDS.get(_word(v), _word(v)) if isinstance(v, str) else v
                    for v in value]  # fmt: skip
        return value

    @field_validator("min_price", "max_price", mode="before")
    @classmethod
    def _price_as_written(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        return _plain_price(value, info.data.get("marketplace"))

    @field_validator("conditions", "buying_options", "category_ids", mode="after")
    @classmethod
    def _dedupe(cls, value: list[Any]) -> list[Any]:
        return list(dict.fromkeys(value))

    @field_validator("buying_options", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [v.strip().upper() if isinstance(v, str) else v for v in value]
        return value

    @field_validator("category_ids", mode="after")
    @classmethod
    def _numeric_ids(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.strip().isdigit():
                raise ValueError(f"eBay category ids are numbers, got {item!r}")
        return [item.strip() for item in value]

    @field_validator("filters", mode="before")
    @classmethod
    def _typed_filters(cls, value: Any, info: ValidationInfo) -> Any:
        # Filters are typed by the watch's component type (declared before them).
        if value is None:
            return []
        kind = info.data.get("component_type")
        if kind is None:
            return []  # the component_type error is reported on its own
        try:
            return [f.model_dump() for f in validate_filters(value, kind)]
        except FilterError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _price_range(self) -> WatchFields:
        low, high = self.min_price, self.max_price
        if low is not None and high is not None and low > high:
            raise ValueError(f"min_price ({low}) is above max_price ({high})")
        return self


class Watch(WatchFields):
    """A stored watch."""

    id: int
    guild_id: int | None
    owner_id: int | None
    next_run_at: datetime
    last_run_at: datetime | None
    last_sweep_at: datetime | None
    last_error: str | None
    avg_calls_per_run: float
    lease_holder: str | None
    lease_expires_at: datetime | None
    # Generated in SQL: the search it makes (watches with the same key share it), its
    # query's terms for local matching, and the categories a category feed reads for it.
    search_key: str | None = None
    query_required: list[str] = Field(default_factory=list)
    query_excluded: list[str] = Field(default_factory=list)
    query_groups: list[str] = Field(default_factory=list)
    feed_categories: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    muted_until: datetime | None = None
    delivery_error: str | None = None
    delivery_error_at: datetime | None = None

    @property
    def currency(self) -> str:
        """Currency of this watch's prices (its marketplace's)."""
        return self.marketplace.currency


EDITABLE = frozenset(WatchFields.model_fields)
_CONDITION_WORDS = {"used": "used_working", "working": "used_working", "likenew": "like_new",
                    "like_new": "like_new", "openbox": "like_new", "parts": "for_parts",
                    "forparts": "for_parts", "for_parts": "for_parts"}  # fmt: skip
# Currency marks a price may carry, and the currency each means ("$" is the watch's own
# dollar on EBAY_US and EBAY_AU).
_CURRENCY_MARKS = {"US$": {"USD"}, "AU$": {"AUD"}, "A$": {"AUD"}, "£": {"GBP"}, "€": {"EUR"},
                   "USD": {"USD"}, "AUD": {"AUD"}, "GBP": {"GBP"}, "EUR": {"EUR"},
                   "$": {"USD", "AUD"}}  # fmt: skip
_MARKS = sorted(_CURRENCY_MARKS, key=len, reverse=True)  # "US$" before "$"


def _word(value: str) -> str:
    return "_".join(value.strip().lower().replace("-", " ").split())


def _plain_price(text: str, marketplace: Marketplace | None) -> str:
    """`$60`, `60 USD`, `£1,200`, `60,50 €` as a plain decimal; a currency other than the
    marketplace's is refused, naming the one its prices are in."""
    amount = text.strip()
    upper = amount.upper()
    mark = next((m for m in _MARKS if upper.startswith(m) or upper.endswith(m)), None)
    if mark is not None:
        amount = amount[len(mark) :] if upper.startswith(mark) else amount[: -len(mark)]
        meant = _CURRENCY_MARKS[mark]
        if marketplace is not None and marketplace.currency not in meant:
            written = "dollars" if mark == "$" else next(iter(meant))
            raise ValueError(f"prices on {marketplace.value} are in {marketplace.currency}, "
                             f"not {written}; write the amount alone, e.g. 60")  # fmt: skip
    amount = amount.strip()
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d{1,2})?", amount):
        amount = amount.replace(",", "")  # 1,200.50
    elif re.fullmatch(r"\d+,\d{1,2}", amount):
        amount = amount.replace(",", ".")  # 60,50 as written in Germany
    return amount


def _problems(exc: ValidationError) -> list[tuple[str | None, str]]:
    lines: list[tuple[str | None, str]] = []
    for error in exc.errors(include_url=False):
        # `conditions.0` is the conditions' problem: users name options, not list items.
        field = str(error["loc"][0]) if error["loc"] else "watch"
        kind, ctx, got = error["type"], error.get("ctx", {}), error.get("input")
        if kind == "string_too_short":
            text = "must not be empty"
        elif kind == "string_too_long":
            text = f"must be at most {ctx['max_length']} characters (got {len(str(got))})"
        elif kind == "enum" and field == "component_type":
            text = f"unknown component type {got!r}; choose one of {choices(ComponentType)}"
        elif kind == "enum" and field == "marketplace":
            text = f"unknown marketplace {got!r}; choose one of {choices(Marketplace)}"
        elif kind == "enum" and field.startswith("conditions"):
            text = f"unknown condition {got!r}; choose from {choices(Condition)}"
        elif kind == "enum" and field.startswith("buying_options"):
            text = f"unknown buying option {got!r}; choose from {choices(BuyingOption)}"
        elif kind == "enum":
            text = f"unknown value {got!r}; choose one of {ctx.get('expected', '')}"
        elif kind in ("greater_than_equal", "less_than_equal"):
            bounds = _BOUNDS.get(field)
            text = f"must be {bounds} (got {got})" if bounds else error["msg"].lower()
        elif kind == "missing":
            text = "is required"
        elif kind == "extra_forbidden":
            text = "is not a watch setting"
        elif kind == "value_error":
            text = error["msg"].removeprefix("Value error, ")
            field = "" if field == "watch" else field
        else:
            text = error["msg"][0].lower() + error["msg"][1:]
        lines.append((field or None, text))
    return lines


_BOUNDS = {
    "threshold": "between 0 and 100",
    "realert_step_pct": "between 0 and 100",
    "min_seller_percent": "between 0 and 100",
    "poll_interval_seconds": "between 60 and 86400 seconds",
    "min_price": "0 or more",
    "max_price": "0 or more",
    "min_seller_feedback": "0 or more",
    "channel_id": "a Discord channel id",
}


def _validate(data: Mapping[str, Any]) -> WatchFields:
    try:
        return WatchFields.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidWatchError(_problems(exc)) from None


def defaults_for(settings: Settings) -> dict[str, Any]:
    """Values a new watch gets for what the user left out. A watch without a channel keeps
    none: its alerts go to its guild's default channel, else `discord.alert_channel_id`,
    whichever is set when the alert is created (core.alerts.service.destination)."""
    return {
        "marketplace": settings.ebay.default_marketplace,
        "threshold": settings.scoring.default_threshold,
        "realert_step_pct": Decimal(str(settings.alerts.default_realert_step_pct)),
        "poll_interval_seconds": settings.schedule.default_poll_interval_seconds,
    }


def unsaved(fields: Mapping[str, Any], settings: Settings, now: datetime) -> Watch:
    """A watch that is validated like a new one but never stored (id 0, local scope), for
    judging listings against what a user would write (`spt eval-alerts`)."""
    valid = _validate({**defaults_for(settings), **fields})
    return Watch(
        **valid.model_dump(), id=0, guild_id=None, owner_id=None, next_run_at=now,
        last_run_at=None, last_sweep_at=None, last_error=None, avg_calls_per_run=0.0,
        lease_holder=None, lease_expires_at=None, created_at=now, updated_at=now,
    )  # fmt: skip


_UNIT = {ComponentType.RAM: "module", ComponentType.DRIVE: "drive"}


def hints(watch: WatchFields) -> list[str]:
    """Advice on a watch as the user wrote it; shown, never applied by itself."""
    unit = _UNIT.get(watch.component_type)
    if unit is None or any(f.attribute == TOTAL_CAPACITY for f in watch.filters):
        return []
    per_unit = [f for f in watch.filters if f.attribute == "capacity_gb"]
    if not per_unit:
        return []
    total = per_unit[0].describe().replace("capacity_gb", TOTAL_CAPACITY, 1)
    return [
        f"capacity_gb is per {unit}, so a kit or lot of smaller {unit}s does not match it; "
        f"to match the listing's whole capacity (a 2x64GB kit is 128), filter on "
        f"{TOTAL_CAPACITY} instead, e.g. {total}"
    ]


def _filters_after(
    current: Watch, add: Sequence[str], remove: Sequence[str], clear: bool
) -> list[Any]:
    """The watch's filters after clearing, removing (by text or 1-based number) and adding,
    in that order; a filter to remove that is not set is an error naming those that are."""
    kept = [] if clear else list(current.filters)
    for item in remove:
        text = item.strip()
        if text.isdigit() and 1 <= int(text) <= len(kept):
            kept.pop(int(text) - 1)
            continue
        try:
            target = parse_filter(text, current.component_type)
        except FilterError as exc:
            raise InvalidWatchError([f"filters: {exc}"]) from None
        if target not in kept:
            shown = ", ".join(f.describe() for f in kept) or "none"
            raise InvalidWatchError([f"filters: {text!r} is not set (set: {shown})"])
        kept.remove(target)
    return [*kept, *add]


class WatchService:
    """Create, read, change and delete watches within one scope (a guild, or None for local)."""

    def __init__(self, pool: Pool, settings: Callable[[], Settings]) -> None:
        self._pool = pool
        self._settings = settings

    def defaults(self) -> dict[str, Any]:
        """Values a new watch gets for what the user left out, from the running settings."""
        return defaults_for(self._settings())

    async def add(
        self, guild_id: int | None, fields: Mapping[str, Any], owner_id: int | None = None
    ) -> Watch:
        """Validate and store a new watch; nothing is written if any field is bad."""
        unknown = set(fields) - EDITABLE
        if unknown:
            raise InvalidWatchError([f"{name}: is not a watch setting" for name in sorted(unknown)])
        given = {k: v for k, v in fields.items() if v is not None}
        valid = _validate({**self.defaults(), **given})
        async with self._pool.acquire() as conn:
            if await repo.find_by_name(conn, guild_id, valid.name) is not None:
                raise DuplicateWatchError(f"a watch named {valid.name!r} already exists here")
            row = await repo.insert(conn, guild_id, owner_id, _columns(valid))
        if row is None:  # lost a race with an insert of the same name
            raise DuplicateWatchError(f"a watch named {valid.name!r} already exists here")
        return Watch.model_validate(row)

    async def list(self, guild_id: int | None) -> list[Watch]:
        """Every watch in the scope, by name."""
        async with self._pool.acquire() as conn:
            rows = await repo.list_for_scope(conn, guild_id)
        return [Watch.model_validate(row) for row in rows]

    async def get(self, guild_id: int | None, ref: int | str) -> Watch:
        """A watch by id or by name (case-insensitive)."""
        async with self._pool.acquire() as conn:
            row = await _find(conn, guild_id, ref)
        return Watch.model_validate(row)

    async def edit(
        self,
        guild_id: int | None,
        ref: int | str,
        changes: Mapping[str, Any],
        *,
        add_filters: Sequence[str] = (),
        remove_filters: Sequence[str] = (),
        clear_filters: bool = False,
    ) -> Watch:
        """Apply changes to a watch, re-validating it whole; nothing is written if any is bad.

        `changes["filters"]` replaces the filters; `add_filters` adds to them,
        `remove_filters` removes some (by text or 1-based number) and `clear_filters`
        removes all first, so an edit never drops filters it was not told to.
        """
        unknown = set(changes) - EDITABLE
        if unknown:
            raise InvalidWatchError([f"{name}: is not a watch setting" for name in sorted(unknown)])
        if not changes and not add_filters and not remove_filters and not clear_filters:
            raise InvalidWatchError(["nothing to change: give at least one field"])
        async with self._pool.acquire() as conn, conn.transaction():
            current = Watch.model_validate(await _find(conn, guild_id, ref, lock=True))
            merged = {**current.model_dump(include=set(EDITABLE)), **changes}
            if add_filters or remove_filters or clear_filters:
                merged["filters"] = _filters_after(current, add_filters, remove_filters,
                                                   clear_filters)  # fmt: skip
            valid = _validate(merged)
            renamed = valid.name.lower() != current.name.lower()
            if renamed and await repo.find_by_name(conn, guild_id, valid.name) is not None:
                raise DuplicateWatchError(f"a watch named {valid.name!r} already exists here")
            row = await repo.update(conn, guild_id, current.id, _columns(valid))
        if row is None:
            raise WatchNotFoundError(f"no watch {ref!r} here")
        return Watch.model_validate(row)

    async def set_enabled(self, guild_id: int | None, ref: int | str, enabled: bool) -> Watch:
        """Pause (False) or resume (True) a watch; resuming makes it due now and unmutes it."""
        async with self._pool.acquire() as conn:
            current = await _find(conn, guild_id, ref)
            row = await repo.set_enabled(conn, guild_id, current["id"], enabled)
        if row is None:
            raise WatchNotFoundError(f"no watch {ref!r} here")
        return Watch.model_validate(row)

    async def remove(self, guild_id: int | None, ref: int | str) -> Watch:
        """Delete a watch (its hits and alerts go with it); returns what was deleted."""
        async with self._pool.acquire() as conn:
            current = await _find(conn, guild_id, ref)
            row = await repo.delete(conn, guild_id, current["id"])
        if row is None:
            raise WatchNotFoundError(f"no watch {ref!r} here")
        return Watch.model_validate(row)

    async def change_filters(
        self,
        guild_id: int | None,
        ref: int | str,
        *,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        clear: bool = False,
    ) -> Watch:
        """Add attribute filters (`capacity_gb>=32`), remove some (by text or 1-based number)
        or clear them all; the result is validated whole."""
        return await self.edit(guild_id, ref, {}, add_filters=add, remove_filters=remove,
                               clear_filters=clear)  # fmt: skip

    async def names(
        self, guild_id: int | None, fragment: str, limit: int = 25
    ) -> builtins.list[tuple[int, str, bool]]:
        """(id, name, enabled) of the scope's watches whose names contain `fragment`."""
        async with self._pool.acquire() as conn:
            rows = await repo.names(conn, guild_id, fragment.strip()[:100], limit)
        return [(r["id"], r["name"], r["enabled"]) for r in rows]

    async def alert_channels(self) -> dict[int, str]:
        """Every Discord channel alerts may go to (any scope), and why: for `spt doctor`."""
        async with self._pool.acquire() as conn:
            rows = await repo.alert_channels(conn)
        uses: dict[int, list[str]] = {}
        for row in rows:
            why = (f"guild {row['guild_id']}'s default channel" if row["guild_default"]
                   else f"{row['watches']} watch(es)")  # fmt: skip
            uses.setdefault(row["channel_id"], []).append(why)
        return {channel: ", ".join(why) for channel, why in uses.items()}

    async def stats(self, guild_id: int | None) -> dict[int, dict[str, Any]]:
        """Hits, alerts and the last alert's time per watch of the scope."""
        async with self._pool.acquire() as conn:
            return await repo.stats(conn, guild_id)

    async def overview(self, guild_id: int | None, now: datetime) -> dict[str, Any]:
        """Counts and times of the scope's watches, and the ones with problems."""
        async with self._pool.acquire() as conn:
            facts = await repo.scope_overview(conn, guild_id, now)
            facts["problems"] = await repo.problems(conn, guild_id)
        return facts


async def _find(
    conn: Any, guild_id: int | None, ref: int | str, lock: bool = False
) -> dict[str, Any]:
    text = str(ref).strip()
    if not text:
        raise WatchNotFoundError("give a watch id or name")
    row = None
    if text.isdigit():
        row = await repo.find_by_id(conn, guild_id, int(text), lock=lock)
    if row is None:
        row = await repo.find_by_name(conn, guild_id, text, lock=lock)
    if row is None:
        raise WatchNotFoundError(f"no watch {text!r} here")
    return row


def _columns(valid: WatchFields) -> dict[str, Any]:
    data = valid.model_dump(mode="python")
    data["component_type"] = valid.component_type.value
    data["marketplace"] = valid.marketplace.value
    data["conditions"] = [c.value for c in valid.conditions]
    data["buying_options"] = [b.value for b in valid.buying_options]
    data["filters"] = [f.model_dump(mode="json") for f in valid.filters]
    return data
