"""`UserContexts`: where a user is and what they are doing now (table `user_contexts`), as
the platform last reported it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from rapport.core.models import Schema
from rapport.core.store.repository import Store, _chunks
from rapport.core.store.schema import user_contexts


class UserContext(Schema):
    """The user's latest reported place and situation."""

    user_id: str
    """Whose context."""
    lat: float | None
    """Latitude, when a place was reported."""
    lon: float | None
    """Longitude, when a place was reported."""
    context: dict[str, Any]
    """Anything else the platform sent (activity, device, weather...)."""
    updated_at: datetime
    """When it was reported (the `at` of the report)."""


class UserContexts:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def get(self, tenant: str, user_id: str) -> UserContext | None:
        found = self.many(tenant, [user_id])
        return found.get(user_id)

    def many(self, tenant: str, user_ids: Sequence[str]) -> dict[str, UserContext]:
        found: dict[str, UserContext] = {}
        with self.engine.connect() as conn:
            for part in _chunks(list(user_ids)):
                rows = conn.execute(
                    select(user_contexts).where(
                        user_contexts.c.tenant_id == tenant, user_contexts.c.user_id.in_(part)
                    )
                )
                for row in rows:
                    found[row.user_id] = UserContext(
                        user_id=row.user_id,
                        lat=row.lat,
                        lon=row.lon,
                        context=row.context,
                        updated_at=row.updated_at,
                    )
        return found

    def set(self, tenant: str, value: UserContext) -> None:
        row = {
            "tenant_id": tenant,
            "user_id": value.user_id,
            "lat": value.lat,
            "lon": value.lon,
            "context": value.context,
            "updated_at": value.updated_at,
        }
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            self.store._upsert(conn, user_contexts, [row], ["tenant_id", "user_id"])
