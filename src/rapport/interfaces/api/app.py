"""The FastAPI application: one router per area, over one shared `Engine`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from rapport import __version__
from rapport.engine import Engine
from rapport.interfaces.api.auth import AccessMiddleware
from rapport.interfaces.api.deps import reject_control_characters, require_api_key
from rapport.interfaces.api.errors import ErrorResponse, install_error_handlers
from rapport.interfaces.api.metrics import MetricsMiddleware
from rapport.interfaces.api.routers import assistant as assistant_routes
from rapport.interfaces.api.routers import (
    audit,
    churn,
    engage,
    events,
    experiments,
    generate,
    health,
    items,
    keys,
    knowledge,
    metrics,
    models,
    moderation,
    onboarding,
    outbox,
    process,
    recommendations,
    safety,
    search,
    stats,
    users,
)
from rapport.interfaces.api.routers import insights as insights_routes
from rapport.interfaces.api.routers import openai_compat as openai_routes
from rapport.interfaces.api.routers import schedule as schedule_routes


def create_app(engine: Engine | None = None) -> FastAPI:
    """Build the app around `engine` (by default one made from the environment, owned and
    closed by the app)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = engine is None
        app.state.engine = engine or Engine()
        if owned:  # a worker process: be ready before the first request
            app.state.engine.warm_up()
        yield
        if owned:
            app.state.engine.close()

    app = FastAPI(
        title="rapport",
        version=__version__,
        description="Self-hosted personalization engine: know, match, answer, act, nudge.",
        lifespan=lifespan,
        dependencies=[Depends(reject_control_characters)],
        responses={
            400: {"model": ErrorResponse},
            401: {"model": ErrorResponse},
            403: {"model": ErrorResponse},
            404: {"model": ErrorResponse},
            422: {"model": ErrorResponse},
            413: {"model": ErrorResponse},
            429: {"model": ErrorResponse},
            500: {"model": ErrorResponse, "description": "A bug: logged, never plain text"},
            503: {"model": ErrorResponse, "description": "Unavailable: no LLM, files missing"},
        },
    )
    if engine is not None:
        app.state.engine = engine
    install_error_handlers(app)
    app.add_middleware(AccessMiddleware)  # keys, tenants, scopes, limits: before any body
    app.add_middleware(MetricsMiddleware)  # outermost: refused requests are measured too
    app.include_router(health.router)
    protected = [Depends(require_api_key)]
    for module in (
        items,
        users,
        events,
        recommendations,
        search,
        knowledge,
        models,
        stats,
        audit,
    ):
        app.include_router(module.router, dependencies=protected)
    app.include_router(keys.router, dependencies=protected)
    app.include_router(onboarding.router, dependencies=protected)
    for module in (assistant_routes, openai_routes):
        app.include_router(module.router, dependencies=protected)
    for module in (generate, process):
        app.include_router(module.router, dependencies=protected)
    app.include_router(safety.router, dependencies=protected)
    app.include_router(moderation.router, dependencies=protected)
    app.include_router(outbox.router, dependencies=protected)
    app.include_router(outbox.public_router)
    app.include_router(insights_routes.router, dependencies=protected)
    app.include_router(experiments.router, dependencies=protected)
    app.include_router(engage.router, dependencies=protected)
    app.include_router(churn.router, dependencies=protected)
    app.include_router(metrics.router, dependencies=protected)
    app.include_router(schedule_routes.router, dependencies=protected)
    return app
