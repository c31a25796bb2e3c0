"""`ActivityReader`: the read-only slices of the store that engagement scores and nudge
triggers need, batched over many users: recent events, last activity, onboarding time and
each user's latest message to the assistant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import and_, func, select

from rapport.core.models import Event, User, to_utc
from rapport.core.store.repository import Store, _chunks, _row_event, _row_user
from rapport.core.store.schema import (
    conversation_messages,
    conversations,
    events,
    onboarding_sessions,
    users,
)


class ActivityReader:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def users(self, tenant: str, user_ids: Sequence[str] | None = None) -> Iterator[list[User]]:
        """The tenant's users (or these ones) in batches, ordered by id."""
        if user_ids is not None:
            for part in _chunks(list(user_ids)):
                with self.engine.connect() as conn:  # closed before the caller reads more
                    found = conn.execute(
                        select(users)
                        .where(users.c.tenant_id == tenant, users.c.id.in_(part))
                        .order_by(users.c.id)
                    ).all()
                yield [_row_user(row) for row in found]
            return
        after = ""
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(users)
                    .where(users.c.tenant_id == tenant, users.c.id > after)
                    .order_by(users.c.id)
                    .limit(500)
                ).all()
            if not rows:
                return
            yield [_row_user(row) for row in rows]
            after = rows[-1].id

    def events(
        self, tenant: str, user_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, list[Event]]:
        """Each user's events with `since <= timestamp <= until`, oldest first."""
        found: dict[str, list[Event]] = defaultdict(list)
        with self.engine.connect() as conn:
            for part in _chunks(list(user_ids)):
                rows = conn.execute(
                    select(events)
                    .where(
                        events.c.tenant_id == tenant,
                        events.c.user_id.in_(part),
                        events.c.timestamp >= since,
                        events.c.timestamp <= until,
                    )
                    .order_by(events.c.user_id, events.c.timestamp, events.c.id)
                )
                for row in rows:
                    found[row.user_id].append(_row_event(row))
        return found

    def last_event(
        self,
        tenant: str,
        user_ids: Sequence[str],
        until: datetime,
        types: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
    ) -> dict[str, datetime]:
        """Each user's newest event time at or before `until` (of `types`, when given)."""
        found: dict[str, datetime] = {}
        with self.engine.connect() as conn:
            for part in _chunks(list(user_ids)):
                statement = select(events.c.user_id, func.max(events.c.timestamp)).where(
                    events.c.tenant_id == tenant,
                    events.c.user_id.in_(part),
                    events.c.timestamp <= until,
                )
                if types is not None:
                    statement = statement.where(events.c.type.in_(list(types)))
                if exclude:
                    statement = statement.where(events.c.type.not_in(list(exclude)))
                for user_id, newest in conn.execute(statement.group_by(events.c.user_id)):
                    if newest is not None:
                        found[user_id] = _as_utc(newest)
        return found

    def count_events(
        self,
        tenant: str,
        user_ids: Sequence[str],
        types: Sequence[str],
        since: dict[str, datetime],
        until: datetime,
    ) -> dict[str, int]:
        """Events of `types` per user after that user's `since` time, up to `until`."""
        found: dict[str, int] = {}
        with self.engine.connect() as conn:
            for part in _chunks(list(user_ids)):
                statement = select(events.c.user_id, events.c.timestamp).where(
                    events.c.tenant_id == tenant,
                    events.c.user_id.in_(part),
                    events.c.type.in_(list(types)),
                    events.c.timestamp <= until,
                )
                starts = [since[u] for u in part if u in since]
                if len(starts) == len(part):  # every user has a start: skip older rows
                    statement = statement.where(events.c.timestamp > min(starts))
                rows = conn.execute(statement)
                for user_id, moment in rows:
                    start = since.get(user_id)
                    if start is None or _as_utc(moment) > start:
                        found[user_id] = found.get(user_id, 0) + 1
        return found

    def onboarded(
        self, tenant: str, user_ids: Sequence[str], until: datetime
    ) -> dict[str, datetime]:
        """When each user last finished an onboarding interview (at or before `until`)."""
        found: dict[str, datetime] = {}
        with self.engine.connect() as conn:
            for part in _chunks(list(user_ids)):
                rows = conn.execute(
                    select(
                        onboarding_sessions.c.user_id, func.max(onboarding_sessions.c.updated_at)
                    )
                    .where(
                        onboarding_sessions.c.tenant_id == tenant,
                        onboarding_sessions.c.user_id.in_(part),
                        onboarding_sessions.c.status == "done",
                        onboarding_sessions.c.updated_at <= until,
                    )
                    .group_by(onboarding_sessions.c.user_id)
                )
                for user_id, moment in rows:
                    if moment is not None:
                        found[user_id] = _as_utc(moment)
        return found

    def latest_messages(
        self, tenant: str, user_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, str]:
        """Each user's newest message to the assistant written in `[since, until]`."""
        found: dict[str, tuple[datetime, int, str]] = {}
        join = conversation_messages.join(
            conversations,
            and_(
                conversations.c.tenant_id == conversation_messages.c.tenant_id,
                conversations.c.id == conversation_messages.c.conversation_id,
            ),
        )
        with self.engine.connect() as conn:
            for part in _chunks(list(user_ids)):
                rows = conn.execute(
                    select(
                        conversations.c.user_id,
                        conversation_messages.c.created_at,
                        conversation_messages.c.position,
                        conversation_messages.c.content,
                    )
                    .select_from(join)
                    .where(
                        conversation_messages.c.tenant_id == tenant,
                        conversations.c.user_id.in_(part),
                        conversation_messages.c.role == "user",
                        conversation_messages.c.created_at >= since,
                        conversation_messages.c.created_at <= until,
                    )
                )
                for user_id, moment, position, content in rows:
                    key = (_as_utc(moment), position, content)
                    if user_id not in found or key[:2] > found[user_id][:2]:
                        found[user_id] = key
        return {user_id: value[2] for user_id, value in found.items()}


def _as_utc(value: datetime) -> datetime:
    # Aggregates (max) bypass the column type on SQLite and come back as naive text.
    converted: datetime = to_utc(value)
    return converted
