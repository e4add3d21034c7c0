"""The FastAPI application: `create_app(settings)` builds it; its lifespan runs the service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from gapwatch.api import (
    alerts,
    cameras,
    coverage,
    crowd,
    dashboard,
    events,
    health,
    patrol_checks,
    patrol_plans,
    platforms,
    quarantine,
    report,
    suppressions,
    tasks,
    terrain,
    timeline,
    tokens,
)
from gapwatch.api.auth import DbTokenStore, Principal, Role, authenticated, ensure_token
from gapwatch.api.errors import install_error_handlers
from gapwatch.api.feed import EventFeed
from gapwatch.runtime.pipeline import Service, build_service
from gapwatch.settings import Settings
from gapwatch.storage import transaction

__all__ = ["STATIC_DIR", "create_app"]

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"

ServiceBuilder = Callable[[Settings], Service]


def _bootstrap(service: Service) -> None:
    token = service.settings.admin_token
    if token is None:
        return
    with transaction(service.sessions) as session:
        usable = ensure_token(
            session, token=token.get_secret_value(), name="admin (environment)", role=Role.admin
        )
    if not usable:
        log.warning(
            "GAPWATCH_ADMIN_TOKEN was revoked and stays revoked; set a new one to bootstrap an "
            "admin (已吊销的 GAPWATCH_ADMIN_TOKEN 不会恢复)"
        )


def create_app(settings: Settings, *, build: ServiceBuilder = build_service) -> FastAPI:
    """The gapwatch app for `settings`; nothing is opened or started until its lifespan runs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = await run_in_threadpool(build, settings)
        feed: EventFeed | None = None
        try:
            await run_in_threadpool(_bootstrap, service)
            app.state.token_store = DbTokenStore(service.sessions)
            service.start()
            feed = EventFeed(service)
            await feed.start()
            app.state.event_feed = feed
            app.state.service = service
            log.info(
                "serving site %s with %d cameras", service.site.id, len(service.site.spec.cameras)
            )
            yield
        finally:
            app.state.service = None
            service.stopping.set()  # event streams end at once
            if feed is not None:
                await feed.stop()
            await run_in_threadpool(service.stop)

    # The API description names every route and field; like the rest of the API it needs a
    # token, unless GAPWATCH_PUBLIC_DOCS=true makes it (and the /docs, /redoc pages) public.
    public = settings.public_docs
    app = FastAPI(
        title="gapwatch",
        summary="Blind spots and breaks of a camera network, live. 视频监控盲区与断点实时监测。",
        version="1",
        lifespan=lifespan,
        openapi_url="/openapi.json" if public else None,
        docs_url="/docs" if public else None,
        redoc_url="/redoc" if public else None,
    )
    if not public:

        @app.get("/openapi.json", include_in_schema=False)
        def openapi_document(_who: Annotated[Principal, Depends(authenticated)]) -> JSONResponse:
            return JSONResponse(app.openapi())

    app.state.service = None
    install_error_handlers(app)
    for module in (
        health,
        cameras,
        coverage,
        crowd,
        alerts,
        patrol_checks,
        patrol_plans,
        platforms,
        timeline,
        suppressions,
        report,
        tasks,
        events,
        tokens,
        terrain,
        quarantine,
        dashboard,
    ):
        app.include_router(module.router)
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="dashboard")
    return app
