"""OAuth client-credentials tokens for eBay's APIs, cached and shared by concurrent callers."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from core.resilience import (
    BadResponseError,
    PermanentError,
    ServicePolicy,
    check_status,
    json_object,
)

TOKEN_PATH = "/identity/v1/oauth2/token"  # noqa: S105 - a URL path, not a secret
SCOPE = "https://api.ebay.com/oauth/api_scope"
# Marketplace Insights needs its own scope; asking for a scope the application lacks is an
# error, so it is requested only when ebay.marketplace_insights is on.
INSIGHTS_SCOPE = "https://api.ebay.com/oauth/api_scope/buy.marketplace.insights"
# Refresh this long before eBay says the token expires, so no call carries a dying token.
REFRESH_MARGIN_SECONDS = 60.0


class EbayAuthError(PermanentError):
    """eBay refused our client credentials."""


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


class TokenProvider:
    """Fetches an application token, caches it until shortly before expiry, re-fetches on demand."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: Callable[[], str],
        credentials: Callable[[], Credentials | None],
        policy: ServicePolicy,
        timeout: Callable[[], float],
        scopes: Callable[[], tuple[str, ...]] = lambda: (SCOPE,),
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
        if token is not None and self._clock() < token.expires_at - REFRESH_MARGIN_SECONDS:
            return token.value
        async with self._lock:
            token = self._token
            if token is None or self._clock() >= token.expires_at - REFRESH_MARGIN_SECONDS:
                token = await self._fetch()
                self._token = token
            return token.value

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
        form = {"grant_type": "client_credentials", "scope": " ".join(self._scopes())}
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
                check_status("ebay", response.status, response.headers, body)
                return json_object("ebay", body, "token response")

        data = await self._policy.call(attempt, attempt_timeout=self._timeout())
        value, ttl = data.get("access_token"), data.get("expires_in")
        if not isinstance(value, str) or not value or not isinstance(ttl, int | float):
            raise BadResponseError("ebay", "token response lacks access_token or expires_in")
        self.fetches += 1
        return _Token(value, self._clock() + float(ttl))
