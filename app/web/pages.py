"""The dashboard's pages: the best deals, watches (and their form), listings, a listing,
baselines, a baseline, alerts.

Every page is scoped (`?scope=local` or a guild id; by default the first scope that has
watches) and reads through the same core services as the bot's commands. Pages render on
the server and work without JavaScript; charts are SVG images drawn in worker threads.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDict, MultiMapping

from app.render import cli_command, slash_command
from app.web import auth, watch_form
from app.web.params import (
    ALERT_STATUSES,
    AlertParams,
    BadRequestError,
    BaselineChartParams,
    BaselineDetailParams,
    BaselineParams,
    ChartParams,
    ListingParams,
    LoginParams,
    Params,
    WatchesParams,
    parse,
    query_string,
    scope_of,
    scope_param,
)
from core import charts
from core.alerts.actions import AlertNotFoundError
from core.alerts.feedback import PRECISION_DAYS, FeedbackService, Precision
from core.browse import BrowseError, ListingFilters, ListingNotFoundError
from core.models import ComponentType, Marketplace
from core.watches import DuplicateWatchError, InvalidWatchError, WatchNotFoundError, hints

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)
SERVICES: web.AppKey[Services] = web.AppKey("dashboard_services")
SVG = "image/svg+xml"
SCOPES: web.RequestKey[list[int | None]] = web.RequestKey("scopes", list)


class PageNotFoundError(LookupError):
    """No such page or item in this scope."""


def _services(request: web.Request) -> Services:
    return request.app[SERVICES]


def _token(request: web.Request) -> Any:
    return _services(request).holder.current.web.admin_token


async def _context(request: web.Request, page: Params, /, **values: Any) -> dict[str, Any]:
    """What every page's template gets: scopes, sign-in state, the CSRF token."""
    scopes = await _scopes(request)
    scope = scope_of(page, scopes)
    if scope not in scopes:
        scopes = [scope, *scopes]
    token = _token(request)
    session = auth.session_of(request, token)
    return {
        "scope": scope,
        "scope_param": scope_param(scope),
        "scopes": [(scope_param(s), "Local (CLI)" if s is None else f"Guild {s}") for s in scopes],
        "read_only": token is None,
        "admin": session is not None,
        "csrf": auth.csrf_token(token, session) if session is not None else "",
        "path": request.path_qs,
        "now": datetime.now(UTC),
        **values,
    }


async def _scopes(request: web.Request) -> list[int | None]:
    """The scopes that have watches, read once per request (the page and its frame ask)."""
    if SCOPES not in request:
        request[SCOPES] = await _services(request).alerts.scopes()
    return request[SCOPES]


async def _resolved_scope(request: web.Request, params: Params) -> int | None:
    return scope_of(params, await _scopes(request))


# ------------------------------------------------------------------ pages


@aiohttp_jinja2.template("deals.html")
async def deals(request: web.Request) -> dict[str, Any]:
    """The home page: the scope's best current deals, best first, with what makes each one
    (how far under the median, the saving, the lowest price seen lately) and its score."""
    params = parse(Params, request.query)
    scope = await _resolved_scope(request, params)
    services = _services(request)
    found = await services.browser.deals(scope, services.holder.current.web.page_size)
    # Without deals the page says whether the scope has watches at all.
    count = 0 if found else len(await services.watches.list(scope))
    return await _context(request, params, deals=found, watch_count=count)


@aiohttp_jinja2.template("watches.html")
async def watches(request: web.Request) -> dict[str, Any]:
    """The scope's watches: state, marketplace, threshold, runs, hits, alerts, precision
    from "Not a deal" feedback and any stricter setting worth trying."""
    params = parse(WatchesParams, request.query)
    scope = await _resolved_scope(request, params)
    services = _services(request)
    found = await services.watches.list(scope)
    stats = await services.watches.stats(scope)
    feedback = FeedbackService(services.db.pool, lambda: datetime.now(UTC))
    counted = await feedback.precision_by_watch(scope)
    precision = {w.id: counted.get(w.id) or Precision(w.id, PRECISION_DAYS, 0, 0) for w in found}
    # A guild's members change watches in Discord; the local scope's owner with the CLI.
    command = slash_command if scope is not None else cli_command
    by_id = {w.id: w for w in found}
    suggestions = {
        watch_id: (suggestion, command(by_id[watch_id], suggestion))
        for watch_id, suggestion in (await feedback.suggestions(scope, found)).items()
    }
    saved = next((w for w in found if w.id == params.saved), None)
    return await _context(request, params, watches=found, stats=stats, precision=precision,
                          suggestions=suggestions, saved=saved,
                          hints=hints(saved) if saved else [])  # fmt: skip


@aiohttp_jinja2.template("listings.html")
async def listings(request: web.Request) -> dict[str, Any]:
    """Listings, newest first: filters, text search, sorting and pages."""
    params = parse(ListingParams, request.query)
    scope = await _resolved_scope(request, params)
    services = _services(request)
    filters = ListingFilters(
        watch_id=params.watch, kind=params.type,
        marketplace=params.marketplace.value if params.marketplace else None,
        min_score=params.min_score, max_score=params.max_score, min_price=params.min_price,
        max_price=params.max_price, text=params.q, sort=params.sort,
    )  # fmt: skip
    if params.watch is not None:
        await services.watches.get(scope, params.watch)  # another scope's watch: 404
    size = services.holder.current.web.page_size
    result = await services.browser.page(scope, filters, params.page, size)
    return await _context(
        request, params, params=params, page=result, watches=await services.watches.list(scope),
        types=[t.value for t in ComponentType], marketplaces=[m.value for m in Marketplace],
        previous=query_string(params, page=params.page - 1) if params.page > 1 else None,
        following=query_string(params, page=params.page + 1) if result.has_next else None,
        sort_link=lambda sort: query_string(params, sort=sort, page=1),
    )  # fmt: skip


@aiohttp_jinja2.template("listing.html")
async def listing(request: web.Request) -> dict[str, Any]:
    """One listing: attributes, extraction, score breakdown, baseline, price history."""
    params = parse(Params, request.query)
    scope = await _resolved_scope(request, params)
    detail = await _services(request).browser.detail(scope, _id(request, "listing_id"))
    return await _context(request, params, detail=detail)


async def listing_history(request: web.Request) -> web.Response:
    """The listing's price-history chart (SVG): its own prices, each held until the next
    (the last until it was last seen), against its product's daily P25-P75 band and median
    over the same days (the current baseline's when no day is recorded)."""
    params = parse(ChartParams, request.query)
    scope = await _resolved_scope(request, params)
    browser = _services(request).browser
    detail = await browser.detail(scope, _id(request, "listing_id"))
    if not detail.history:
        raise PageNotFoundError("no price history yet")
    s, b = detail.summary, detail.baseline
    market = []
    if s.product_key:
        days = await browser.market_days(s.product_key, s.currency, detail.history[0].at)
        market = [(d.day, d.p25, d.p50, d.p75) for d in days]
    svg = await asyncio.to_thread(
        charts.price_history, [(p.at, p.unit_price) for p in detail.history], s.currency,
        p25=b.p25 if b else None, p50=b.p50 if b else None, p75=b.p75 if b else None,
        market=market, until=s.last_seen_at, fmt="svg", theme="light", size=params.size,
    )  # fmt: skip
    return web.Response(body=svg, content_type=SVG)


@aiohttp_jinja2.template("baselines.html")
async def baselines(request: web.Request) -> dict[str, Any]:
    """Every product's market: percentiles and sample counts, most samples first."""
    params = parse(BaselineParams, request.query)
    services = _services(request)
    size = services.holder.current.web.page_size
    found = await services.baselines.search(
        params.currency, params.min_samples, None, size + 1, (params.page - 1) * size,
        params.q.lower() if params.q else None,
    )  # fmt: skip
    return await _context(
        request, params, params=params, baselines=found[:size],
        min_samples=services.holder.current.scoring.cold_start_min_samples,
        previous=query_string(params, page=params.page - 1) if params.page > 1 else None,
        following=query_string(params, page=params.page + 1) if len(found) > size else None,
    )  # fmt: skip


@aiohttp_jinja2.template("baseline.html")
async def baseline(request: web.Request) -> dict[str, Any]:
    """One product's market per currency, its distribution and trend charts, its history."""
    params = parse(BaselineDetailParams, request.query)
    key = request.match_info["key"]
    services = _services(request)
    found = await services.baselines.get(key)
    if params.currency is not None:
        found = [b for b in found if b.currency == params.currency]
    if not found:
        raise PageNotFoundError(f"no baseline for {key[:100]!r}")
    history = {b.currency: await services.baselines.history(b.product_key, b.currency,
                                                           params.days) for b in found}  # fmt: skip
    return await _context(
        request, params, key=found[0].product_key, baselines=found, history=history,
        days=params.days, min_samples=services.holder.current.scoring.cold_start_min_samples,
    )  # fmt: skip


async def baseline_chart(request: web.Request) -> web.Response:
    """A baseline's price distribution or daily trend (SVG)."""
    params = parse(BaselineChartParams, request.query)
    key, currency, kind = (request.match_info[k] for k in ("key", "currency", "chart"))
    services = _services(request)
    matching = [b for b in await services.baselines.get(key) if b.currency == currency]
    found = matching[0] if matching else None
    if found is None:
        raise PageNotFoundError(f"no {currency[:3]} baseline for {key[:100]!r}")
    if kind == "distribution":
        prices = await services.browser.sample_prices(found.product_key, currency)
        if not prices:
            raise PageNotFoundError("no prices in the baseline's window")
        svg = await asyncio.to_thread(
            charts.price_distribution, prices, currency, fmt="svg", theme="light",
            size=params.size, percentiles={"P10": found.p10, "P50": found.p50, "P90": found.p90},
        )  # fmt: skip
    else:
        days = await services.baselines.history(found.product_key, currency, params.days)
        rows = [(d["day"], d["p25"], d["p50"], d["p75"]) for d in days]
        if not rows:
            raise PageNotFoundError("no history yet")
        svg = await asyncio.to_thread(charts.baseline_trend, rows, currency, fmt="svg",
                                      theme="light", size=params.size)  # fmt: skip
    return web.Response(body=svg, content_type=SVG)


@aiohttp_jinja2.template("alerts.html")
async def alerts(request: web.Request) -> dict[str, Any]:
    """Alert history: status, delivery attempts, feedback; dismiss and restore."""
    params = parse(AlertParams, request.query)
    scope = await _resolved_scope(request, params)
    services = _services(request)
    size = services.holder.current.web.page_size
    rows = await services.alerts.history(
        scope, status=params.status, watch_id=params.watch, limit=size + 1,
        offset=(params.page - 1) * size,
    )  # fmt: skip
    return await _context(
        request, params, params=params, alerts=rows[:size], statuses=ALERT_STATUSES,
        previous=query_string(params, page=params.page - 1) if params.page > 1 else None,
        following=query_string(params, page=params.page + 1) if len(rows) > size else None,
    )  # fmt: skip


# ------------------------------------------------------------------ signing in and changes


@aiohttp_jinja2.template("login.html")
async def login_form(request: web.Request) -> dict[str, Any]:
    """The sign-in form (or a note that the dashboard is read-only)."""
    params = parse(LoginParams, request.query)
    return await _context(request, params, failed=False, next=_next(params))


async def login(request: web.Request) -> web.StreamResponse:
    """Sign in with the admin token; a wrong one waits a moment and says so."""
    form = await request.post()
    token = _token(request)
    if not auth.token_matches(token, str(form.get("token", ""))):
        log.warning("dashboard sign-in refused (wrong token) from %s", request.remote)
        await asyncio.sleep(0.5)  # slows guessing
        context = await _context(request, Params(), failed=True,
                                 next=_local(str(form.get("next", "/"))))  # fmt: skip
        response = aiohttp_jinja2.render_template("login.html", request, context)
        response.set_status(403)
        return response
    redirect = web.HTTPSeeOther(_local(str(form.get("next", "/"))))
    auth.set_session(redirect, token)
    raise redirect


async def logout(request: web.Request) -> web.StreamResponse:
    """Sign out."""
    redirect = web.HTTPSeeOther("/")
    auth.clear_session(redirect)
    raise redirect


async def alert_action(request: web.Request) -> web.StreamResponse:
    """Dismiss or restore an alert (admin only, CSRF-checked)."""
    form = await _change(request)
    scope = await _resolved_scope(request, parse(Params, _form_scope(form)))
    actions = _services(request).actions
    alert_id = int(_id(request, "alert_id"))
    if request.match_info["action"] == "dismiss":
        await actions.dismiss(scope, alert_id, None)
    else:
        await actions.restore(scope, alert_id)
    raise web.HTTPSeeOther(_local(str(form.get("next", "/alerts"))))


async def watch_action(request: web.Request) -> web.StreamResponse:
    """Pause or resume a watch (admin only, CSRF-checked)."""
    form = await _change(request)
    scope = await _resolved_scope(request, parse(Params, _form_scope(form)))
    enabled = request.match_info["action"] == "resume"
    await _services(request).watches.set_enabled(scope, int(_id(request, "watch_id")), enabled)
    raise web.HTTPSeeOther(_local(str(form.get("next", "/watches"))))


# ------------------------------------------------------------------ the watch form


async def watch_new(request: web.Request) -> web.StreamResponse:
    """The form for a new watch in the scope (admin only)."""
    params = parse(Params, request.query)
    _require_session(request)
    form = watch_form.from_defaults(_services(request).watches.defaults())
    return await _watch_page(request, params, form, None)


async def watch_edit(request: web.Request) -> web.StreamResponse:
    """The form for one of the scope's watches, filled in (admin only)."""
    params = parse(Params, request.query)
    _require_session(request)
    scope = await _resolved_scope(request, params)
    found = await _services(request).watches.get(scope, int(_id(request, "watch_id")))
    return await _watch_page(request, params, watch_form.from_watch(found), found.id)


async def watch_create(request: web.Request) -> web.StreamResponse:
    """Add the posted watch to the scope (admin only, CSRF-checked), or show the form again
    with each problem next to its field."""
    return await _watch_save(request, None)


async def watch_update(request: web.Request) -> web.StreamResponse:
    """Save the posted changes to a watch (admin only, CSRF-checked)."""
    return await _watch_save(request, int(_id(request, "watch_id")))


async def _watch_save(request: web.Request, watch_id: int | None) -> web.StreamResponse:
    post = await _change(request)
    params = parse(Params, _form_scope(post))
    scope = await _resolved_scope(request, params)
    service = _services(request).watches
    if watch_id is not None:
        await service.get(scope, watch_id)  # another scope's watch: 404, whatever the form says
    form = watch_form.read(post)
    fields = watch_form.fields(form, new=watch_id is None)
    if not form.problems:
        try:
            if watch_id is None:
                saved = await service.add(scope, fields)
            else:
                saved = await service.edit(scope, watch_id, fields)
        except InvalidWatchError as exc:
            watch_form.place(form, exc.problems)
        except DuplicateWatchError as exc:
            form.problems.setdefault("name", []).append(f"name: {exc}")
        else:
            query = {"scope": scope_param(scope), "saved": str(saved.id)}
            raise web.HTTPSeeOther(f"/watches?{urlencode(query)}#watch-{saved.id}")
    response = await _watch_page(request, params, form, watch_id)
    response.set_status(400)
    return response


async def _watch_page(
    request: web.Request, params: Params, form: watch_form.WatchForm, watch_id: int | None
) -> web.Response:
    context = await _context(
        request, params, form=form, watch_id=watch_id, types=watch_form.TYPES,
        marketplaces=watch_form.MARKETPLACES, conditions_choices=watch_form.CONDITIONS,
        buying_options=watch_form.BUYING_OPTIONS,
    )  # fmt: skip
    return aiohttp_jinja2.render_template("watch_form.html", request, context)


def _require_session(request: web.Request) -> None:
    """Forms that change something are for the signed-in admin; others go to sign in."""
    token = _token(request)
    if token is None:
        raise auth.ForbiddenError("the dashboard is read-only: set web.admin_token to allow "
                                  "changes")  # fmt: skip
    if auth.session_of(request, token) is None:
        raise web.HTTPSeeOther(f"/login?{urlencode({'next': request.path_qs})}")


async def _change(request: web.Request) -> MultiMapping[Any]:
    form = await request.post()
    auth.check_change(request, _token(request), str(form.get("csrf", "")))
    return form


def _form_scope(form: MultiMapping[Any]) -> MultiMapping[str]:
    scope = str(form.get("scope", "")).strip()
    return MultiDict({"scope": scope} if scope else {})


def _id(request: web.Request, name: str) -> str:
    value = request.match_info[name]
    if not value.isdigit() or len(value) > 19:
        raise PageNotFoundError(f"no such {name.removesuffix('_id')}")
    return value


def _next(params: LoginParams) -> str:
    """Where signing in goes back to: the page asked for, else the scope's home."""
    if params.next and not params.next.startswith("/login"):
        return _local(params.next)
    return f"/?{urlencode({'scope': params.scope})}" if params.scope else "/"


def _local(target: str) -> str:
    """A redirect target on this server only (never another site)."""
    safe = target.startswith("/") and not target.startswith(("//", "/\\"))
    return target if safe else "/"


# ------------------------------------------------------------------ errors and headers


@web.middleware
async def errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """One error policy: 400 says which parameter is wrong, 403 and 404 say why, and an
    unexpected failure is logged and answered with a reference instead of a traceback."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except BadRequestError as exc:
        return await _error(request, 400, "That request has a problem", exc.problems)
    except BrowseError as exc:
        return await _error(request, 400, "That request has a problem", [str(exc)])
    except auth.ForbiddenError as exc:
        return await _error(request, 403, "Not allowed", [str(exc)])
    except (PageNotFoundError, ListingNotFoundError, AlertNotFoundError, WatchNotFoundError) as exc:
        return await _error(request, 404, "Not found", [str(exc).strip("'\"")])
    except web.HTTPException as exc:
        if exc.status == 404:
            return await _error(request, 404, "Not found", ["there is no such page"])
        raise
    except Exception:
        reference = secrets.token_hex(4)
        log.exception("dashboard page %s failed (reference %s)", request.path, reference)
        return await _error(request, 500, "Something went wrong",
                            [f"it was logged with reference {reference}"])  # fmt: skip


async def _error(
    request: web.Request, status: int, title: str, problems: list[str]
) -> web.Response:
    values = {"title": title, "problems": problems, "status": status}
    try:
        context = await _context(request, Params(), **values)
    except Exception:  # e.g. the database is down: still say what went wrong
        context = {"scopes": [], "read_only": True, "admin": False, "path": "/", **values}
    response = aiohttp_jinja2.render_template("error.html", request, context)
    response.set_status(status)
    return response


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """No scripts, no framing, no content sniffing; images from here and https only."""
    response: web.StreamResponse = await handler(request)
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' https:; style-src 'self'; script-src 'none'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
