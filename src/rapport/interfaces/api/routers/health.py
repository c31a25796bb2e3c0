"""Liveness and readiness probes (no authentication, no tenant)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from rapport.engine.schemas import Readiness
from rapport.interfaces.api.deps import EngineDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"model": Readiness}})
def readyz(engine: EngineDep, response: Response) -> Readiness:
    """The database answers; 503 otherwise."""
    readiness = engine.ready()
    if readiness.status != "ready":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return readiness
