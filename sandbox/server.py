"""The sandbox marketplace: an aiohttp app speaking eBay's HTTP protocol over a catalog.

Endpoints: OAuth client-credentials tokens, Browse item search, the Analytics rate-limit
view and Marketplace Insights sold-item search, with eBay's status codes and error bodies,
a daily call limit, and injectable faults.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web
from yarl import URL

from core.models import Marketplace
from sandbox.catalog import Catalog, build_catalog
from sandbox.clock import Clock, utc_now
from sandbox.errors import (
    ApiError,
    access_denied,
    internal_error,
    invalid_token,
    json_response,
    missing_token,
    oauth_error,
    too_many_requests,
)
from sandbox.faults import (
    Endpoint,
    Fault,
    FaultInjector,
    FaultKind,
    RequestStats,
)
from sandbox.payloads import compact, ebay_time, item_sale, item_summary
from sandbox.quota import DailyQuota
from sandbox.search import (
    MAX_OFFSET,
    Result,
    SearchIndex,
    SearchQuery,
    browse_doc,
    parse_query,
    sale_doc,
)
from sandbox.tokens import (
    DEFAULT_GRANTED,
    INSIGHTS_SCOPE,
    INVALID_SCOPE,
    TOKEN_TYPE,
    Grant,
    TokenStore,
    basic_credentials,
    bearer_token,
)

DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - the sandbox's published test secret
MARKETPLACE_HEADER = "X-EBAY-C-MARKETPLACE-ID"

TOKEN_PATH = "/identity/v1/oauth2/token"  # noqa: S105 - a URL path
SEARCH_PATH = "/buy/browse/v1/item_summary/search"
RATE_LIMIT_PATH = "/developer/analytics/v1_beta/rate_limit/"
INSIGHTS_PATH = "/buy/marketplace_insights/v1_beta/item_sales/search"

# Route names, not paths, identify endpoints: the app may be mounted under a prefix.
_ENDPOINTS: dict[str, Endpoint] = {
    "token": Endpoint.TOKEN,
    "search": Endpoint.SEARCH,
    "rate_limit": Endpoint.RATE_LIMIT,
    "rate_limit_bare": Endpoint.RATE_LIMIT,
    "insights": Endpoint.INSIGHTS,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SandboxMarketplace:
    """A fake eBay over a catalog, on 127.0.0.1; tests drive its clock, tokens and faults."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        token_ttl_seconds: int = 7200,
        daily_limit: int = 5000,
        clock: Clock = utc_now,
        fault_seed: int = 0,
        insights_enabled: bool = True,
        granted_scopes: Iterable[str] = DEFAULT_GRANTED,
    ) -> None:
        self.catalog = catalog
        self.clock = clock
        # The application's keyset: the base scope unless a test grants Insights as well.
        self.tokens = TokenStore(
            client_id, client_secret, token_ttl_seconds, clock, frozenset(granted_scopes)
        )
        self.grant_scopes = self.tokens.grant
        self.revoke_scopes = self.tokens.revoke
        self.quota = DailyQuota(daily_limit, clock)
        self.faults = FaultInjector(fault_seed)
        # The fault controls, also reachable here: market.fail_next(2, status=503).
        self.fail_next = self.faults.fail_next
        self.throttle_next = self.faults.throttle_next
        self.malform_next = self.faults.malform_next
        self.set_error_rate = self.faults.set_error_rate
        self.set_latency = self.faults.set_latency
        self.clear_faults = self.faults.clear_faults
        self.stats = RequestStats()
        self.insights_enabled = insights_enabled
        self.base_url: str | None = None
        self._runner: web.AppRunner | None = None
        self._browse: dict[Marketplace, SearchIndex] = {}
        self._sales: dict[Marketplace, SearchIndex] = {}
        for market in Marketplace:
            listings = catalog.in_marketplace(market)
            # A fixed pseudo-random order stands in for eBay's relevance ranking.
            browse = [browse_doc(item, zlib.crc32(item.item_id.encode())) for item in listings]
            sold = [
                sale_doc(item, zlib.crc32(item.item_id.encode())) for item in listings if item.sold
            ]
            self._browse[market] = SearchIndex(browse, item_summary)
            self._sales[market] = SearchIndex(sold, item_sale, default_sort="newlyListed")
        self.app = web.Application(middlewares=[self._middleware])
        self.app.router.add_post(TOKEN_PATH, self._token, name="token")
        self.app.router.add_get(SEARCH_PATH, self._search, name="search")
        self.app.router.add_get(RATE_LIMIT_PATH, self._rate_limit, name="rate_limit")
        bare = RATE_LIMIT_PATH.rstrip("/")
        self.app.router.add_get(bare, self._rate_limit, name="rate_limit_bare")
        self.app.router.add_get(INSIGHTS_PATH, self._insights, name="insights")

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 picks a free port); returns the base URL."""
        if self._runner is not None:
            raise RuntimeError("the sandbox marketplace is already running")
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.base_url = f"http://{shown}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop listening; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        self.base_url = None

    async def __aenter__(self) -> SandboxMarketplace:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def expire_all_tokens(self) -> None:
        """Revoke every issued token: the next API call with one gets 401."""
        self.tokens.expire_all()

    # --- plumbing ------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        endpoint = _ENDPOINTS.get(request.match_info.route.name or "")
        if endpoint is None:
            try:
                return await handler(request)
            except web.HTTPException as exc:
                self.stats.record("other", exc.status)
                raise
        delay = self.faults.latency(endpoint)
        if delay > 0:
            await asyncio.sleep(delay)
        fault = self.faults.take(endpoint)
        response: web.StreamResponse
        if fault is not None and fault.kind is not FaultKind.MALFORM:
            response = _fault_response(endpoint, fault)
        else:
            try:
                response = await handler(request)
            except ApiError as error:
                response = error.response()
            except web.HTTPException as exc:
                self.stats.record(endpoint, exc.status)
                raise
            if fault is not None:
                response = _truncated(response)
        self.stats.record(endpoint, response.status)
        return response

    def _authorise(self, request: web.Request) -> Grant:
        token = bearer_token(request.headers.get("Authorization"))
        if token is None:
            raise missing_token()
        grant = self.tokens.check(token)
        if grant is None:
            raise invalid_token()
        return grant

    @staticmethod
    def _marketplace(request: web.Request) -> Marketplace:
        raw = request.headers.get(MARKETPLACE_HEADER, Marketplace.EBAY_US.value).strip()
        try:
            return Marketplace(raw.upper())
        except ValueError:
            supported = ", ".join(m.value for m in Marketplace)
            raise ApiError(
                400,
                12019,
                f"Currently, the {raw} marketplace is not supported. The supported "
                f"Marketplaces are: {supported} .",
                category="BUSINESS",
                parameters=((MARKETPLACE_HEADER, raw),),
            ) from None

    # --- endpoints -------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        credentials = basic_credentials(request.headers.get("Authorization"))
        if credentials is None or not self.tokens.authenticate(*credentials):
            return oauth_error(401, "invalid_client", "client authentication failed")
        form = await request.post()
        grant_type = form.get("grant_type")
        if not isinstance(grant_type, str) or not grant_type:
            return oauth_error(
                400, "invalid_request", "request is missing a required parameter or malformed."
            )
        if grant_type != "client_credentials":
            return oauth_error(
                400,
                "unsupported_grant_type",
                "grant type in request is not supported by the authorization server",
            )
        scope = form.get("scope")
        scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
        # "The OAuth scopes assigned to your application allow it to access specific API
        # resources" (https://developer.ebay.com/develop/guides-v2/authorization.md): a
        # request may name any of them, and one it was not assigned (a Limited Release
        # API's, say) is refused like an unknown one, with HTTP 400 `invalid_scope`
        # (RFC 6749 section 5.2, https://www.rfc-editor.org/rfc/rfc6749#section-5.2) and the
        # description eBay sends (https://github.com/eBay/ebay-oauth-python-client/issues/9).
        if not self.tokens.allows(scopes):
            return oauth_error(400, "invalid_scope", INVALID_SCOPE)
        token = self.tokens.issue(scopes)
        return json_response(
            {
                "access_token": token,
                "expires_in": self.tokens.ttl_seconds,
                "token_type": TOKEN_TYPE,
            }
        )

    async def _search(self, request: web.Request) -> web.Response:
        self._authorise(request)
        if not self.quota.try_spend():
            raise too_many_requests(self.quota.retry_after())
        market = self._marketplace(request)
        query = parse_query(request.query, market.currency)
        index = self._browse[market]
        result = index.search(query, self.clock())
        return _page(request, query, result, index, "itemSummaries")

    async def _rate_limit(self, request: web.Request) -> web.Response:
        self._authorise(request)
        context = request.query.get("api_context", "buy").lower()
        name = request.query.get("api_name", "browse").lower()
        limits: list[dict[str, Any]] = []
        if context == "buy" and name == "browse":
            count, limit = self.quota.count, self.quota.limit
            reset = ebay_time(self.quota.reset_at)

            def rate(used: int) -> dict[str, Any]:
                return {
                    "count": used,
                    "limit": limit,
                    "remaining": max(0, limit - used),
                    "reset": reset,
                    "timeWindow": 86400,
                }

            limits.append(
                {
                    "apiContext": "buy",
                    "apiName": "Browse",
                    "apiVersion": "v1",
                    "resources": [
                        {"name": "buy.browse", "rates": [rate(count)]},
                        {"name": "buy.browse.item.bulk", "rates": [rate(0)]},
                    ],
                }
            )
        return json_response({"rateLimits": limits})

    async def _insights(self, request: web.Request) -> web.Response:
        grant = self._authorise(request)
        if not self.insights_enabled:
            raise access_denied("The Marketplace Insights API is not enabled for this application.")
        if INSIGHTS_SCOPE not in grant.scopes:
            raise access_denied(f"The access token lacks the scope {INSIGHTS_SCOPE}.")
        market = self._marketplace(request)
        query = parse_query(request.query, market.currency)
        index = self._sales[market]
        result = index.search(query, self.clock())
        return _page(request, query, result, index, "itemSales")


def _page_url(url: URL, offset: int, limit: int) -> str:
    return str(url.update_query(limit=str(limit), offset=str(offset)))


def _page(
    request: web.Request, query: SearchQuery, result: Result, index: SearchIndex, key: str
) -> web.Response:
    """A search page as eBay shapes it; item bodies are spliced in pre-serialised."""
    head: dict[str, Any] = {
        "href": str(request.url),
        "total": result.total,
        "limit": query.limit,
        "offset": query.offset,
    }
    following = query.offset + query.limit
    if following < result.total and following <= MAX_OFFSET:
        head["next"] = _page_url(request.url, following, query.limit)
    if query.offset > 0:
        head["prev"] = _page_url(request.url, max(0, query.offset - query.limit), query.limit)
    if query.warnings:
        head["warnings"] = list(query.warnings)
    text = compact(head)
    if result.docs:
        text = f'{text[:-1]},"{key}":[{",".join(index.bodies(result.docs))}]}}'
    return web.Response(text=text, content_type="application/json")


def _fault_response(endpoint: Endpoint, fault: Fault) -> web.Response:
    if endpoint is Endpoint.TOKEN:
        if fault.kind is FaultKind.THROTTLE:
            response = oauth_error(429, "temporarily_unavailable", "too many token requests")
            response.headers["Retry-After"] = str(fault.retry_after)
            return response
        error = "server_error" if fault.status >= 500 else "invalid_request"
        return oauth_error(fault.status, error, "injected fault")
    if fault.kind is FaultKind.THROTTLE:
        return too_many_requests(fault.retry_after).response()
    if fault.status >= 500:
        return internal_error(fault.status).response()
    return ApiError(fault.status, 12000, "The request failed (injected fault).").response()


def _truncated(response: web.StreamResponse) -> web.Response:
    """The same answer with its JSON cut off half way, served as a 200."""
    body = response.body if isinstance(response, web.Response) else None
    raw = body if isinstance(body, bytes) and len(body) > 1 else b'{"total":'
    return web.Response(body=raw[: max(1, len(raw) // 2)], content_type="application/json")


def _say(line: str) -> None:
    print(line, flush=True)  # flushed: a supervisor reading a pipe needs the URL now


async def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8790,
    seed: int = 1,
    size: int = 2400,
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    daily_limit: int = 5000,
    insights_enabled: bool = True,
    grant_insights: bool = False,
    out: Callable[[str], None] | None = None,
) -> None:
    """Run a sandbox marketplace until cancelled, printing its URL and credentials.

    The application is granted the base scope only, as a new eBay keyset is, unless
    `grant_insights` also grants Marketplace Insights.
    """
    catalog = build_catalog(seed=seed, size=size)
    granted = DEFAULT_GRANTED | ({INSIGHTS_SCOPE} if grant_insights else set())
    market = SandboxMarketplace(
        catalog,
        client_id=client_id,
        client_secret=client_secret,
        daily_limit=daily_limit,
        insights_enabled=insights_enabled,
        granted_scopes=granted,
    )
    url = await market.start(host, port)
    if out is None:
        out = _say
    try:
        out(f"sandbox marketplace on {url} ({len(catalog)} listings, seed {seed})")
        out(f"  SPT_EBAY__API_BASE_URL={url}")
        out(f"  EBAY_CLIENT_ID={client_id}")
        out(f"  EBAY_CLIENT_SECRET={client_secret}")
        insights = "granted" if grant_insights else "not granted (--grant-insights grants it)"
        out(f"  Marketplace Insights scope: {insights}")
        await asyncio.Event().wait()
    finally:
        await market.stop()
