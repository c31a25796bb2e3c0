"""`ModerationStore`: the review queue of flagged texts, on the `Store`'s database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, select, update

from rapport.core.errors import NotFound
from rapport.core.models import Page, Schema, utcnow
from rapport.core.store.paging import page_of
from rapport.core.store.repository import Store
from rapport.core.store.schema import moderation_queue

Status = Literal["pending", "approved", "rejected"]


class ModerationEntry(Schema):
    """One flagged text waiting for (or after) a human decision."""

    id: str
    """Stable for the same reference and text: a re-import does not queue it twice."""
    ref_kind: str
    """What was flagged: `item`, `post` or `chat`."""
    ref_id: str
    """The id of the flagged record."""
    text: str
    """The text that was checked."""
    labels: dict[str, float]
    """Score of each category."""
    status: Status
    """`pending`, `approved` or `rejected`."""
    created_at: datetime
    """When it was flagged."""
    decided_at: datetime | None = None
    """When a person approved or rejected it."""


class ModerationStore:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def add(self, tenant: str, entries: Sequence[ModerationEntry]) -> None:
        """Queue entries; ids already queued keep their row (and their decision)."""
        if entries:
            with self.engine.begin() as conn:
                self.add_in(conn, tenant, entries)

    @staticmethod
    def add_in(conn: Connection, tenant: str, entries: Sequence[ModerationEntry]) -> None:
        """`add` inside a caller's transaction (items and their queue entries commit together)."""
        if not entries:
            return
        known = set(
            conn.scalars(
                select(moderation_queue.c.id).where(
                    moderation_queue.c.tenant_id == tenant,
                    moderation_queue.c.id.in_([e.id for e in entries]),
                )
            )
        )
        rows = [{"tenant_id": tenant, **e.model_dump()} for e in entries if e.id not in known]
        if rows:
            conn.execute(moderation_queue.insert(), rows)

    def get_many(self, tenant: str, ids: Sequence[str]) -> dict[str, ModerationEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(moderation_queue).where(
                    moderation_queue.c.tenant_id == tenant, moderation_queue.c.id.in_(list(ids))
                )
            ).mappings()
            return {row["id"]: _entry(dict(row)) for row in rows}

    def get(self, tenant: str, entry_id: str) -> ModerationEntry:
        found = self.get_many(tenant, [entry_id])
        if entry_id not in found:
            raise NotFound("moderation entry", entry_id)
        return found[entry_id]

    def list(
        self, tenant: str, status: Status | None = "pending", limit: int = 50, offset: int = 0
    ) -> Page[ModerationEntry]:
        where = [moderation_queue.c.tenant_id == tenant]
        if status is not None:
            where.append(moderation_queue.c.status == status)
        order = [moderation_queue.c.created_at, moderation_queue.c.id]
        return page_of(self.engine, moderation_queue, where, order, limit, offset, _entry)

    def decide(self, tenant: str, entry_id: str, status: Status) -> ModerationEntry:
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(moderation_queue)
                .where(moderation_queue.c.tenant_id == tenant, moderation_queue.c.id == entry_id)
                .values(status=status, decided_at=utcnow())
            )
            if not changed.rowcount:
                raise NotFound("moderation entry", entry_id)
        return self.get(tenant, entry_id)


def _entry(row: Mapping[str, Any]) -> ModerationEntry:
    data = dict(row)
    data.pop("tenant_id")
    return ModerationEntry.model_validate(data)
