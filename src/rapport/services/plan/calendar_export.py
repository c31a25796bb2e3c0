"""iCalendar export of a user's booked sessions and plan blocks (RFC 5545, `icalendar`):
times in UTC, stable UIDs, so a calendar app that subscribes updates instead of doubling."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import icalendar

from rapport.services.plan.schemas import PlanEvent, Session

PRODID = "-//rapport//schedule and plans//EN"


def _event(
    uid: str, summary: str, start: datetime, end: datetime, stamp: datetime
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("dtstamp", stamp)
    return event


def calendar_ics(
    name: str,
    sessions: Sequence[Session],
    plan_events: Sequence[tuple[str, PlanEvent]],
    stamp: datetime,
) -> str:
    """A VCALENDAR with one VEVENT per session and per plan block (`(plan id, block)`)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for session in sessions:
        event = _event(
            f"{session.id}@rapport", session.title, session.start, session.end, session.created_at
        )
        event.add("categories", ["session"])
        event.add("status", "CONFIRMED" if session.status == "booked" else "CANCELLED")
        if session.ai_scheduled:
            event.add("description", "Booked by the assistant.")
        calendar.add_component(event)
    for n, (plan_id, block) in enumerate(plan_events):
        event = _event(f"{plan_id}-{n}@rapport", block.title, block.start, block.end, stamp)
        event.add("categories", ["plan"])
        event.add("description", f"Goal: {block.goal} (effort {block.effort})")
        calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
