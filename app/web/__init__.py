"""The web dashboard, mounted on the side server: server-rendered pages, no JavaScript."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from app.web import pages, words
from core.alerts.card import CONDITION_LABELS, safe_url
from core.pricing.wording import amount, market_phrase

if TYPE_CHECKING:
    from app.services import Services

HERE = Path(__file__).parent


def money(amount: Decimal | float | None, currency: str = "") -> str:
    """`1,234.50 USD`, or an em dash when unknown."""
    if amount is None:
        return "—"
    return f"{Decimal(str(amount)):,.2f} {currency}".strip()


def ago(moment: datetime | None) -> str:
    """`5 min ago` / `in 3 h` for people; the exact time goes in a title attribute."""
    if moment is None:
        return "never"
    seconds = (moment - datetime.now(UTC)).total_seconds()
    size = abs(seconds)
    for unit, span in (("d", 86400), ("h", 3600), ("min", 60)):
        if size >= span:
            text = f"{size / span:.0f} {unit}"
            break
    else:
        text = f"{size:.0f} s"
    return f"in {text}" if seconds > 0 else f"{text} ago"


def setup(app: web.Application, services: Services) -> None:
    """Add the dashboard's routes, templates and middlewares to the side server's app."""
    app[pages.SERVICES] = services
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(money=money, ago=ago, safe_url=safe_url, price=_price,
                       time_left=words.time_left, type_label=words.type_label,
                       marketplace_label=words.marketplace_label)  # fmt: skip
    env.globals.update(conditions=CONDITION_LABELS, iso=_iso, market_phrase=market_phrase,
                       attribute_name=words.attribute_name,
                       attribute_value=words.attribute_value,
                       buying_option_labels=words.BUYING_OPTION_LABELS,
                       type_label_of=words.type_label,
                       marketplace_label_of=words.marketplace_label)  # fmt: skip
    app.middlewares.extend([pages.errors, pages.security_headers])
    routes = app.router
    routes.add_get("/", pages.deals)
    routes.add_get("/watches", pages.watches)
    routes.add_get("/watches/new", pages.watch_new)
    routes.add_post("/watches/new", pages.watch_create)
    routes.add_get(r"/watches/{watch_id}/edit", pages.watch_edit)
    routes.add_post(r"/watches/{watch_id}/edit", pages.watch_update)
    routes.add_get("/listings", pages.listings)
    routes.add_get(r"/listings/{listing_id}", pages.listing)
    routes.add_get(r"/listings/{listing_id}/history.svg", pages.listing_history)
    routes.add_get("/baselines", pages.baselines)
    routes.add_get(r"/baselines/{key}", pages.baseline)
    routes.add_get(r"/baselines/{key}/{currency:[A-Z]{3}}/{chart:distribution|trend}.svg",
                   pages.baseline_chart)  # fmt: skip
    routes.add_get("/alerts", pages.alerts)
    routes.add_post(r"/alerts/{alert_id}/{action:dismiss|restore}", pages.alert_action)
    routes.add_post(r"/watches/{watch_id}/{action:pause|resume}", pages.watch_action)
    routes.add_get("/login", pages.login_form)
    routes.add_post("/login", pages.login)
    routes.add_post("/logout", pages.logout)
    routes.add_static("/static/", HERE / "static", append_version=True)


def _price(value: Decimal | float | None, currency: str) -> str:
    """`$194`, `£19.50`: an amount as the market wording writes it; a dash when unknown."""
    return "—" if value is None else amount(value, currency)


def _iso(moment: Any) -> str:
    return moment.isoformat(timespec="seconds") if isinstance(moment, datetime) else ""
