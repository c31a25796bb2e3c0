"""The FastAPI application: one router per area, over one shared `Engine`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from rapport import __version__
from rapport.engine import Engine
from rapport.interfaces.api.deps import require_api_key
from rapport.interfaces.api.errors import ErrorResponse, install_error_handlers
from rapport.interfaces.api.routers import (
    events,
    health,
    items,
    knowledge,
    models,
    moderation,
    recommendations,
    search,
    stats,
    users,
)


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
        responses={
            400: {"model": ErrorResponse},
            401: {"model": ErrorResponse},
            404: {"model": ErrorResponse},
            422: {"model": ErrorResponse},
        },
    )
    if engine is not None:
        app.state.engine = engine
    install_error_handlers(app)
    app.include_router(health.router)
    protected = [Depends(require_api_key)]
    for module in (items, users, events, recommendations, search, knowledge, models, stats):
        app.include_router(module.router, dependencies=protected)
    app.include_router(moderation.router, dependencies=protected)
    return app
