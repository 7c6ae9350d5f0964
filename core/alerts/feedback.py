"""Feedback closes the loop: how many of a watch's alerts people marked "Not a deal", and
which stricter setting would have left those out.

A suggestion is text only: nothing here changes a watch. Counts cover delivered alerts
created within the window, in one scope (a guild, or None for the local scope).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from core.alerts.actions import NOT_A_DEAL
from core.attributes import attributes_for
from core.clock import Clock
from core.db import feedback as repo
from core.db.pool import Pool
from core.filters import FilterError, parse_filter
from core.watches import Watch

PRECISION_DAYS = 90  # the window `/watch show` and the dashboard report
# A watch gets a suggestion when, among its alerts of the last SUGGEST_DAYS, at least
# SUGGEST_MIN_PRESSES were marked "Not a deal" and they are at least SUGGEST_MIN_SHARE of
# the delivered ones: one or two presses are one member's taste, and a smaller share
# means the watch mostly finds what people want.
SUGGEST_DAYS = 30
SUGGEST_MIN_PRESSES = 3
SUGGEST_MIN_SHARE = 0.30
# Presses "concentrate" on a product key when it has at least this share of them; then a
# filter or a price cap that leaves that product out fits better than a higher threshold,
# which would cost the watch its good alerts on every other product too.
KEY_SHARE = 0.60
THRESHOLD_STEP = 5  # how far one suggestion raises the threshold (scores are 0-100)
# Shared by every component type; too coarse to tell one product from another.
_COMMON_ATTRIBUTES = frozenset({"condition", "quantity"})


@dataclass(frozen=True)
class Precision:
    """A watch's delivered alerts in a window and how many were marked not a deal."""

    watch_id: int
    days: int
    delivered: int
    not_a_deal: int
    # Not-a-deal presses per product key (None: no key), most first; keys without presses
    # are left out.
    by_product_key: tuple[tuple[str | None, int], ...] = ()

    @property
    def kept(self) -> int:
        """Delivered alerts nobody marked not a deal."""
        return self.delivered - self.not_a_deal

    @property
    def precision(self) -> float | None:
        """(delivered - not a deal) / delivered; None before any alert was delivered."""
        return self.kept / self.delivered if self.delivered else None

    def summary(self) -> str:
        """The sentence every front end shows after "Precision from feedback: "."""
        window = f"last {self.days} days"
        if self.not_a_deal == 0:
            if self.delivered == 0:
                return f"no feedback yet (no alerts delivered in the {window})"
            alerts = "alert" if self.delivered == 1 else "alerts"
            return f"no feedback yet ({self.delivered} {alerts} delivered in the {window})"
        alerts = "alert" if self.delivered == 1 else "alerts"
        # Never "100%" with a press, nor "0%" with an alert kept.
        percent = min(99, round(100 * self.kept / self.delivered))
        percent = max(percent, 1) if self.kept else 0
        return (f"{self.kept} of {self.delivered} {alerts} kept ({percent}%), "
                f"{self.not_a_deal} marked not a deal ({window})")  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures (for `spt watch show --json`)."""
        return {
            "days": self.days,
            "delivered": self.delivered,
            "not_a_deal": self.not_a_deal,
            "kept": self.kept,
            "precision": round(self.precision, 3) if self.precision is not None else None,
            "not_a_deal_by_product_key": [
                {"product_key": key, "not_a_deal": count} for key, count in self.by_product_key
            ],
        }


@dataclass(frozen=True)
class Suggestion:
    """A stricter setting for a watch whose alerts were often not deals. Never applied."""

    setting: str  # "threshold", "max_price" or "filter" (a filter to add)
    value: str  # "85", "45.00", "capacity_gb>=32"
    change: str  # "raise the threshold from 80 to 85"
    reason: str  # "4 of 10 alerts in the last 30 days were marked not a deal"

    def as_dict(self) -> dict[str, str]:
        """JSON-ready fields."""
        return {"setting": self.setting, "value": self.value, "change": self.change,
                "reason": self.reason}  # fmt: skip


@dataclass(frozen=True)
class JudgedAlert:
    """One delivered alert as the suggestion rules read it."""

    unit_price: Decimal
    not_a_deal: bool
    product_key: str | None
    attributes: dict[str, Any]


def _precision(watch_id: int, days: int, rows: Iterable[dict[str, Any]]) -> Precision:
    delivered = not_a_deal = 0
    per_key: list[tuple[str | None, int]] = []
    for row in rows:
        delivered += int(row["delivered"])
        not_a_deal += int(row["not_a_deal"])
        if row["not_a_deal"]:
            per_key.append((row["product_key"], int(row["not_a_deal"])))
    per_key.sort(key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
    return Precision(watch_id, days, delivered, not_a_deal, tuple(per_key))


def _flagged(precision: Precision) -> bool:
    """Enough presses, and a large enough share of the delivered alerts, to suggest."""
    pressed = precision.not_a_deal
    return pressed >= SUGGEST_MIN_PRESSES and pressed >= SUGGEST_MIN_SHARE * precision.delivered


class FeedbackService:
    """Precision from feedback and stricter-setting suggestions, within one scope."""

    def __init__(self, pool: Pool, clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    def _since(self, days: int) -> datetime:
        if days < 1:
            raise ValueError("days must be at least 1")
        return self._clock() - timedelta(days=days)

    async def watch_precision(
        self, guild_id: int | None, watch_id: int, days: int = PRECISION_DAYS
    ) -> Precision:
        """One watch's delivered alerts, not-a-deal presses and precision over `days`."""
        async with self._pool.acquire() as conn:
            rows = await repo.counts(conn, guild_id, self._since(days), watch_id)
        return _precision(watch_id, days, rows)

    async def precision_by_watch(
        self, guild_id: int | None, days: int = PRECISION_DAYS
    ) -> dict[int, Precision]:
        """The same for every watch of the scope that delivered alerts (for the dashboard)."""
        async with self._pool.acquire() as conn:
            rows = await repo.counts(conn, guild_id, self._since(days))
        grouped: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            grouped.setdefault(row["watch_id"], []).append(row)
        return {w: _precision(w, days, found) for w, found in grouped.items()}

    async def suggestion(
        self, guild_id: int | None, watch: Watch, days: int = SUGGEST_DAYS
    ) -> Suggestion | None:
        """A stricter setting when the watch's alerts were often marked not a deal."""
        async with self._pool.acquire() as conn:
            rows = await repo.judged_alerts(conn, guild_id, watch.id, self._since(days))
        judged = [
            JudgedAlert(r["unit_price"], r["feedback"] == NOT_A_DEAL, r["product_key"],
                        r["attributes"] or {})
            for r in rows
        ]  # fmt: skip
        return suggest(watch, judged, days)

    async def review(
        self, guild_id: int | None, watch: Watch
    ) -> tuple[Precision, Suggestion | None]:
        """What `/watch show` reports: precision over PRECISION_DAYS and any suggestion."""
        precision = await self.watch_precision(guild_id, watch.id)
        return precision, await self.suggestion(guild_id, watch)

    async def suggestions(
        self, guild_id: int | None, watches: Sequence[Watch]
    ) -> dict[int, Suggestion]:
        """Suggestions for the scope's watches that need one (only those are read in full)."""
        recent = await self.precision_by_watch(guild_id, SUGGEST_DAYS)
        found: dict[int, Suggestion] = {}
        for watch in watches:
            counted = recent.get(watch.id)
            if counted is not None and _flagged(counted):
                suggestion = await self.suggestion(guild_id, watch)
                if suggestion is not None:
                    found[watch.id] = suggestion
        return found


def suggest(
    watch: Watch, judged: Sequence[JudgedAlert], days: int = SUGGEST_DAYS
) -> Suggestion | None:
    """The rules: a filter or a price cap that leaves out the product the presses concentrate
    on and keeps every alert nobody objected to; otherwise a higher threshold."""
    pressed = [j for j in judged if j.not_a_deal]
    kept = [j for j in judged if not j.not_a_deal]
    counted = Precision(watch.id, days, len(judged), len(pressed))
    if not _flagged(counted):
        return None
    alerts = "alert was" if len(judged) == 1 else "alerts were"
    reason = (f"{len(pressed)} of {len(judged)} {alerts} marked not a deal in the last "
              f"{days} days")  # fmt: skip
    keys = Counter(j.product_key for j in pressed if j.product_key is not None)
    if keys:
        key, count = min(keys.items(), key=lambda kv: (-kv[1], kv[0]))
        if count >= KEY_SHARE * len(pressed):
            on_key = [j for j in pressed if j.product_key == key]
            why = f"{reason}, {count} of them on {key}"
            flt = _separating_filter(watch, on_key, kept)
            if flt is not None:
                return Suggestion("filter", flt, f"add the filter {flt}, which leaves out {key}",
                                  why)  # fmt: skip
            cap = _price_cap(watch, on_key, kept)
            if cap is not None:
                return Suggestion(
                    "max_price", str(cap),
                    f"set the max unit price to {cap} {watch.currency}, under every "
                    f"not-a-deal price of {key}", why,
                )  # fmt: skip
    if watch.threshold >= 100:
        return None  # nothing stricter to say about the threshold
    raised = min(100, watch.threshold + THRESHOLD_STEP)
    change = f"raise the threshold from {watch.threshold} to {raised}"
    return Suggestion("threshold", str(raised), change, reason)


def _separating_filter(
    watch: Watch, pressed: Sequence[JudgedAlert], kept: Sequence[JudgedAlert]
) -> str | None:
    """An attribute filter every kept alert passes and every pressed one fails, if any."""
    if not kept:
        return None  # nothing people kept to tell the product apart from
    for spec in attributes_for(watch.component_type).values():
        if spec.name in _COMMON_ATTRIBUTES:
            continue
        bad = [j.attributes.get(spec.name) for j in pressed]
        good = [j.attributes.get(spec.name) for j in kept]
        if any(v is None for v in (*bad, *good)):
            continue  # an attribute a title did not state cannot separate them
        text = _numeric_cut(spec.name, bad, good) if spec.numeric else _value_cut(
            spec.name, bad, good)  # fmt: skip
        if text is None:
            continue
        try:
            parsed = parse_filter(text, watch.component_type)
        except FilterError:
            continue
        if parsed not in watch.filters:
            return parsed.describe()
    return None


def _numeric_cut(name: str, bad: Sequence[Any], good: Sequence[Any]) -> str | None:
    """`name>=x` or `name<=x` when the pressed values all lie on one side of the kept ones."""
    if not all(_is_number(v) for v in (*bad, *good)):
        return None
    low: float = min(good)
    high: float = max(good)
    if max(bad) < low:
        return f"{name}>={low:g}"
    if min(bad) > high:
        return f"{name}<={high:g}"
    return None


def _value_cut(name: str, bad: Sequence[Any], good: Sequence[Any]) -> str | None:
    """`name=v` or `name in a,b` (the kept values) when no pressed value is among them."""
    kept = sorted({str(v) for v in good})
    if {str(v) for v in bad} & set(kept):
        return None
    return f"{name}={kept[0]}" if len(kept) == 1 else f"{name} in {','.join(kept)}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _price_cap(
    watch: Watch, pressed: Sequence[JudgedAlert], kept: Sequence[JudgedAlert]
) -> Decimal | None:
    """The highest kept unit price, when every pressed alert cost more than every kept one."""
    if not kept:
        return None
    cap = max(j.unit_price for j in kept)
    if min(j.unit_price for j in pressed) <= cap:
        return None
    if watch.max_price is not None and watch.max_price <= cap:
        return None  # the watch is already at least that strict
    return cap.quantize(Decimal("0.01"))
