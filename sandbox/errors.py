"""eBay's error bodies: the RESTful `errors` envelope and the OAuth endpoint's own shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

INTERNAL_ERROR = (
    "There was a problem with an eBay internal system or process. "
    "Contact eBay developer support for assistance."
)


@dataclass(eq=False)
class ApiError(Exception):
    """A request eBay refuses, answered with its `{"errors": [...]}` envelope."""

    status: int
    error_id: int
    message: str
    domain: str = "API_BROWSE"
    category: str = "REQUEST"
    long_message: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The JSON body eBay sends for this error."""
        error: dict[str, Any] = {
            "errorId": self.error_id,
            "domain": self.domain,
            "category": self.category,
            "message": self.message,
        }
        if self.long_message:
            error["longMessage"] = self.long_message
        if self.parameters:
            error["parameters"] = [{"name": n, "value": v} for n, v in self.parameters]
        return {"errors": [error]}

    def response(self) -> web.Response:
        """The HTTP response carrying this error."""
        return json_response(self.body(), status=self.status, headers=self.headers)


def warning(error_id: int, message: str, name: str, value: str) -> dict[str, Any]:
    """One entry of a 200 response's `warnings` (eBay ignores what it warns about)."""
    return {
        "errorId": error_id,
        "domain": "API_BROWSE",
        "category": "REQUEST",
        "message": message,
        "parameters": [{"name": name, "value": value}],
    }


def invalid_token() -> ApiError:
    """401 for an unknown or expired access token."""
    return ApiError(
        401,
        1001,
        "Invalid access token",
        domain="OAuth",
        long_message=(
            "Invalid access token. Check the value of the Authorization HTTP request header."
        ),
    )


def missing_token() -> ApiError:
    """401 for a request without a Bearer token."""
    return ApiError(
        401,
        1002,
        "Missing access token",
        domain="OAuth",
        long_message="Access token is missing in the Authorization HTTP request header.",
    )


def too_many_requests(retry_after: int) -> ApiError:
    """429 once the call limit is spent; `Retry-After` says when to come back."""
    return ApiError(
        429,
        2001,
        "Too many requests",
        domain="ACCESS",
        long_message="The request limit has been reached for the resource.",
        headers={"Retry-After": str(retry_after)},
    )


def access_denied(detail: str) -> ApiError:
    """403 for an API the application may not call."""
    return ApiError(
        403,
        1100,
        "Access denied",
        domain="ACCESS",
        long_message=f"Insufficient permissions to fulfill the request. {detail}",
    )


def internal_error(status: int = 500) -> ApiError:
    """A server-side failure in eBay's envelope."""
    return ApiError(status, 12000, INTERNAL_ERROR, category="APPLICATION")


def oauth_error(status: int, error: str, description: str) -> web.Response:
    """The identity endpoint's error shape: `{"error", "error_description"}`."""
    return json_response({"error": error, "error_description": description}, status=status)


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response serialised once, compactly."""
    return web.Response(
        text=json.dumps(body, separators=(",", ":")),
        status=status,
        content_type="application/json",
        headers=headers,
    )
