"""`ImpressionStore`: the items shown to users (one row per item of a served list), and
the events that happened after them, on the `Store`'s database."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from rapport.core.store.repository import Store, _chunks
from rapport.core.store.schema import events, impressions


@dataclass(frozen=True)
class Shown:
    """One shown item: a logged impression, or an imported `impression` event."""

    list_id: str
    user_id: str
    item_id: str
    rank: int
    source: str
    model_version: str
    experiment: str | None
    variant: str | None
    at: datetime


@dataclass(frozen=True)
class Outcome:
    """An event that may follow an impression (click, save, purchase...)."""

    user_id: str
    item_id: str
    type: str
    at: datetime


class ImpressionStore:
    """Impressions of each tenant. Each write is one transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def add(self, tenant: str, shown: Sequence[Shown]) -> int:
        rows = [
            {
                "tenant_id": tenant,
                "id": "imp_" + uuid.uuid4().hex[:24],
                "list_id": s.list_id,
                "user_id": s.user_id,
                "item_id": s.item_id,
                "rank": s.rank,
                "source": s.source[:32],
                "model_version": s.model_version[:64],
                "experiment": s.experiment,
                "variant": s.variant,
                "created_at": s.at,
            }
            for s in shown
        ]
        if not rows:
            return 0
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            for part in _chunks(rows):
                conn.execute(impressions.insert(), list(part))
        return len(rows)

    def logged(
        self, tenant: str, since: datetime | None, until: datetime, experiment: str | None = None
    ) -> list[Shown]:
        """Logged impressions with `since <= time <= until`, oldest first."""
        where = [impressions.c.tenant_id == tenant, impressions.c.created_at <= until]
        if since is not None:
            where.append(impressions.c.created_at >= since)
        if experiment is not None:
            where.append(impressions.c.experiment == experiment)
        statement = (
            select(impressions).where(*where).order_by(impressions.c.created_at, impressions.c.id)
        )
        with self.engine.connect() as conn:
            return [_shown(dict(r)) for r in conn.execute(statement).mappings()]

    def imported(self, tenant: str, since: datetime | None, until: datetime) -> list[Shown]:
        """`impression` events (imported as ordinary events), as shown items. Their
        context may name `rank`/`position`, `source`, `model_version`, `list_id`."""
        where = [
            events.c.tenant_id == tenant,
            events.c.type == "impression",
            events.c.item_id.is_not(None),
            events.c.timestamp <= until,
        ]
        if since is not None:
            where.append(events.c.timestamp >= since)
        statement = select(
            events.c.id, events.c.user_id, events.c.item_id, events.c.timestamp, events.c.context
        ).where(*where)
        found = []
        with self.engine.connect() as conn:
            for event_id, user_id, item_id, at, context in conn.execute(statement):
                found.append(_imported(event_id, user_id, item_id, at, context or {}))
        return sorted(found, key=lambda s: s.at)

    def outcomes(
        self, tenant: str, types: Collection[str], since: datetime | None, until: datetime
    ) -> list[Outcome]:
        """Events of `types` about an item with `since <= time <= until`, oldest first."""
        where = [
            events.c.tenant_id == tenant,
            events.c.type.in_(list(types)),
            events.c.item_id.is_not(None),
            events.c.timestamp <= until,
        ]
        if since is not None:
            where.append(events.c.timestamp >= since)
        statement = (
            select(events.c.user_id, events.c.item_id, events.c.type, events.c.timestamp)
            .where(*where)
            .order_by(events.c.timestamp, events.c.id)
        )
        with self.engine.connect() as conn:
            return [Outcome(r[0], r[1], r[2], r[3]) for r in conn.execute(statement)]


def _shown(row: dict[str, Any]) -> Shown:
    return Shown(
        list_id=row["list_id"],
        user_id=row["user_id"],
        item_id=row["item_id"],
        rank=int(row["rank"]),
        source=row["source"] or "",
        model_version=row["model_version"] or "",
        experiment=row["experiment"],
        variant=row["variant"],
        at=row["created_at"],
    )


def _imported(
    event_id: str, user_id: str, item_id: str, at: datetime, context: dict[str, Any]
) -> Shown:
    rank = context.get("rank", context.get("position"))
    return Shown(
        list_id=str(context.get("list_id") or event_id),
        user_id=user_id,
        item_id=item_id,
        rank=int(rank) if isinstance(rank, int | float) and rank >= 1 else 1,
        source=str(context.get("source") or "imported"),
        model_version=str(context.get("model_version") or ""),
        experiment=None,  # assigned later from the user's variant
        variant=None,
        at=at,
    )
