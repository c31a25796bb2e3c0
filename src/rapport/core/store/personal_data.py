"""`PersonalData`: everything stored about one user, exported in one call or erased in one
transaction (delete-my-data), leaving no readable copy in the database file."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, delete, select, text, update

from rapport.core.errors import NotFound
from rapport.core.models import Event, Schema, User, utcnow
from rapport.core.store.repository import Store
from rapport.core.store.schema import (
    busy_times,
    conversation_messages,
    conversations,
    escalations,
    events,
    generations,
    impressions,
    onboarding_sessions,
    outbox,
    plans,
    schedule_preferences,
    scheduled_sessions,
    user_contexts,
    users,
    vectors,
)

# Rows exported as they are, one list per table.
_PLAIN: dict[str, Table] = {
    "onboarding_sessions": onboarding_sessions,
    "generations": generations,
    "user_contexts": user_contexts,
    "outbox": outbox,
    "schedule_preferences": schedule_preferences,
    "busy_times": busy_times,
    "scheduled_sessions": scheduled_sessions,
    "plans": plans,
    "impressions": impressions,
}
# Rows that belong to the user and go with them. Messages go with their conversation.
_OWNED: dict[str, Table] = {"events": events, "conversations": conversations, **_PLAIN}


class UserExport(Schema):
    """Everything stored about one user (`GET /users/{id}/export`)."""

    tenant: str
    """The tenant the user belongs to."""
    user: User
    """The user record with their profile."""
    events: list[Event]
    """Every interaction, oldest first."""
    onboarding_sessions: list[dict[str, Any]]
    """Onboarding interviews: answers and what was understood."""
    conversations: list[dict[str, Any]]
    """Each with its `messages`, oldest first."""
    generations: list[dict[str, Any]]
    """Generated résumés, posts, learning paths about the user."""
    escalations: list[dict[str, Any]]
    """Crisis escalations raised from the user's messages."""
    user_contexts: list[dict[str, Any]]
    """The last location and context the platform sent."""
    outbox: list[dict[str, Any]]
    """Nudges and reminders queued or sent to the user."""
    schedule_preferences: list[dict[str, Any]]
    """Preferred times of day, weekdays and session length."""
    busy_times: list[dict[str, Any]]
    """Busy periods imported from the user's calendars."""
    scheduled_sessions: list[dict[str, Any]]
    """Sessions booked for the user."""
    plans: list[dict[str, Any]]
    """Weekly plans made for the user."""
    impressions: list[dict[str, Any]]
    """Items shown to the user in served lists."""
    exported_at: str
    """When this export was made (UTC, ISO 8601)."""


class PersonalData:
    """Export and erase one user's records across every table that holds them."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def export(self, tenant: str, user_id: str) -> UserExport:
        user = self.store.get_user(tenant, user_id)  # NotFound for an unknown user
        with self.store.engine.connect() as conn:
            threads = _rows(conn, conversations, tenant, user_id)
            for thread in threads:
                thread["messages"] = [
                    _plain(row)
                    for row in conn.execute(
                        select(conversation_messages)
                        .where(
                            conversation_messages.c.tenant_id == tenant,
                            conversation_messages.c.conversation_id == thread["id"],
                        )
                        .order_by(conversation_messages.c.position)
                    ).mappings()
                ]
            exported = UserExport(
                tenant=tenant,
                user=user,
                events=self.store.list_events(tenant, user_id=user_id),
                conversations=threads,
                escalations=_rows(conn, escalations, tenant, user_id),
                **{name: _rows(conn, table, tenant, user_id) for name, table in _PLAIN.items()},
                exported_at=utcnow().isoformat(),
            )
        return exported

    def erase(self, tenant: str, user_id: str) -> dict[str, int]:
        """Delete the user and what they own; keep escalations for the humans handling them,
        without the user id or their words. Returns counts per kind of record."""
        with self.store.engine.begin() as conn:
            removed = {
                name: conn.execute(
                    delete(table).where(table.c.tenant_id == tenant, table.c.user_id == user_id)
                ).rowcount
                for name, table in _OWNED.items()
            }
            removed["vectors"] = conn.execute(
                delete(vectors).where(
                    vectors.c.tenant_id == tenant,
                    vectors.c.space == "user",
                    vectors.c.ref_id == user_id,
                )
            ).rowcount
            removed["escalations_anonymised"] = conn.execute(
                update(escalations)
                .where(escalations.c.tenant_id == tenant, escalations.c.user_id == user_id)
                .values(user_id=None, excerpt="", updated_at=utcnow())
            ).rowcount
            removed["users"] = conn.execute(
                delete(users).where(users.c.tenant_id == tenant, users.c.id == user_id)
            ).rowcount
        self.store.table_writes["vectors"] += 1
        if not any(removed.values()):
            raise NotFound("user", user_id)
        self._flush_free_pages()
        return removed

    def _flush_free_pages(self) -> None:
        """SQLite (with `secure_delete`) zeroes freed pages, but the WAL still holds the old
        ones until a checkpoint: merge and truncate it now."""
        if self.store.dialect == "sqlite":
            with self.store.engine.connect() as conn:
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def _rows(conn: Connection, table: Table, tenant: str, user_id: str) -> list[dict[str, Any]]:
    statement = select(table).where(table.c.tenant_id == tenant, table.c.user_id == user_id)
    return [_plain(row) for row in conn.execute(statement).mappings()]


def _plain(row: Any) -> dict[str, Any]:
    """A row as JSON-ready values, without the tenant (the export names it once)."""
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in row.items()
        if key != "tenant_id"
    }
