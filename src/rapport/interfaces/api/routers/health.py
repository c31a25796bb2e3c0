"""Liveness and readiness probes (no authentication, no tenant)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import text

from rapport.interfaces.api.deps import EngineDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(engine: EngineDep, response: Response) -> dict[str, str]:
    """The database answers; 503 otherwise."""
    try:
        with engine.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means not ready
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "unavailable", "database": type(exc).__name__}
    return {"status": "ready", "database": engine.store.dialect}
