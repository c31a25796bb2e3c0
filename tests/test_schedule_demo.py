"""The demo's scheduling world: every mentor bookable in the windows its text states, and
the first demo user's busy calendar and preferences, so the tour proposes a session around
the calendar and exports a plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from rapport.demo.loader import load_schedule
from rapport.demo.world import build_demo_world
from rapport.engine import Engine

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LISBON = ZoneInfo("Europe/Lisbon")


def test_demo_mentors_calendar_and_plan(sqlite_engine: Engine) -> None:
    world = build_demo_world(seed=7, now=NOW)
    mentors = [i for i in world.items if i["kind"] == "mentor"]
    assert {a["item_id"] for a in world.availability} == {m["id"] for m in mentors}
    user = world.users[0]["id"]
    sqlite_engine.users.add(world.users)
    sqlite_engine.items.add(mentors, index=False)
    load_schedule(sqlite_engine, world)
    load_schedule(sqlite_engine, world)  # idempotent: replaces, never doubles

    week = NOW + timedelta(days=3) - timedelta(hours=9)  # Monday 23 Nov, 00:00 UTC
    busy = sqlite_engine.schedule.busy(user, week, week + timedelta(days=7))
    assert sorted({b.summary for b in busy}) == ["Climbing class", "Dinner with friends", "Work"]
    assert len(busy) == 5 + 1 + 1
    evening = next(a for a in world.availability if a["weekly"][0]["start"] == "18:00")
    proposal = sqlite_engine.schedule.propose(
        user, item_id=evening["item_id"], from_=week, to=week + timedelta(days=5), at=NOW
    )
    assert proposal.slots
    best = proposal.slots[0]
    # Tuesday or Thursday evening (the preferences), never during the Tuesday climbing class.
    local = best.start.astimezone(LISBON)
    assert local.weekday() in (1, 3) and local.hour >= 18
    assert "evening, your preferred time and day" in best.reasons[0]
    for slot in proposal.slots:
        assert not any(slot.start < b.end and b.start < slot.end for b in busy)

    plan = sqlite_engine.plans.make(user, week_of=week.date(), hours=5, effort="medium", at=NOW)
    assert sum((e.end - e.start for e in plan.events), timedelta()) == timedelta(hours=5)
    events = list(icalendar.Calendar.from_ical(sqlite_engine.plans.ics(plan)).walk("VEVENT"))
    assert len(events) == len(plan.events) == 5
