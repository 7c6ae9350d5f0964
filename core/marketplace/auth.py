"""OAuth client-credentials tokens for eBay's APIs, cached and shared by concurrent callers."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import aiohttp

from core.resilience import (
    BadResponseError,
    PermanentError,
    ServicePolicy,
    check_status,
    json_object,
)

log = logging.getLogger(__name__)

TOKEN_PATH = "/identity/v1/oauth2/token"  # noqa: S105 - a URL path, not a secret
SCOPE = "https://api.ebay.com/oauth/api_scope"
# Marketplace Insights is a Limited Release API with its own scope
# (https://developer.ebay.com/api-docs/buy/marketplace-insights/overview.html). Asking for a
# scope the application was not granted fails the whole token request with `invalid_scope`,
# so it is requested in a token of its own and Browse never depends on it.
INSIGHTS_SCOPE = "https://api.ebay.com/oauth/api_scope/buy.marketplace.insights"
BROWSE_SCOPES = (SCOPE,)
INSIGHTS_SCOPES = (SCOPE, INSIGHTS_SCOPE)
# Refresh this long before eBay says the token expires, so no call carries a dying token.
REFRESH_MARGIN_SECONDS = 60.0
# After eBay refuses a restricted scope, ask again this much later (or at restart): access
# is granted by eBay's staff, not in seconds, and each refusal is a wasted token request.
SCOPE_RETRY_SECONDS = 3600.0


class EbayAuthError(PermanentError):
    """eBay refused our client credentials."""


class ScopeRefusedError(EbayAuthError):
    """eBay answered `invalid_scope`: the application was not granted a requested scope."""

    def __init__(self, scopes: tuple[str, ...], description: str) -> None:
        message = f"eBay refused the scope(s) {' '.join(scopes)}: invalid_scope ({description})"
        super().__init__("ebay", message, 400)
        self.scopes = scopes
        self.description = description


class ScopeUnavailableError(EbayAuthError):
    """A restricted scope eBay refused recently; spt does not ask again until `retry_at`."""

    def __init__(self, name: str, retry_at: datetime | None) -> None:
        when = f" until {retry_at.isoformat(timespec='seconds')}" if retry_at else ""
        super().__init__("ebay", f"{name} is unavailable to this eBay application{when}", 400)
        self.retry_at = retry_at


@dataclass(frozen=True)
class Credentials:
    """The application's client id and secret."""

    client_id: str
    client_secret: str

    def basic(self) -> str:
        """The HTTP Basic authorization value."""
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: float  # time.monotonic() clock
    scopes: tuple[str, ...]  # the scope set it was granted for: a token serves only that set


class TokenProvider:
    """Fetches an application token, caches it until shortly before expiry, re-fetches on demand."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: Callable[[], str],
        credentials: Callable[[], Credentials | None],
        policy: ServicePolicy,
        timeout: Callable[[], float],
        scopes: Callable[[], tuple[str, ...]] = lambda: BROWSE_SCOPES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._base_url = base_url
        self._credentials = credentials
        self._policy = policy
        self._timeout = timeout
        self._scopes = scopes
        self._clock = clock
        self._token: _Token | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0  # how many tokens were fetched (for status and tests)

    async def get(self) -> str:
        """A valid token; concurrent callers wait for one shared refresh."""
        token = self._token
        if token is not None and self._usable(token):
            return token.value
        async with self._lock:
            token = self._token
            if token is None or not self._usable(token):
                token = await self._fetch()
                self._token = token
            return token.value

    def _usable(self, token: _Token) -> bool:
        # Keyed by scope set: a reload that changes the scopes makes the cached token stale.
        return (
            frozenset(token.scopes) == frozenset(self._scopes())
            and self._clock() < token.expires_at - REFRESH_MARGIN_SECONDS
        )

    def invalidate(self, value: str) -> None:
        """Forget `value` (eBay said 401), unless another caller already replaced it."""
        if self._token is not None and self._token.value == value:
            self._token = None

    async def _fetch(self) -> _Token:
        credentials = self._credentials()
        if credentials is None:
            raise EbayAuthError(
                "ebay", "no client credentials: set EBAY_CLIENT_ID and EBAY_CLIENT_SECRET"
            )
        url = self._base_url().rstrip("/") + TOKEN_PATH
        scopes = self._scopes()
        form = {"grant_type": "client_credentials", "scope": " ".join(scopes)}
        headers = {"Authorization": credentials.basic(), "Accept": "application/json"}

        async def attempt() -> dict[str, Any]:
            async with self._session.post(url, data=form, headers=headers) as response:
                body = await response.text()
                if response.status == 401:
                    raise EbayAuthError(
                        "ebay",
                        "eBay rejected the client credentials "
                        "(check ebay.client_id and ebay.client_secret)",
                        401,
                    )
                if response.status == 400:
                    refused = _invalid_scope(body)
                    if refused is not None:
                        raise ScopeRefusedError(scopes, refused)
                check_status("ebay", response.status, response.headers, body)
                return json_object("ebay", body, "token response")

        data = await self._policy.call(attempt, attempt_timeout=self._timeout())
        value, ttl = data.get("access_token"), data.get("expires_in")
        if not isinstance(value, str) or not value or not isinstance(ttl, int | float):
            raise BadResponseError("ebay", "token response lacks access_token or expires_in")
        self.fetches += 1
        return _Token(value, self._clock() + float(ttl), scopes)


def _invalid_scope(body: str) -> str | None:
    """eBay's description when a 400 token answer is `invalid_scope`, else None.

    The token endpoint answers errors as RFC 6749 section 5.2 says: HTTP 400 with
    `{"error": "invalid_scope", "error_description": ...}`
    (https://www.rfc-editor.org/rfc/rfc6749#section-5.2).
    """
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("error") != "invalid_scope":
        return None
    description = data.get("error_description")
    return str(description)[:300] if description else "no description"


class Access(StrEnum):
    """Whether eBay grants a restricted scope to this application, as far as spt knows."""

    UNKNOWN = "unknown"  # not asked yet (or the last try failed for another reason)
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"  # eBay answered invalid_scope


@dataclass(frozen=True)
class ScopeAccess:
    """A restricted scope's state: granted, refused (with eBay's reason), or not known yet."""

    name: str
    scopes: tuple[str, ...]
    enabled: bool  # whether spt is configured to use it
    access: Access
    detail: str | None = None  # eBay's error_description when refused
    checked_at: datetime | None = None
    retry_at: datetime | None = None  # when spt asks eBay again after a refusal


class RestrictedTokenProvider(TokenProvider):
    """Tokens for a restricted scope set (Marketplace Insights), cached apart from Browse's.

    When eBay refuses the scope with `invalid_scope`, the refusal is remembered and logged
    once: until `retry_seconds` have passed (or spt restarts) every `get()` fails at once
    with ScopeUnavailableError, without another token request.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: Callable[[], str],
        credentials: Callable[[], Credentials | None],
        policy: ServicePolicy,
        timeout: Callable[[], float],
        scopes: Callable[[], tuple[str, ...]],
        *,
        name: str,
        enabled: Callable[[], bool] = lambda: True,
        retry_seconds: float = SCOPE_RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(session, base_url, credentials, policy, timeout, scopes, clock)
        self.name = name
        self.enabled = enabled
        self._retry_seconds = retry_seconds
        self._wall = wall_clock
        self._access = Access.UNKNOWN
        self._detail: str | None = None
        self._checked_at: datetime | None = None
        # On the wall clock (the same one status shows): an hour-scale wait needs no precision.
        self._retry_at: datetime | None = None
        self._warned = False
        self.refusals = 0  # how many times eBay said invalid_scope (for tests)

    def state(self) -> ScopeAccess:
        """What spt knows now, without asking eBay."""
        return ScopeAccess(self.name, self._scopes(), self.enabled(), self._access,
                           self._detail, self._checked_at, self._retry_at)  # fmt: skip

    async def probe(self) -> ScopeAccess:
        """Ask eBay if not known yet (one token request at most); the state either way.

        Failures other than a refusal (eBay unreachable, no credentials) leave it unknown;
        they propagate, so the caller can say why.
        """
        if self._access is Access.UNKNOWN or self._refusal_expired():
            with contextlib.suppress(ScopeUnavailableError):  # the state says it
                await self.get()
        return self.state()

    def _refusal_expired(self) -> bool:
        return self._retry_at is not None and self._wall() >= self._retry_at

    async def _fetch(self) -> _Token:
        if self._retry_at is not None and not self._refusal_expired():
            raise ScopeUnavailableError(self.name, self._retry_at)
        try:
            token = await super()._fetch()
        except ScopeRefusedError as exc:
            self._refuse(exc)
            raise ScopeUnavailableError(self.name, self._retry_at) from exc
        if self._access is Access.UNAVAILABLE:
            log.info("%s is available again: eBay granted the scope", self.name)
        self._access, self._detail, self._retry_at = Access.AVAILABLE, None, None
        self._checked_at = self._wall()
        return token

    def _refuse(self, exc: ScopeRefusedError) -> None:
        self.refusals += 1
        self._access, self._detail = Access.UNAVAILABLE, exc.description
        self._checked_at = self._wall()
        self._retry_at = self._checked_at + timedelta(seconds=self._retry_seconds)
        restricted = " ".join(s for s in exc.scopes if s != SCOPE)
        if self._warned:
            log.debug("%s is still unavailable (invalid_scope: %s)", self.name, exc.description)
            return
        self._warned = True  # once per process: the hourly re-check would only repeat it
        log.warning(
            "%s is unavailable: the eBay application has no access to the restricted scope "
            "%s (eBay answered invalid_scope: %s). Browse searches go on with the base scope; "
            "spt asks again in %d min or at restart. Ask eBay for access, or set "
            "ebay.marketplace_insights = false.",
            self.name, restricted, exc.description, round(self._retry_seconds / 60),
        )  # fmt: skip
