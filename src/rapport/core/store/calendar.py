"""`CalendarStore`: provider availability, users' busy times and scheduling preferences,
booked sessions and weekly plans, on the `Store`'s database."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, and_, delete, or_, select, text, update

from rapport.core.errors import NotFound
from rapport.core.models import Schema, utcnow
from rapport.core.store.paging import one_of
from rapport.core.store.repository import Store
from rapport.core.store.schema import (
    availability,
    busy_times,
    plans,
    schedule_preferences,
    scheduled_sessions,
    tenants,
)

SessionStatus = Literal["booked", "cancelled"]


class WindowRow(Schema):
    """One stored availability window: weekly (weekday and local times) or one-off."""

    weekday: int | None
    start_time: str | None
    end_time: str | None
    timezone: str
    starts_at: datetime | None
    ends_at: datetime | None


class BusyRow(Schema):
    """A time the user is not free, from an imported calendar."""

    id: str
    """Stable per calendar, event and occurrence: re-importing replaces, never doubles."""
    starts_at: datetime
    """Start (UTC)."""
    ends_at: datetime
    """End (UTC)."""
    summary: str
    """The calendar event's title."""
    source: str
    """The calendar it came from (file name or URL)."""


class SessionRow(Schema):
    """A booked (or cancelled) session between a user and a provider item."""

    id: str
    """Unique per tenant."""
    user_id: str
    """Who it is booked for."""
    item_id: str | None
    """The mentor or other provider."""
    title: str
    """Shown in calendars and reminders."""
    starts_at: datetime
    """Start (UTC)."""
    ends_at: datetime
    """End (UTC)."""
    status: SessionStatus
    """`booked` or `cancelled`."""
    ai_scheduled: bool
    """Booked by the assistant rather than by the user or the platform."""
    created_at: datetime
    """When it was booked."""


class PlanRow(Schema):
    """A stored weekly plan."""

    id: str
    user_id: str
    week_of: str
    request: dict[str, Any]
    events: list[dict[str, Any]]
    summary: str
    created_at: datetime


def _lock_key(tenant: str) -> int:
    """A signed 64-bit advisory-lock key per tenant (PostgreSQL)."""
    digest = hashlib.blake2b(f"rapport-booking:{tenant}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class CalendarStore:
    """Availability, busy times, preferences, sessions and plans of each tenant. Each public
    write is one transaction; bookings are serialised per tenant so two of them can never
    take the same time."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- availability ------------------------------------------------------------------------

    def replace_availability(self, tenant: str, item_id: str, windows: Sequence[WindowRow]) -> None:
        rows = [
            {"tenant_id": tenant, "id": f"{item_id}:{n}", "item_id": item_id, **w.model_dump()}
            for n, w in enumerate(windows)
        ]
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            conn.execute(
                delete(availability).where(
                    availability.c.tenant_id == tenant, availability.c.item_id == item_id
                )
            )
            if rows:
                conn.execute(availability.insert(), rows)

    def availability(self, tenant: str, item_id: str) -> list[WindowRow]:
        query = (
            select(availability)
            .where(availability.c.tenant_id == tenant, availability.c.item_id == item_id)
            .order_by(availability.c.id)
        )
        with self.engine.connect() as conn:
            found = conn.execute(query).mappings().all()
        rows = sorted(found, key=lambda r: int(str(r["id"]).rsplit(":", 1)[-1]))
        return [WindowRow.model_validate(dict(r)) for r in rows]

    def providers(self, tenant: str) -> list[str]:
        """Items that have any availability (the ones sessions can be booked with)."""
        query = (
            select(availability.c.item_id)
            .where(availability.c.tenant_id == tenant)
            .distinct()
            .order_by(availability.c.item_id)
        )
        with self.engine.connect() as conn:
            return [str(r) for r in conn.execute(query).scalars()]

    # -- preferences ------------------------------------------------------------------------

    def preferences(self, tenant: str, user_id: str) -> dict[str, Any] | None:
        query = select(schedule_preferences.c.config).where(
            schedule_preferences.c.tenant_id == tenant,
            schedule_preferences.c.user_id == user_id,
        )
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar()
        return dict(found) if found is not None else None

    def set_preferences(self, tenant: str, user_id: str, config: dict[str, Any]) -> None:
        row = {"tenant_id": tenant, "user_id": user_id, "config": config, "updated_at": utcnow()}
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            self.store._upsert(conn, schedule_preferences, [row], ["tenant_id", "user_id"])

    # -- busy times -------------------------------------------------------------------------

    def replace_busy(self, tenant: str, user_id: str, source: str, rows: Sequence[BusyRow]) -> int:
        """Replace everything imported from `source` for this user; returns how many rows
        the previous import of that source had."""
        values = [
            {"tenant_id": tenant, "user_id": user_id, **r.model_dump(), "source": source}
            for r in rows
        ]
        where = and_(
            busy_times.c.tenant_id == tenant,
            busy_times.c.user_id == user_id,
            busy_times.c.source == source,
        )
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            replaced = conn.execute(delete(busy_times).where(where)).rowcount or 0
            if values:
                self.store._upsert(conn, busy_times, values, ["tenant_id", "id"])
        return int(replaced)

    def busy(self, tenant: str, user_id: str, start: datetime, end: datetime) -> list[BusyRow]:
        """Busy times of one user that overlap [start, end)."""
        query = (
            select(busy_times)
            .where(
                busy_times.c.tenant_id == tenant,
                busy_times.c.user_id == user_id,
                busy_times.c.starts_at < end,
                busy_times.c.ends_at > start,
            )
            .order_by(busy_times.c.starts_at, busy_times.c.id)
        )
        with self.engine.connect() as conn:
            return [BusyRow.model_validate(dict(r)) for r in conn.execute(query).mappings()]

    # -- sessions ---------------------------------------------------------------------------

    @contextmanager
    def booking(self, tenant: str) -> Iterator[Connection]:
        """One transaction that holds the tenant's booking lock: checks made through the
        connection it yields and the insert that follows them cannot interleave with
        another booking (another thread, process or server)."""
        with self.engine.begin() as conn:
            if self.store.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(tenant)})
                self.store._ensure_tenant(conn, tenant)
            else:
                # The first statement writes, so SQLite takes its write lock before anything
                # is read: a second booking waits here and then sees the first one.
                self.store._ensure_tenant(conn, tenant)
                conn.execute(
                    update(tenants).where(tenants.c.id == tenant).values(name=tenants.c.name)
                )
            yield conn

    def overlapping_sessions(
        self,
        conn: Connection | None,
        tenant: str,
        start: datetime,
        end: datetime,
        *,
        user_id: str | None = None,
        item_id: str | None = None,
    ) -> list[SessionRow]:
        """Booked sessions of the user or of the provider item that overlap [start, end)."""
        who = []
        if user_id is not None:
            who.append(scheduled_sessions.c.user_id == user_id)
        if item_id is not None:
            who.append(scheduled_sessions.c.item_id == item_id)
        if not who:
            return []
        query = (
            select(scheduled_sessions)
            .where(
                scheduled_sessions.c.tenant_id == tenant,
                scheduled_sessions.c.status == "booked",
                scheduled_sessions.c.starts_at < end,
                scheduled_sessions.c.ends_at > start,
                or_(*who),
            )
            .order_by(scheduled_sessions.c.starts_at, scheduled_sessions.c.id)
        )
        if conn is not None:
            return [SessionRow.model_validate(dict(r)) for r in conn.execute(query).mappings()]
        with self.engine.connect() as own:
            return [SessionRow.model_validate(dict(r)) for r in own.execute(query).mappings()]

    def insert_session(self, conn: Connection, tenant: str, session: SessionRow) -> None:
        conn.execute(scheduled_sessions.insert(), {"tenant_id": tenant, **session.model_dump()})

    @staticmethod
    def new_session_id() -> str:
        return "ses_" + uuid.uuid4().hex[:20]

    def session(self, tenant: str, session_id: str) -> SessionRow:
        where = [scheduled_sessions.c.tenant_id == tenant, scheduled_sessions.c.id == session_id]
        return one_of(
            self.engine, scheduled_sessions, where, SessionRow.model_validate, "session", session_id
        )

    def sessions(
        self,
        tenant: str,
        *,
        user_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        status: SessionStatus | None = None,
    ) -> list[SessionRow]:
        """Sessions ordered by start; `start`/`end` keep those overlapping that range."""
        query = select(scheduled_sessions).where(scheduled_sessions.c.tenant_id == tenant)
        if user_id is not None:
            query = query.where(scheduled_sessions.c.user_id == user_id)
        if start is not None:
            query = query.where(scheduled_sessions.c.ends_at > start)
        if end is not None:
            query = query.where(scheduled_sessions.c.starts_at < end)
        if status is not None:
            query = query.where(scheduled_sessions.c.status == status)
        query = query.order_by(scheduled_sessions.c.starts_at, scheduled_sessions.c.id)
        with self.engine.connect() as conn:
            return [SessionRow.model_validate(dict(r)) for r in conn.execute(query).mappings()]

    def cancel_session(self, tenant: str, session_id: str) -> SessionRow:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(scheduled_sessions)
                .where(
                    scheduled_sessions.c.tenant_id == tenant,
                    scheduled_sessions.c.id == session_id,
                )
                .values(status="cancelled")
            )
        if not done.rowcount:
            raise NotFound("session", session_id)
        return self.session(tenant, session_id)

    # -- plans ------------------------------------------------------------------------------

    def add_plan(self, tenant: str, plan: PlanRow) -> None:
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            conn.execute(plans.insert(), {"tenant_id": tenant, **plan.model_dump()})

    def plans(
        self, tenant: str, user_id: str, *, week_of: str | None = None, limit: int = 50
    ) -> list[PlanRow]:
        """A user's plans, newest first."""
        query = select(plans).where(plans.c.tenant_id == tenant, plans.c.user_id == user_id)
        if week_of is not None:
            query = query.where(plans.c.week_of == week_of)
        query = query.order_by(plans.c.created_at.desc(), plans.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [PlanRow.model_validate(dict(r)) for r in conn.execute(query).mappings()]

    @staticmethod
    def new_plan_id() -> str:
        return "plan_" + uuid.uuid4().hex[:20]
