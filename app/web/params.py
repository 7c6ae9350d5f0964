"""Query parameters of the dashboard's pages, validated: a bad one is a 400 saying why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, TypeVar
from urllib.parse import urlencode

from multidict import MultiMapping
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.models import ComponentType, Marketplace, choices

P = TypeVar("P", bound="Params")
MAX_PAGE = 1000
ALERT_STATUSES = ("pending", "queued", "delivered", "failed", "dismissed", "muted", "capped")


class BadRequestError(Exception):
    """Parameters that cannot be used; `problems` has one line per bad parameter."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Params(BaseModel):
    """Every page takes `scope`: `local` or a Discord guild id."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    scope: str | None = Field(None, pattern=r"^(local|[0-9]{1,20})$")


class Paged(Params):
    page: int = Field(1, ge=1, le=MAX_PAGE)


class ListingParams(Paged):
    watch: int | None = Field(None, ge=1)
    type: ComponentType | None = None
    marketplace: Marketplace | None = None
    min_score: float | None = Field(None, ge=0, le=100)
    max_score: float | None = Field(None, ge=0, le=100)
    min_price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    max_price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    q: str | None = Field(None, max_length=200)
    sort: Literal["recent", "score", "price", "price_desc"] = "recent"

    @model_validator(mode="after")
    def _ranges(self) -> ListingParams:
        low, high = self.min_score, self.max_score
        if low is not None and high is not None and low > high:
            raise ValueError(f"min_score ({low:g}) is above max_score ({high:g})")
        cheap, dear = self.min_price, self.max_price
        if cheap is not None and dear is not None and cheap > dear:
            raise ValueError(f"min_price ({cheap}) is above max_price ({dear})")
        return self


class BaselineParams(Paged):
    q: str | None = Field(None, max_length=100)
    currency: Literal["USD", "GBP", "EUR", "AUD"] | None = None
    min_samples: int = Field(0, ge=0, le=1_000_000)


class BaselineDetailParams(Params):
    currency: Literal["USD", "GBP", "EUR", "AUD"] | None = None
    days: int = Field(90, ge=1, le=3650)


class ChartParams(Params):
    """A chart's width: `narrow` for phones."""

    size: Literal["wide", "narrow"] = "wide"


class BaselineChartParams(BaselineDetailParams):
    size: Literal["wide", "narrow"] = "wide"


class WatchesParams(Params):
    """`saved`: the watch just added or changed (the page says so)."""

    saved: int | None = Field(None, ge=1)


class LoginParams(Params):
    """`next`: the page of this server to go back to after signing in."""

    next: str | None = Field(None, max_length=1000, pattern=r"^/")  # pages._local does the rest


class AlertParams(Paged):
    status: (
        Literal["pending", "queued", "delivered", "failed", "dismissed", "muted", "capped"] | None
    ) = None
    watch: int | None = Field(None, ge=1)


def parse(model: type[P], query: MultiMapping[str]) -> P:
    """Validate a page's query; empty fields (a form's "any") count as not given."""
    repeated = sorted({k for k in query if len(query.getall(k)) > 1})
    if repeated:
        raise BadRequestError([f"{name}: give it once" for name in repeated])
    given = {k: v for k, v in query.items() if v.strip() != ""}
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        raise BadRequestError(_problems(exc)) from None


def _problems(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors(include_url=False):
        name = ".".join(str(p) for p in error["loc"])
        got = error.get("input")
        kind = error["type"]
        if kind == "extra_forbidden":
            text = "is not a parameter of this page"
        elif name == "type" and kind == "enum":
            text = f"unknown type {got!r}; choose one of {choices(ComponentType)}"
        elif name == "marketplace" and kind == "enum":
            text = f"unknown marketplace {got!r}; choose one of {choices(Marketplace)}"
        elif name == "scope":
            text = f"{got!r} is neither 'local' nor a Discord guild id"
        elif kind in ("int_parsing", "float_parsing", "decimal_parsing"):
            text = f"{got!r} is not a number"
        elif kind == "value_error":
            name, text = "", error["msg"].removeprefix("Value error, ")
        else:
            text = error["msg"][0].lower() + error["msg"][1:]
            if got is not None and kind not in ("string_too_long",):
                text += f" (got {str(got)[:50]!r})"
        lines.append(f"{name}: {text}" if name else text)
    return lines


def scope_of(params: Params, known: list[int | None]) -> int | None:
    """The scope a page shows: the one asked for, else the first that has watches."""
    if params.scope == "local":
        return None
    if params.scope is not None:
        return int(params.scope)
    return known[0] if known else None


def scope_param(scope: int | None) -> str:
    """The `scope` value naming a scope in links."""
    return "local" if scope is None else str(scope)


def query_string(params: BaseModel, **changes: Any) -> str:
    """The page's parameters as a query string, with some changed (pagination, sorting)."""
    values = {k: v for k, v in params.model_dump(mode="json").items() if v not in (None, "")}
    values.update(changes)
    values = {k: v for k, v in values.items() if v not in (None, "")}
    if values.get("page") == 1:
        values.pop("page")
    return urlencode(values)
