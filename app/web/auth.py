"""The dashboard's one admin: a token from the settings, a signed session cookie, CSRF tokens.

Without `web.admin_token` the dashboard is read-only. With it, `/login` takes the token
and sets a session cookie (HttpOnly, SameSite=Strict) signed with the token; every form
that changes something carries a CSRF token derived from the session, and the change is
refused unless both agree (and the Origin, when the browser sends one, is this server's).
Changing the token ends every session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web
from pydantic import SecretStr

COOKIE = "spt_session"
SESSION_SECONDS = 12 * 3600


class ForbiddenError(Exception):
    """A change the request may not make; the message says why."""


def _mac(token: SecretStr, purpose: str, value: str) -> str:
    key = token.get_secret_value().encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def new_session(token: SecretStr) -> str:
    """A cookie value: a random session id and its signature."""
    session = secrets.token_urlsafe(24)
    return f"{session}.{_mac(token, 'session', session)}"


def session_of(request: web.Request, token: SecretStr | None) -> str | None:
    """The signed-in session id, if the cookie is valid for the current token."""
    if token is None:
        return None
    session, _, signature = request.cookies.get(COOKIE, "").partition(".")
    if not session or not hmac.compare_digest(signature, _mac(token, "session", session)):
        return None
    return session


def csrf_token(token: SecretStr, session: str) -> str:
    """The CSRF token the session's forms carry."""
    return _mac(token, "csrf", session)


def token_matches(token: SecretStr | None, given: str) -> bool:
    """Whether `given` is the admin token (in constant time)."""
    return token is not None and hmac.compare_digest(given.encode(), token.get_secret_value()
                                                     .encode())  # fmt: skip


def check_change(request: web.Request, token: SecretStr | None, form_csrf: str) -> None:
    """Refuse a change unless it comes from a signed-in session's own form."""
    if token is None:
        raise ForbiddenError("the dashboard is read-only: set web.admin_token to allow changes")
    session = session_of(request, token)
    if session is None:
        raise ForbiddenError("sign in with the admin token first")
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise ForbiddenError("the change did not come from this dashboard")
    if not hmac.compare_digest(form_csrf, csrf_token(token, session)):
        raise ForbiddenError("the form is stale or forged (CSRF token mismatch): reload the page")


def set_session(response: web.StreamResponse, token: SecretStr) -> None:
    """Sign the browser in."""
    response.set_cookie(COOKIE, new_session(token), max_age=SESSION_SECONDS, httponly=True,
                        samesite="Strict", path="/")  # fmt: skip


def clear_session(response: web.StreamResponse) -> None:
    """Sign the browser out."""
    response.del_cookie(COOKIE, path="/")
