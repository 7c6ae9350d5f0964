"""The side server: `/metrics` for Prometheus, `/healthz` and `/readyz` for orchestrators.

It runs in the same event loop as the pipeline (and the bot), bound to `sidecar.host`
(127.0.0.1 unless told otherwise) on `sidecar.port`. The web dashboard mounts here too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.openmetrics import exposition as openmetrics

from app.errors import SidecarError
from core.observability.metrics import REGISTRY
from core.storage import readiness

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)
SERVICES: web.AppKey[Services] = web.AppKey("services")
_NO_CACHE = {"Cache-Control": "no-store"}


def _wants_openmetrics(accept: str) -> bool:
    return any(part.split(";")[0].strip() == "application/openmetrics-text"
               for part in accept.split(","))  # fmt: skip


async def metrics(request: web.Request) -> web.Response:
    """Every metric of spt's one registry, as text or OpenMetrics (content negotiation)."""
    if _wants_openmetrics(request.headers.get("Accept", "")):
        body = openmetrics.generate_latest(REGISTRY)  # type: ignore[no-untyped-call]
        content_type = openmetrics.CONTENT_TYPE_LATEST
    else:
        body, content_type = generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    # As a header: aiohttp's content_type argument refuses parameters such as version=.
    return web.Response(body=body, headers={"Content-Type": content_type, **_NO_CACHE})


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process and its event loop answer."""
    return web.json_response({"status": "ok"}, headers=_NO_CACHE)


async def readyz(request: web.Request) -> web.Response:
    """Readiness: the database answers and its migrations are current; 503 with why not."""
    problem = await readiness(request.app[SERVICES].db.pool)
    if problem is not None:
        return web.json_response({"status": "not ready", "reason": problem}, status=503,
                                 headers=_NO_CACHE)  # fmt: skip
    return web.json_response({"status": "ready"}, headers=_NO_CACHE)


def build_app(services: Services) -> web.Application:
    """The side server's aiohttp application."""
    app = web.Application()
    app[SERVICES] = services
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if services.holder.current.web.enabled:
        from app import web as dashboard

        dashboard.setup(app, services)
    return app


class Sidecar:
    """Starts and stops the side server around the process's life."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._runner: web.AppRunner | None = None
        self.url: str | None = None

    async def start(self) -> str:
        """Bind `sidecar.host`:`sidecar.port` and serve; returns the base URL."""
        config = self._services.holder.current.sidecar
        self._runner = web.AppRunner(build_app(self._services), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, config.host, config.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise SidecarError(
                f"the side server cannot listen on {config.host}:{config.port} ({exc.strerror}); "
                "set sidecar.port (or --sidecar-port) to a free port, or sidecar.enabled = false"
            ) from None
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        web_on = self._services.holder.current.web.enabled
        log.info("side server on %s (%s/metrics, /healthz, /readyz)", self.url,
                 "dashboard at /, " if web_on else "")  # fmt: skip
        return self.url

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
