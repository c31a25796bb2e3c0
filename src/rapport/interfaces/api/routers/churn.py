"""Abandonment risk: the per-tenant model and each user's risk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from rapport.engine.schemas import AbandonmentRisk, ChurnManifest
from rapport.interfaces.api.deps import EngineDep, TenantDep
from rapport.interfaces.api.errors import ErrorResponse

router = APIRouter(tags=["churn"])

At = Annotated[
    str | None,
    Query(description="The moment (ISO 8601 or epoch seconds; default now): only activity "
          "until then is read."),
]  # fmt: skip


@router.post(
    "/churn/train",
    responses={409: {"model": ErrorResponse, "description": "Too little history to learn"}},
)
def train(engine: EngineDep, tenant: TenantDep, at: At = None) -> ChurnManifest:
    """Train the abandonment model on the tenant's events until `at`, judged on a later
    time split against a recency-frequency peer; it serves at once."""
    return engine.churn.train(at, tenant=tenant)


@router.get("/churn")
def show(engine: EngineDep, tenant: TenantDep) -> ChurnManifest:
    """The serving abandonment model: horizon, cut-offs, validation scores (404 before
    training)."""
    return engine.churn.show(tenant=tenant)


@router.get(
    "/users/{user_id}/abandonment",
    responses={409: {"model": ErrorResponse, "description": "No abandonment model yet"}},
)
def abandonment(
    engine: EngineDep, tenant: TenantDep, user_id: str, at: At = None
) -> AbandonmentRisk:
    """The chance that the user does nothing in the model's horizon after `at`, with the
    features that drove it."""
    return engine.churn.risk(user_id, at, tenant=tenant)
