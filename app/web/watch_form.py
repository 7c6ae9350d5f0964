"""The dashboard's watch form: its fields under the names of the CLI's flags (`min-price`,
`filter`, `poll-interval`), read into the fields `core.watches.WatchService` validates, and
the service's problems put back next to the fields they are about, in those names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from multidict import MultiMapping

from app.web.words import BUYING_OPTION_LABELS
from core.alerts.card import CONDITION_LABELS
from core.models import BuyingOption, ComponentType, Condition, Marketplace
from core.watches import Watch

# CLI flag (the form field's name) -> WatchService field.
FLAGS = {
    "name": "name",
    "query": "query",
    "type": "component_type",
    "marketplace": "marketplace",
    "threshold": "threshold",
    "min-price": "min_price",
    "max-price": "max_price",
    "condition": "conditions",
    "buying-option": "buying_options",
    "filter": "filters",
    "category": "category_ids",
    "channel": "channel_id",
    "cold-start": "cold_start_opt_in",
    "realert-step": "realert_step_pct",
    "poll-interval": "poll_interval_seconds",
    "min-seller-feedback": "min_seller_feedback",
    "min-seller-percent": "min_seller_percent",
    "top-rated-only": "top_rated_only",
}
FIELDS = {service: flag for flag, service in FLAGS.items()}
_TEXT = ("name", "query", "type", "marketplace", "threshold", "min-price", "max-price",
         "channel", "realert-step", "poll-interval", "min-seller-feedback",
         "min-seller-percent")  # fmt: skip
_CHECKS = ("cold-start", "top-rated-only")
_CHOICES = ("condition", "buying-option")
# Without these a watch cannot be stored; blank on an edit is a mistake, not "clear it".
_REQUIRED = ("name", "query", "type", "marketplace", "threshold", "realert-step", "poll-interval")
# Service field names inside a problem's text (those with an underscore cannot be prose).
_NAMES_IN_TEXT = re.compile(r"\b(" + "|".join(s for s in FIELDS if "_" in s) + r")\b")
MAX_FILTERS = 20
CONDITIONS = [(c.value, CONDITION_LABELS.get(c.value, c.value)) for c in Condition]
BUYING_OPTIONS = [(b.value, BUYING_OPTION_LABELS.get(b.value, b.value)) for b in BuyingOption]
TYPES = [t.value for t in ComponentType]
MARKETPLACES = [m.value for m in Marketplace]


@dataclass
class WatchForm:
    """What the form shows: each field's text as typed, and problems by field."""

    values: dict[str, Any]
    problems: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def value(self, flag: str) -> Any:
        return self.values.get(flag, "")

    def has(self, flag: str, choice: str) -> bool:
        return choice in (self.values.get(flag) or [])

    @property
    def count(self) -> int:
        return sum(len(p) for p in self.problems.values()) + len(self.general)


def from_watch(watch: Watch) -> WatchForm:
    """The form filled in with a stored watch, as a user would type it."""
    return WatchForm(
        {
            "name": watch.name, "query": watch.query, "type": watch.component_type.value,
            "marketplace": watch.marketplace.value, "threshold": str(watch.threshold),
            "min-price": _text(watch.min_price), "max-price": _text(watch.max_price),
            "condition": [c.value for c in watch.conditions],
            "buying-option": [b.value for b in watch.buying_options],
            "filter": "\n".join(f.describe() for f in watch.filters),
            "category": ", ".join(watch.category_ids), "channel": _text(watch.channel_id),
            "cold-start": watch.cold_start_opt_in, "realert-step": _text(watch.realert_step_pct),
            "poll-interval": str(watch.poll_interval_seconds),
            "min-seller-feedback": _text(watch.min_seller_feedback),
            "min-seller-percent": _text(watch.min_seller_percent),
            "top-rated-only": watch.top_rated_only,
        }
    )  # fmt: skip


def from_defaults(defaults: dict[str, Any]) -> WatchForm:
    """An empty form with the values a new watch gets when they are left out."""
    marketplace = defaults["marketplace"]
    return WatchForm(
        {
            "marketplace": str(getattr(marketplace, "value", marketplace)),
            "threshold": str(defaults["threshold"]),
            "realert-step": _text(defaults["realert_step_pct"]),
            "poll-interval": str(defaults["poll_interval_seconds"]),
            "condition": [],
            "buying-option": [],
            "type": "",
        }
    )


def read(post: MultiMapping[Any]) -> WatchForm:
    """The posted form, as typed (for showing it again)."""
    values: dict[str, Any] = {flag: str(post.get(flag, "")).strip() for flag in _TEXT}
    values["filter"] = str(post.get("filter", ""))
    values["category"] = str(post.get("category", "")).strip()
    for flag in _CHOICES:
        values[flag] = [str(v).strip() for v in post.getall(flag, []) if str(v).strip()]
    for flag in _CHECKS:
        values[flag] = str(post.get(flag, "")) in ("on", "true", "1", "yes")
    return WatchForm(values)


def fields(form: WatchForm, *, new: bool) -> dict[str, Any]:
    """The WatchService fields of a posted form. A new watch leaves blank fields out (the
    service's defaults fill them); an edit clears blank optional fields and refuses blank
    required ones (`ValueError`s are collected into the form's problems)."""
    out: dict[str, Any] = {}
    for flag in _TEXT:
        text = form.values[flag]
        if text == "":
            if new:
                continue
            if flag in _REQUIRED:
                form.problems.setdefault(flag, []).append(f"{flag}: is required")
                continue
            out[FLAGS[flag]] = None
        else:
            out[FLAGS[flag]] = text
    for flag in _CHOICES:
        out[FLAGS[flag]] = list(form.values[flag])
    for flag in _CHECKS:
        out[FLAGS[flag]] = bool(form.values[flag])
    lines = [line.strip() for line in form.values["filter"].splitlines() if line.strip()]
    if len(lines) > MAX_FILTERS:
        form.problems.setdefault("filter", []).append(
            f"filter: at most {MAX_FILTERS} filters, one a line (got {len(lines)})"
        )
    out["filters"] = lines[:MAX_FILTERS]
    out["category_ids"] = [c for c in re.split(r"[\s,]+", form.values["category"]) if c]
    return out


def place(form: WatchForm, problems: list[str]) -> None:
    """Put the service's problems next to their fields, in the flags' names."""
    for problem in problems:
        head, sep, rest = problem.partition(": ")
        base = head.split(".")[0]
        if sep and base in FIELDS:
            flag = FIELDS[base]
            text = f"{flag}: {_flags_in(rest)}"
        else:  # about the whole watch (e.g. min_price above max_price): the first field named
            named = _NAMES_IN_TEXT.search(problem)
            flag = FIELDS[named.group(1)] if named else ""
            text = _flags_in(problem)
        if flag:
            form.problems.setdefault(flag, []).append(text)
        else:
            form.general.append(text)


def _flags_in(text: str) -> str:
    return _NAMES_IN_TEXT.sub(lambda m: FIELDS[m.group(1)], text)


def _text(value: Any) -> str:
    return "" if value is None else str(value)
