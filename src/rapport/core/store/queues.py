"""Work waiting in background queues, counted per tenant (the operators' queue depth)."""

from __future__ import annotations

from sqlalchemy import func, select

from rapport.core.store.repository import Store
from rapport.core.store.schema import outbox


def pending_messages(store: Store) -> dict[str, int]:
    """Outbox messages waiting to be sent, per tenant (tenants without any are left out)."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.tenant_id, func.count())
            .where(outbox.c.status == "pending")
            .group_by(outbox.c.tenant_id)
        ).all()
    return {str(tenant): int(count) for tenant, count in rows}
