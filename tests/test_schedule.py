"""Scheduling: provider availability in its zone, busy times from iCal (RRULE expanded),
proposals that never clash with busy times or bookings (either side), time zones far apart
and a DST week, bookings that cannot double up (also two at once), reminders, and the
calendar export read back with icalendar."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from rapport.engine import Engine
from rapport.engine.schemas import Conflict, InvalidInput, NotFound

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday
WEEK = datetime(2026, 11, 23, tzinfo=UTC)  # the Monday after

# A stand-up every Tuesday and Wednesday 09:00-10:00 Lisbon time (20 times from 3 Nov), a
# dentist, an all-day Saturday (read in the user's zone) and a free lunch (not busy).
WEEKLY_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:standup
SUMMARY:Team stand-up
DTSTART;TZID=Europe/Lisbon:20261103T090000
DTEND;TZID=Europe/Lisbon:20261103T100000
RRULE:FREQ=WEEKLY;BYDAY=TU,WE;COUNT=20
END:VEVENT
BEGIN:VEVENT
UID:dentist
SUMMARY:Dentist
DTSTART:20261124T180000Z
DTEND:20261124T190000Z
END:VEVENT
BEGIN:VEVENT
UID:trip
SUMMARY:Trip
DTSTART;VALUE=DATE:20261128
DTEND;VALUE=DATE:20261129
END:VEVENT
BEGIN:VEVENT
UID:lunch
SUMMARY:Maybe lunch
TRANSP:TRANSPARENT
DTSTART:20261125T120000Z
DTEND:20261125T130000Z
END:VEVENT
END:VCALENDAR
"""


def world(
    engine: Engine, user_zone: str = "Europe/Lisbon", mentor_zone: str = "Europe/Lisbon"
) -> None:
    engine.users.add(
        [
            {
                "id": "maya",
                "timezone": user_zone,
                "profile": {"goals": ["learn SQL", "ship a portfolio"]},
            },
            {"id": "omar", "timezone": "UTC"},
        ]
    )
    engine.items.add(
        [
            {"id": "ana", "kind": "mentor", "title": "Ana Costa", "text": "Data mentor"},
            {"id": "sql-101", "kind": "course", "title": "SQL basics"},
        ],
        index=False,
    )
    engine.schedule.set_availability(
        "ana",
        timezone=mentor_zone,
        weekly=[{"weekday": d, "start": "08:00", "end": "20:00"} for d in range(5)],
    )


def _overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_proposals_avoid_busy_times_and_bookings_of_both_sides(engine: Engine) -> None:
    world(engine)
    imported = engine.schedule.import_calendar("maya", ics=WEEKLY_ICS, source="work", at=AT)
    # Stand-ups Tue/Wed from 3 Nov (COUNT=20 -> 10 weeks) inside [at-7d, at+180d], plus the
    # dentist; the transparent lunch is not busy.
    starts = {
        b.start
        for b in engine.schedule.busy("maya", AT - timedelta(days=7), AT + timedelta(days=60))
    }
    assert datetime(2026, 11, 24, 9, 0, tzinfo=UTC) in starts  # Lisbon = UTC in winter
    assert datetime(2026, 11, 24, 18, 0, tzinfo=UTC) in starts
    assert datetime(2026, 11, 25, 12, 0, tzinfo=UTC) not in starts
    # 20 stand-ups from 3 Nov; those from 17 Nov fall in [at - 7 days, at + 180 days]: 16,
    # plus the dentist and the trip.
    assert imported.imported == 18 and imported.replaced == 0
    again = engine.schedule.import_calendar("maya", ics=WEEKLY_ICS, source="work", at=AT)
    assert (again.imported, again.replaced) == (18, 18)  # replaced, not doubled
    trip = next(b for b in again.busy if b.summary == "Trip")
    assert (trip.start, trip.end) == (
        datetime(2026, 11, 28, tzinfo=UTC),  # Lisbon midnight = UTC in winter
        datetime(2026, 11, 29, tzinfo=UTC),
    )
    # Omar books Ana on Monday 10:00-11:00: Ana is taken then, for Maya too.
    engine.schedule.book("omar", item_id="ana", start=WEEK + timedelta(hours=10), at=AT)
    # Maya's own session with no provider on Thursday 14:00.
    engine.schedule.book("maya", start=WEEK + timedelta(days=3, hours=14), title="Gym", at=AT)
    proposal = engine.schedule.propose(
        "maya", item_id="ana", from_=WEEK, to=WEEK + timedelta(days=5), count=20, at=AT
    )
    assert len(proposal.slots) == 20
    taken = [(b.start, b.end) for b in engine.schedule.busy("maya", WEEK, WEEK + timedelta(days=5))]
    taken += [(WEEK + timedelta(hours=10), WEEK + timedelta(hours=11))]
    taken += [(WEEK + timedelta(days=3, hours=14), WEEK + timedelta(days=3, hours=15))]
    for slot in proposal.slots:
        assert slot.end - slot.start == timedelta(minutes=60)
        assert not any(_overlap((slot.start, slot.end), t) for t in taken), slot
        assert slot.start.weekday() < 5 and slot.start.hour >= 8 and slot.end.hour <= 20
        assert any("Ana Costa free" in r for r in slot.reasons)
        assert "no calendar conflict" in slot.reasons
    # One slot per day before a second on the same day: the first five are five days.
    assert len({s.start.date() for s in proposal.slots[:5]}) == 5


def test_preferences_order_the_slots_and_give_reasons(engine: Engine) -> None:
    world(engine)
    engine.schedule.set_preferences("maya", time_of_day=["evening"], weekdays=[1])
    proposal = engine.schedule.propose(
        "maya", item_id="ana", from_=WEEK, to=WEEK + timedelta(days=5), count=3, at=AT
    )
    best = proposal.slots[0]
    here = best.start.astimezone(ZoneInfo("Europe/Lisbon"))
    assert here.weekday() == 1 and here.hour >= 17
    assert best.reasons[0] == "Tuesday evening, your preferred time and day"
    scores = [s.score for s in proposal.slots]
    assert scores == sorted(scores, reverse=True)
    # Without preferences Tuesday evening is not first.
    engine.schedule.set_preferences("maya", time_of_day=[], weekdays=[])
    plain = engine.schedule.propose(
        "maya", item_id="ana", from_=WEEK, to=WEEK + timedelta(days=5), count=3, at=AT
    )
    assert plain.slots[0].start == WEEK + timedelta(hours=8)
    assert plain.slots[0].reasons[0] == "Monday morning"


def test_far_apart_zones_keep_both_sides_in_their_hours(engine: Engine) -> None:
    # Maya in Tokyo (UTC+9), Ana in Lisbon (UTC+0 in winter) 08:00-20:00: the overlap with
    # Maya's waking hours 07:00-22:00 is Lisbon 08:00-13:00 = Tokyo 17:00-22:00.
    world(engine, user_zone="Asia/Tokyo", mentor_zone="Europe/Lisbon")
    proposal = engine.schedule.propose(
        "maya", item_id="ana", from_=WEEK, to=WEEK + timedelta(days=7), count=50, at=AT
    )
    assert proposal.timezone == "Asia/Tokyo" and proposal.provider_timezone == "Europe/Lisbon"
    assert proposal.slots
    for slot in proposal.slots:
        tokyo = slot.start.astimezone(ZoneInfo("Asia/Tokyo"))
        lisbon = slot.start.astimezone(ZoneInfo("Europe/Lisbon"))
        tokyo_end = slot.end.astimezone(ZoneInfo("Asia/Tokyo"))
        assert tokyo.hour >= 17 and (tokyo_end.hour, tokyo_end.minute) <= (22, 0)
        assert 8 <= lisbon.hour < 13
        assert slot.local_start == tokyo.isoformat()
        assert slot.provider_start == lisbon.isoformat()
        assert lisbon.weekday() < 5


def test_a_dst_week_keeps_wall_clock_windows(engine: Engine) -> None:
    # Lisbon leaves summer time on Sunday 25 Oct 2026: 18:00 local is 17:00 UTC before and
    # 18:00 UTC after.
    world(engine, user_zone="Europe/Lisbon")
    engine.schedule.set_availability(
        "ana",
        timezone="Europe/Lisbon",
        weekly=[{"weekday": d, "start": "18:00", "end": "19:00"} for d in range(7)],
    )
    start = datetime(2026, 10, 22, tzinfo=UTC)
    proposal = engine.schedule.propose(
        "maya", item_id="ana", from_=start, to=start + timedelta(days=7), count=7, at=start
    )
    by_day = {s.start.astimezone(ZoneInfo("Europe/Lisbon")).date(): s for s in proposal.slots}
    assert len(by_day) == 7
    for day, slot in by_day.items():
        assert slot.start.astimezone(ZoneInfo("Europe/Lisbon")).hour == 18
        assert slot.start.hour == (17 if day.day < 25 else 18)


def test_booking_conflicts_are_409_and_outside_availability_too(engine: Engine) -> None:
    world(engine)
    engine.schedule.import_calendar("maya", ics=WEEKLY_ICS, source="work", at=AT)
    first = engine.schedule.book("maya", item_id="ana", start=WEEK + timedelta(hours=14), at=AT)
    assert first.status == "booked" and first.title == "Session with Ana Costa"
    assert not first.ai_scheduled
    with pytest.raises(Conflict, match="already have"):
        engine.schedule.book(
            "maya", item_id="ana", start=WEEK + timedelta(hours=14, minutes=30), at=AT
        )
    with pytest.raises(Conflict, match="provider has"):
        engine.schedule.book("omar", item_id="ana", start=WEEK + timedelta(hours=14), at=AT)
    with pytest.raises(Conflict, match="stand-up"):
        engine.schedule.book("maya", item_id="ana", start=WEEK + timedelta(days=1, hours=9), at=AT)
    with pytest.raises(Conflict, match="not available"):
        engine.schedule.book("maya", item_id="ana", start=WEEK + timedelta(days=5, hours=10), at=AT)
    # Cancelled sessions free the time.
    engine.schedule.cancel("maya", first.id)
    again = engine.schedule.book("omar", item_id="ana", start=WEEK + timedelta(hours=14), at=AT)
    assert again.user_id == "omar"
    assert [s.id for s in engine.schedule.sessions("maya")] == []
    assert [s.status for s in engine.schedule.sessions("maya", include_cancelled=True)] == [
        "cancelled"
    ]


def test_two_concurrent_bookings_of_one_slot_give_one_session(engine: Engine) -> None:
    world(engine)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def book(user: str) -> None:
        barrier.wait()
        try:
            engine.schedule.book(user, item_id="ana", start=WEEK + timedelta(hours=15), at=AT)
            results.append("booked")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=book, args=(u,)) for u in ("maya", "omar")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["booked", "conflict"]
    booked = engine.schedule.sessions("maya") + engine.schedule.sessions("omar")
    assert len(booked) == 1


def test_bad_input_names_the_field(engine: Engine) -> None:
    world(engine)
    with pytest.raises(InvalidInput) as caught:
        engine.schedule.propose(
            "maya", item_id="ana", from_=WEEK, to=WEEK - timedelta(hours=1), at=AT
        )
    assert caught.value.errors[0].field == "to"
    with pytest.raises(NotFound):
        engine.schedule.propose("maya", item_id="nobody", at=AT)
    with pytest.raises(InvalidInput) as caught:
        engine.schedule.set_availability("ana", timezone="Mars/Olympus", weekly=[])
    assert caught.value.errors[0].field == "timezone"
    with pytest.raises(InvalidInput) as caught:
        engine.schedule.set_availability(
            "ana", weekly=[{"weekday": 0, "start": "18:00", "end": "09:00"}]
        )
    assert caught.value.errors[0].field == "weekly.0.end"
    with pytest.raises(InvalidInput) as caught:
        engine.schedule.book("maya", item_id="ana", start=AT - timedelta(days=1), at=AT)
    assert caught.value.errors[0].field == "start"
    with pytest.raises(InvalidInput) as caught:
        engine.schedule.import_calendar("maya", ics="not a calendar", at=AT)
    assert caught.value.errors[0].field == "ics"
    # Nothing was stored by the failed calls.
    assert engine.schedule.availability("ana").weekly[0].start == "08:00"
    assert engine.schedule.sessions("maya") == []


def test_reminders_are_due_an_hour_before_and_once_per_session(engine: Engine) -> None:
    world(engine, user_zone="Asia/Tokyo")
    session = engine.schedule.book("maya", item_id="ana", start=WEEK + timedelta(hours=9), at=AT)
    before = engine.schedule.reminders_due(at=WEEK + timedelta(hours=7, minutes=59))
    assert before == []
    due = engine.schedule.reminders_due(at=WEEK + timedelta(hours=8, minutes=30))
    assert len(due) == 1
    reminder = due[0]
    assert reminder.session_id == session.id and reminder.period == session.id
    assert reminder.user_id == "maya" and reminder.send_at == WEEK + timedelta(hours=8)
    assert "18:00" in reminder.subject  # 09:00 UTC in Tokyo
    assert "Asia/Tokyo" in reminder.body
    assert reminder.outbox_message() == {
        "user_id": "maya",
        "kind": "reminder",
        "trigger": "session_reminder",
        "period": session.id,
        "subject": reminder.subject,
        "body": reminder.body,
        "send_at": "2026-11-23T08:00:00+00:00",
        "payload": {
            "session_id": session.id,
            "starts_at": "2026-11-23T09:00:00+00:00",
            "item_id": "ana",
        },
    }
    assert engine.schedule.reminders_due(at=WEEK + timedelta(hours=9)) == []
    engine.schedule.cancel("maya", session.id)
    assert engine.schedule.reminders_due(at=WEEK + timedelta(hours=8, minutes=30)) == []


def test_the_calendar_export_parses_back_with_sessions_and_plan_blocks(engine: Engine) -> None:
    world(engine)
    session = engine.schedule.book("maya", item_id="ana", start=WEEK + timedelta(hours=10), at=AT)
    plan = engine.plans.make("maya", week_of=WEEK.date(), hours=3, effort="medium", at=AT)
    text = engine.schedule.calendar_ics("maya", at=AT)
    calendar = icalendar.Calendar.from_ical(text)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1 + len(plan.events) == 4
    by_uid = {str(e["UID"]): e for e in events}
    exported = by_uid[f"{session.id}@rapport"]
    assert exported["DTSTART"].dt == session.start and exported["DTEND"].dt == session.end
    assert str(exported["SUMMARY"]) == "Session with Ana Costa"
    blocks = sorted(
        (e["DTSTART"].dt, e["DTEND"].dt) for e in events if "Work session" in str(e["SUMMARY"])
    )
    assert blocks == [(e.start, e.end) for e in plan.events]


def test_the_dispatch_pass_queues_reminders_and_a_cancelled_session_drops_its_own(
    sqlite_engine: Engine,
) -> None:
    engine = sqlite_engine
    world(engine, user_zone="Asia/Tokyo")
    kept = engine.schedule.book("maya", item_id="ana", start=WEEK + timedelta(hours=9), at=AT)
    dropped = engine.schedule.book("maya", item_id="ana", start=WEEK + timedelta(hours=11), at=AT)
    early = engine.engage.dispatch(WEEK + timedelta(hours=7))
    assert [e for e in early.queued if e.kind == "reminder"] == []
    passed = engine.engage.dispatch(WEEK + timedelta(hours=8, minutes=30))
    (reminder,) = [e for e in passed.queued if e.kind == "reminder"]
    assert (reminder.period, reminder.send_at) == (kept.id, WEEK + timedelta(hours=8))
    # Queued (the webhook is not configured, so it failed for good: nothing to cancel) ...
    assert engine.outbox.get(reminder.id).status == "failed"
    # ... while a reminder still waiting for its retry goes with its session.
    waiting = engine.outbox.enqueue(
        [{"user_id": "maya", "kind": "reminder", "trigger": "session_reminder",
          "period": dropped.id, "send_at": WEEK + timedelta(hours=10)}],
        at=AT,
    )[0]  # fmt: skip
    engine.schedule.cancel("maya", dropped.id)
    assert engine.outbox.get(waiting.id).status == "cancelled"
