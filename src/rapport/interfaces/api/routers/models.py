"""The trained recommender: versions, manifests and retraining."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks

from rapport.engine.schemas import ModelManifest
from rapport.interfaces.api.deps import EngineDep, TenantDep
from rapport.interfaces.api.errors import ErrorResponse

router = APIRouter(prefix="/model", tags=["model"])


@router.get("")
def show(engine: EngineDep, tenant: TenantDep) -> ModelManifest:
    """The serving model: chosen settings, weights, validation scores (404 before training)."""
    return engine.models.show(tenant=tenant)


@router.get("/versions")
def versions(engine: EngineDep, tenant: TenantDep) -> list[str]:
    """Stored versions, oldest first."""
    return engine.models.versions(tenant=tenant)


@router.get("/versions/{version}")
def show_version(engine: EngineDep, tenant: TenantDep, version: str) -> ModelManifest:
    return engine.models.show(version, tenant=tenant)


@router.post(
    "/train",
    status_code=202,
    responses={409: {"model": ErrorResponse, "description": "The tenant has no item events"}},
)
def train(engine: EngineDep, tenant: TenantDep, background: BackgroundTasks) -> dict[str, str]:
    """Retrain in the background; `GET /model` shows the new version when it is done. 409
    when the tenant has no item events to learn from."""
    engine.models.ensure_trainable(tenant=tenant)
    background.add_task(engine.models.train, tenant=tenant)
    return {"status": "training started"}
