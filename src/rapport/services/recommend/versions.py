"""A tenant's model versions with their status, and switching the serving one by hand
(roll back or forward) with the decision recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import structlog

from rapport.core.models import Schema
from rapport.core.store.model_decisions import ModelDecision, ModelDecisionStore
from rapport.services.recommend.artifacts import ModelStore

log = structlog.get_logger(__name__)

Status = Literal["serving", "candidate", "retired"]
SERVED = frozenset({"serve", "rollback", "forward"})


class ModelVersion(Schema):
    """One stored model version of a tenant."""

    version: str
    """UTC time of training: versions sort in training order."""
    status: Status
    """serving (the current one), candidate (never served: the gate kept it back) or
    retired (served once, replaced since)."""
    created_at: datetime
    """When it was trained."""
    model: str
    """Registry name of the model class."""
    ndcg_at_10: float
    """Its validation NDCG@10 as stored at training (on that training's split)."""
    decision: str | None
    """The latest decision about it (serve, candidate, rollback, forward); None for
    versions trained before the gate."""
    reason: str
    """Why, as recorded with that decision."""


def list_versions(
    models: ModelStore, decisions: ModelDecisionStore, tenant: str
) -> list[ModelVersion]:
    """Every stored version, oldest first, with its status and latest decision. Versions
    without decisions (trained before the gate) were made current when trained, so they
    count as served."""
    current = models.current_version(tenant)
    taken = decisions.by_version(tenant)
    found = []
    for version in models.versions(tenant):
        manifest = models.manifest(tenant, version)
        if manifest is None:
            continue
        history = taken.get(version, [])
        served = not history or any(d.decision in SERVED for d in history)
        status: Status = "serving" if version == current else "retired" if served else "candidate"
        latest = history[0] if history else None
        found.append(
            ModelVersion(
                version=version,
                status=status,
                created_at=manifest.created_at,
                model=manifest.model,
                ndcg_at_10=manifest.validation.ndcg_at_10,
                decision=latest.decision if latest else None,
                reason=latest.reason if latest else "",
            )
        )
    return found


def use(
    models: ModelStore,
    decisions: ModelDecisionStore,
    tenant: str,
    version: str,
    reason: str = "",
    at: datetime | None = None,
) -> ModelDecision:
    """Serve `version` from now on, in every process sharing the data directory: a
    rollback when it is older than the serving version, else a forward. NotFound when it
    is not stored."""
    current = models.current_version(tenant)
    models.use(tenant, version)  # NotFound before anything is recorded
    kind: Literal["rollback", "forward"] = (
        "rollback" if current is not None and version < current else "forward"
    )
    said = reason or f"switched by an operator from {current or 'no model'} to {version}"
    manifest = models.manifest(tenant, version)
    metrics = {
        "previous_version": current,
        "ndcg_at_10": manifest.validation.ndcg_at_10 if manifest else None,
    }
    decision = decisions.add(tenant, version, kind, said, metrics, at)
    log.info("model switched", tenant=tenant, version=version, decision=kind, reason=said)
    return decision
