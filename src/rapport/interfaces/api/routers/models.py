"""The trained recommender: versions, manifests, retraining, the gate's decisions and
switching the serving version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query
from pydantic import BaseModel, ConfigDict, Field

from rapport.engine.schemas import ModelDecision, ModelManifest, ModelVersion, Page
from rapport.interfaces.api.deps import EngineDep, TenantDep
from rapport.interfaces.api.errors import ErrorResponse

router = APIRouter(prefix="/model", tags=["model"])


class UseRequest(BaseModel):
    """Which stored version to serve from now on."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    version: str = Field(min_length=1, max_length=64)
    """A stored version (see GET /model/versions)."""
    reason: str = Field(default="", max_length=2000)
    """Why, kept with the decision (default: who switched from what to what)."""


@router.get("")
def show(engine: EngineDep, tenant: TenantDep) -> ModelManifest:
    """The serving model: chosen settings, weights, validation scores (404 before training)."""
    return engine.models.show(tenant=tenant)


@router.get("/versions")
def versions(engine: EngineDep, tenant: TenantDep) -> list[ModelVersion]:
    """Stored versions, oldest first: serving, candidate or retired, with the latest
    decision about each."""
    return engine.models.versions(tenant=tenant)


@router.get("/versions/{version}")
def show_version(engine: EngineDep, tenant: TenantDep, version: str) -> ModelManifest:
    return engine.models.show(version, tenant=tenant)


@router.get("/decisions")
def decisions(
    engine: EngineDep,
    tenant: TenantDep,
    version: Annotated[str | None, Query(max_length=64, description="Only this version.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[ModelDecision]:
    """What the model gate and operators decided (serve, candidate, rollback, forward),
    newest first, with the reason and the NDCGs compared."""
    return engine.models.decisions(version, tenant=tenant, limit=limit, offset=offset)


@router.post(
    "/use",
    responses={404: {"model": ErrorResponse, "description": "No such stored version"}},
)
def use(engine: EngineDep, tenant: TenantDep, body: UseRequest) -> ModelDecision:
    """Serve this version from the next request on, in every worker (roll back or
    forward); recorded as a decision."""
    return engine.models.use(body.version, tenant=tenant, reason=body.reason)


@router.post(
    "/train",
    status_code=202,
    responses={409: {"model": ErrorResponse, "description": "The tenant has no item events"}},
)
def train(
    engine: EngineDep,
    tenant: TenantDep,
    background: BackgroundTasks,
    force: Annotated[
        bool, Query(description="Serve the new version even if the model gate would not.")
    ] = False,
) -> dict[str, str]:
    """Retrain in the background; `GET /model/versions` shows the new version when it is
    done, serving or kept as a candidate by the model gate (`GET /model/decisions` says
    why). 409 when the tenant has no item events to learn from."""
    engine.models.ensure_trainable(tenant=tenant)
    background.add_task(engine.models.train, tenant=tenant, force=force)
    return {"status": "training started"}
