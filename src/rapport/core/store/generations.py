"""`GenerationStore`: the log of generated content (`generations`), and the label
vocabulary generation draws on, on the `Store`'s database."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select

from rapport.core.models import Schema, utcnow
from rapport.core.store.repository import Store
from rapport.core.store.schema import generations, item_labels

GenerationMode = Literal["llm", "template"]


class GenerationRecord(Schema):
    """One logged generation: what was asked, what came out and how it was made."""

    id: str
    """Unique per tenant (`gen_...`)."""
    user_id: str | None
    """The user it was made for, when there is one."""
    kind: str
    """resume, post, learning_path, tags, draft or process_ops."""
    request: dict[str, Any]
    """The request as received."""
    output: dict[str, Any]
    """The validated result."""
    mode: GenerationMode
    """`llm` (written by the language model) or `template` (deterministic)."""
    model: str
    """The language model that wrote it; empty for templates."""
    created_at: datetime
    """When it was generated."""


class GenerationStore:
    """Appends to and reads the generation log of each tenant."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def add(
        self,
        tenant: str,
        kind: str,
        request: dict[str, Any],
        output: dict[str, Any],
        *,
        mode: GenerationMode,
        model: str = "",
        user_id: str | None = None,
    ) -> GenerationRecord:
        record = GenerationRecord(
            id="gen_" + uuid.uuid4().hex[:24],
            user_id=user_id,
            kind=kind,
            request=request,
            output=output,
            mode=mode,
            model=model,
            created_at=utcnow(),
        )
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            conn.execute(generations.insert(), {"tenant_id": tenant, **record.model_dump()})
        return record

    def recent(
        self,
        tenant: str,
        *,
        kind: str | None = None,
        user_id: str | None = None,
        limit: int = 50,
    ) -> list[GenerationRecord]:
        """The newest generations first, optionally of one kind or for one user."""
        statement = select(generations).where(generations.c.tenant_id == tenant)
        if kind is not None:
            statement = statement.where(generations.c.kind == kind)
        if user_id is not None:
            statement = statement.where(generations.c.user_id == user_id)
        statement = statement.order_by(
            generations.c.created_at.desc(), generations.c.id.desc()
        ).limit(limit)
        with self.engine.connect() as conn:
            return [
                GenerationRecord.model_validate(row._asdict(), from_attributes=False)
                for row in conn.execute(statement)
            ]

    def label_vocabulary(self, tenant: str, limit: int = 2000) -> list[str]:
        """The tenant's item tags and categories, most used first: the words auto-tagging
        may choose from."""
        uses = func.count().label("uses")
        statement = (
            select(item_labels.c.value, uses)
            .where(item_labels.c.tenant_id == tenant)
            .group_by(item_labels.c.value)
            .order_by(uses.desc(), item_labels.c.value)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [row.value for row in conn.execute(statement)]
