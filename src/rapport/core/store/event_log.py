"""`ActivityStore`: every event of a tenant as an `ActivityLog` (abandonment risk, next
action), on the `Store`'s database. Events of users who refused consent are left out, as in
training the recommender."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import String, cast, exists, func, select

from rapport.core.activity import ActivityLog
from rapport.core.store.repository import Store
from rapport.core.store.schema import events, users


class ActivityStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def log(
        self, tenant: str, *, until: datetime | None = None, user_id: str | None = None
    ) -> ActivityLog:
        """Events of the tenant (or of one user) at or before `until`, oldest first."""
        refused = exists().where(
            users.c.tenant_id == events.c.tenant_id,
            users.c.id == events.c.user_id,
            users.c.consent.is_(False),
        )
        statement = select(
            events.c.user_id,
            events.c.item_id,
            events.c.type,
            events.c.value,
            cast(events.c.timestamp, String),  # parsed below in one go
        ).where(events.c.tenant_id == tenant, ~refused)
        if until is not None:
            statement = statement.where(events.c.timestamp <= until)
        if user_id is not None:
            statement = statement.where(events.c.user_id == user_id)
        statement = statement.order_by(events.c.timestamp, events.c.id)
        with self.store.engine.connect() as conn:
            rows = list(conn.execute(statement))
        if not rows:
            return ActivityLog.from_columns([], [], [], [], [])
        user_ids, item_ids, types, values, stamps = zip(*rows, strict=True)
        times = np.array(stamps, dtype="datetime64[us]").astype(np.int64) / 1e6
        return ActivityLog.from_columns(
            list(user_ids), list(item_ids), list(types), list(values), times
        )

    def state(self, tenant: str, until: datetime) -> tuple[int, datetime | None]:
        """(count, newest time) of the tenant's events at or before `until`: equal states
        mean an equal log, so what was learned from it can be reused."""
        statement = select(func.count(), func.max(events.c.timestamp)).where(
            events.c.tenant_id == tenant, events.c.timestamp <= until
        )
        with self.store.engine.connect() as conn:
            count, newest = conn.execute(statement).one()
        return int(count or 0), newest
