"""`ConversationStore`: the assistant's conversations, their messages and each tenant's
persona, on the `Store`'s database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy import func, select, update

from rapport.core.errors import NotFound
from rapport.core.models import Schema, utcnow
from rapport.core.store.repository import Store
from rapport.core.store.schema import conversation_messages, conversations, personas


class ConversationMessage(Schema):
    """One turn of a conversation."""

    position: int
    """0, 1, 2... in the order they were said."""
    role: str
    """`user` or `assistant`."""
    content: str
    """What was said."""
    data: dict[str, Any] = Field(default_factory=dict)
    """For replies: how they were made (mode, intent, citations, actions)."""
    created_at: datetime
    """When it was stored."""


class Conversation(Schema):
    """A conversation with its running summary and its messages, oldest first."""

    id: str
    """Conversation id, returned by every reply."""
    user_id: str
    """Whose conversation."""
    summary: str
    """Running summary of the exchanges older than the assistant's memory window."""
    created_at: datetime
    """Started."""
    updated_at: datetime
    """Last message."""
    messages: list[ConversationMessage] = Field(default_factory=list)
    """Oldest first (all of them, or the most recent ones when asked for fewer)."""
    total_messages: int = 0
    """How many messages the conversation holds in all."""


@dataclass(frozen=True)
class NewMessage:
    role: str
    content: str
    data: dict[str, Any] = field(default_factory=dict)


class ConversationStore:
    """Conversations and personas. Appending an exchange (and the summary that goes with
    it) is one transaction, so a conversation never holds a question without its reply."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- conversations ---------------------------------------------------------------------

    def create(self, tenant: str, user_id: str) -> Conversation:
        now = utcnow()
        row = {
            "tenant_id": tenant,
            "id": uuid.uuid4().hex,
            "user_id": user_id,
            "summary": "",
            "created_at": now,
            "updated_at": now,
        }
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            conn.execute(conversations.insert(), row)
        return Conversation(
            id=row["id"], user_id=user_id, summary="", created_at=now, updated_at=now
        )

    def get(self, tenant: str, conversation_id: str, *, last: int | None = None) -> Conversation:
        """A conversation with all its messages, or only the `last` ones."""
        c, m = conversations.c, conversation_messages.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(conversations).where(c.tenant_id == tenant, c.id == conversation_id)
            ).first()
            if row is None:
                raise NotFound("conversation", conversation_id)
            where = (m.tenant_id == tenant, m.conversation_id == conversation_id)
            total = conn.scalar(select(func.count()).where(*where)) or 0
            query = select(conversation_messages).where(*where).order_by(m.position.desc())
            if last is not None:
                query = query.limit(last)
            rows = list(conn.execute(query))
        messages = [
            ConversationMessage(
                position=r.position,
                role=r.role,
                content=r.content,
                data=r.data or {},
                created_at=r.created_at,
            )
            for r in reversed(rows)
        ]
        return Conversation(
            id=row.id,
            user_id=row.user_id,
            summary=row.summary,
            created_at=row.created_at,
            updated_at=row.updated_at,
            messages=messages,
            total_messages=total,
        )

    def append(
        self,
        tenant: str,
        conversation_id: str,
        messages: Sequence[NewMessage],
        *,
        summary: str | None = None,
    ) -> int:
        """Add messages after the last one (and replace the summary when given); returns
        the position of the first message added."""
        c, m = conversations.c, conversation_messages.c
        now = utcnow()
        with self.engine.begin() as conn:
            last = conn.scalar(
                select(func.max(m.position)).where(
                    m.tenant_id == tenant, m.conversation_id == conversation_id
                )
            )
            first = 0 if last is None else int(last) + 1
            conn.execute(
                conversation_messages.insert(),
                [
                    {
                        "tenant_id": tenant,
                        "conversation_id": conversation_id,
                        "position": first + i,
                        "role": message.role,
                        "content": message.content,
                        "data": message.data,
                        "created_at": now,
                    }
                    for i, message in enumerate(messages)
                ],
            )
            values: dict[str, Any] = {"updated_at": now}
            if summary is not None:
                values["summary"] = summary
            conn.execute(
                update(conversations)
                .where(c.tenant_id == tenant, c.id == conversation_id)
                .values(**values)
            )
        return first

    def list_for_user(self, tenant: str, user_id: str, *, limit: int = 20) -> list[Conversation]:
        """A user's conversations, most recent first, without their messages."""
        c = conversations.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(conversations)
                .where(c.tenant_id == tenant, c.user_id == user_id)
                .order_by(c.updated_at.desc())
                .limit(limit)
            )
            return [
                Conversation(
                    id=r.id,
                    user_id=r.user_id,
                    summary=r.summary,
                    created_at=r.created_at,
                    updated_at=r.updated_at,
                )
                for r in rows
            ]

    def get_persona(self, tenant: str) -> dict[str, Any] | None:
        """The tenant's persona settings as stored, or None when never set."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(personas.c.config).where(personas.c.tenant_id == tenant)
            ).first()
        return None if row is None else dict(row.config)

    def set_persona(self, tenant: str, config: dict[str, Any]) -> None:
        row = {"tenant_id": tenant, "config": config, "updated_at": utcnow()}
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            self.store._upsert(conn, personas, [row], ["tenant_id"])
