"""`EscalationStore`: crises handed to a human, on the `Store`'s database."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import update

from rapport.core.errors import Conflict
from rapport.core.models import Page, Schema, utcnow
from rapport.core.store.paging import one_of, page_of
from rapport.core.store.repository import Store
from rapport.core.store.schema import escalations

Status = Literal["open", "acknowledged", "resolved"]
EXCERPT = 500
"""Characters of the screened text kept with an escalation: enough for a human to judge,
not the whole conversation."""


class Escalation(Schema):
    """A crisis a human must look at."""

    id: str
    """Unique per tenant."""
    tenant: str
    """The tenant it belongs to."""
    user_id: str | None
    """The user whose text it was, when known."""
    source: str
    """Where the text came from: chat, onboarding, ask, item, event."""
    category: str
    """The screen's category."""
    severity: str
    """The screen's severity."""
    score: float
    """The screen's score."""
    excerpt: str
    """The beginning of the text."""
    status: Status
    """open, acknowledged or resolved."""
    note: str
    """What the human who acknowledged or resolved it wrote."""
    created_at: datetime
    """When it was raised."""
    updated_at: datetime
    """When its status last changed."""


class EscalationStore:
    """Escalations of each tenant. Each write is one transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def add(
        self,
        tenant: str,
        *,
        user_id: str | None,
        source: str,
        category: str,
        severity: str,
        score: float,
        text: str,
    ) -> Escalation:
        now = utcnow()
        row = {
            "tenant_id": tenant,
            "id": "esc_" + uuid.uuid4().hex[:20],
            "user_id": user_id,
            "source": source,
            "category": category,
            "severity": severity,
            "score": float(score),
            "excerpt": text[:EXCERPT],
            "status": "open",
            "note": "",
            "created_at": now,
            "updated_at": now,
        }
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            conn.execute(escalations.insert(), row)
        return _escalation(row)

    def get(self, tenant: str, escalation_id: str) -> Escalation:
        where = [escalations.c.tenant_id == tenant, escalations.c.id == escalation_id]
        return one_of(self.engine, escalations, where, _escalation, "escalation", escalation_id)

    def list(
        self, tenant: str, status: Status | None = None, limit: int = 50, offset: int = 0
    ) -> Page[Escalation]:
        """Newest first."""
        where = [escalations.c.tenant_id == tenant]
        if status is not None:
            where.append(escalations.c.status == status)
        order = [escalations.c.created_at.desc(), escalations.c.id]
        return page_of(self.engine, escalations, where, order, limit, offset, _escalation)

    def set_status(
        self, tenant: str, escalation_id: str, status: Status, note: str = ""
    ) -> Escalation:
        """Acknowledge or resolve. Resolved is final; acknowledging twice is harmless."""
        current = self.get(tenant, escalation_id)
        if current.status == "resolved":
            raise Conflict(f"escalation '{escalation_id}' is already resolved")
        values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
        if note:
            values["note"] = note
        with self.engine.begin() as conn:
            conn.execute(
                update(escalations)
                .where(escalations.c.tenant_id == tenant, escalations.c.id == escalation_id)
                .values(**values)
            )
        return self.get(tenant, escalation_id)


def _escalation(row: Mapping[str, Any]) -> Escalation:
    return Escalation.model_validate({**row, "tenant": row["tenant_id"]})
