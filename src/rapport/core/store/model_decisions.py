"""`ModelDecisionStore`: what the model gate and operators decided about model versions
(served, kept as a candidate, rolled back or forward), on the `Store`'s database."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select

from rapport.core.models import Page, Schema, utcnow
from rapport.core.store.paging import page_of
from rapport.core.store.repository import Store
from rapport.core.store.schema import model_decisions

Decision = Literal["serve", "candidate", "rollback", "forward"]


class ModelDecision(Schema):
    """One decision about a model version of a tenant."""

    id: str
    """Unique per tenant; sorts in the order the decisions were taken."""
    tenant: str
    """The tenant whose model it is."""
    version: str
    """The model version decided about."""
    decision: Decision
    """serve (the gate let a new version serve), candidate (kept, not serving), rollback or
    forward (an operator switched to an older or newer version)."""
    reason: str
    """Why, in words: the NDCGs compared, how, and the margin; or who switched."""
    metrics: dict[str, Any]
    """The numbers behind it: candidate and serving NDCG@10, how they were compared, the
    margin, whether the gate was forced."""
    created_at: datetime
    """When it was decided."""


class ModelDecisionStore:
    """Decisions of each tenant, newest first. Each write is one transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def add(
        self,
        tenant: str,
        version: str,
        decision: Decision,
        reason: str,
        metrics: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> ModelDecision:
        now = at or utcnow()
        row = {
            "tenant_id": tenant,
            "id": f"md_{now:%Y%m%dT%H%M%S%f}_{uuid.uuid4().hex[:8]}",
            "version": version,
            "decision": decision,
            "reason": reason,
            "metrics": dict(metrics or {}),
            "created_at": now,
        }
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            conn.execute(model_decisions.insert(), row)
        return _decision(row)

    def list(
        self, tenant: str, version: str | None = None, limit: int = 50, offset: int = 0
    ) -> Page[ModelDecision]:
        """Newest first; only those about `version` when given."""
        where = [model_decisions.c.tenant_id == tenant]
        if version is not None:
            where.append(model_decisions.c.version == version)
        order = [model_decisions.c.created_at.desc(), model_decisions.c.id.desc()]
        return page_of(self.engine, model_decisions, where, order, limit, offset, _decision)

    def by_version(self, tenant: str) -> dict[str, builtins.list[ModelDecision]]:
        """Every decision of the tenant grouped by version, newest first within each."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(model_decisions)
                .where(model_decisions.c.tenant_id == tenant)
                .order_by(model_decisions.c.created_at.desc(), model_decisions.c.id.desc())
            ).mappings()
            grouped: dict[str, list[ModelDecision]] = {}
            for row in rows:
                decision = _decision(dict(row))
                grouped.setdefault(decision.version, []).append(decision)
        return grouped


def _decision(row: Mapping[str, Any]) -> ModelDecision:
    return ModelDecision.model_validate({**row, "tenant": row["tenant_id"]})
