"""Application access tokens: client-credentials grants, scopes, expiry and revocation."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sandbox.clock import Clock

API_SCOPE = "https://api.ebay.com/oauth/api_scope"
INSIGHTS_SCOPE = "https://api.ebay.com/oauth/api_scope/buy.marketplace.insights"
KNOWN_SCOPES = frozenset({API_SCOPE, INSIGHTS_SCOPE})
# What every application gets: the base scope. Marketplace Insights is a Limited Release API
# "available only to select developers approved by business units"
# (https://developer.ebay.com/api-docs/buy/marketplace-insights/overview.html), so its scope is
# granted per application, never by default.
DEFAULT_GRANTED = frozenset({API_SCOPE})
# eBay's error_description for a scope that is unknown or not granted to the application.
INVALID_SCOPE = (
    "The requested scope is invalid, unknown, malformed, or exceeds the scope granted to the client"
)
TOKEN_TYPE = "Application Access Token"  # noqa: S105 - eBay's token_type value, not a secret


@dataclass(frozen=True, slots=True)
class Grant:
    """An issued token's scopes and expiry."""

    scopes: frozenset[str]
    expires_at: datetime


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(client id, secret) from an HTTP Basic `Authorization` header, or None."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


def bearer_token(header: str | None) -> str | None:
    """The token of a `Bearer` `Authorization` header, or None."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class TokenStore:
    """Issues tokens for one client and checks them against the server clock.

    `granted` is the set of scopes eBay assigned to the application (its keyset); a token
    request may ask for any of them and nothing else.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        ttl_seconds: int,
        clock: Clock,
        granted: frozenset[str] = DEFAULT_GRANTED,
    ) -> None:
        unknown = granted - KNOWN_SCOPES
        if unknown:
            raise ValueError(f"the sandbox knows no scope {sorted(unknown)}")
        self.client_id = client_id
        self.client_secret = client_secret
        self.ttl_seconds = ttl_seconds
        self.granted = granted
        self._clock = clock
        self._grants: dict[str, Grant] = {}
        self.issued = 0

    def authenticate(self, client_id: str, secret: str) -> bool:
        """Whether these are the client's credentials (compared in constant time)."""
        ok_id = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        ok_secret = hmac.compare_digest(secret.encode(), self.client_secret.encode())
        return ok_id and ok_secret

    def grant(self, *scopes: str) -> None:
        """Assign more scopes to the application, as eBay does when it approves access."""
        unknown = set(scopes) - KNOWN_SCOPES
        if unknown:
            raise ValueError(f"the sandbox knows no scope {sorted(unknown)}")
        self.granted = self.granted | frozenset(scopes)

    def revoke(self, *scopes: str) -> None:
        """Take scopes back; tokens already issued keep theirs until they expire."""
        self.granted = self.granted - frozenset(scopes)

    def allows(self, scopes: frozenset[str]) -> bool:
        """Whether a token request for `scopes` stays within the application's grant."""
        return bool(scopes) and scopes <= self.granted

    def issue(self, scopes: frozenset[str]) -> str:
        """A new token for these scopes, valid for the store's TTL."""
        token = "v^1.1#i^1#p^1#I^3#r^0#f^0#t^" + secrets.token_urlsafe(48)
        expires = self._clock() + timedelta(seconds=self.ttl_seconds)
        self._grants[token] = Grant(scopes, expires)
        self.issued += 1
        return token

    def check(self, token: str) -> Grant | None:
        """The grant behind a token that is known and unexpired, else None."""
        grant = self._grants.get(token)
        if grant is None:
            return None
        if self._clock() >= grant.expires_at:
            del self._grants[token]
            return None
        return grant

    def expire_all(self) -> None:
        """Revoke every token, as when eBay invalidates them before their stated expiry."""
        self._grants.clear()
