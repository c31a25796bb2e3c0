"""Reminders: one message per booked session, due a lead time (1 hour) before it starts,
written in the user's time zone; the outbox delivers them (one per session: `period` is
the session id)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rapport.core.errors import NotFound
from rapport.core.store.calendar import CalendarStore
from rapport.core.store.repository import Store
from rapport.services.plan.schemas import Reminder
from rapport.services.plan.times import describe

LEAD = timedelta(hours=1)


def reminders_due(
    store: Store, calendar: CalendarStore, tenant: str, at: datetime, lead: timedelta = LEAD
) -> list[Reminder]:
    """Reminders whose send time has come at `at` for sessions that have not started yet
    (send_at = start - lead <= at < start)."""
    rows = calendar.sessions(tenant, start=at, end=at + lead, status="booked")
    zones: dict[str, ZoneInfo] = {}
    due = []
    for row in rows:
        if not at < row.starts_at <= at + lead:
            continue
        if row.user_id not in zones:
            try:
                zones[row.user_id] = ZoneInfo(store.get_user(tenant, row.user_id).timezone)
            except NotFound:  # the user was erased after booking: nobody to remind
                continue
        zone = zones[row.user_id]
        here = row.starts_at.astimezone(zone)
        minutes = int((row.ends_at - row.starts_at).total_seconds() // 60)
        due.append(
            Reminder(
                user_id=row.user_id,
                session_id=row.id,
                period=row.id,
                send_at=row.starts_at - lead,
                subject=f"Reminder: {row.title} at {here:%H:%M}",
                body=(
                    f"Your session “{row.title}” starts {describe(row.starts_at, zone)} "
                    f"({zone.key}) and lasts {minutes} minutes."
                ),
                starts_at=row.starts_at,
                item_id=row.item_id,
            )
        )
    return due
