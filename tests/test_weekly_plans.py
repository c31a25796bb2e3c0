"""Weekly plans: blocks that never overlap existing events, stay inside waking hours in the
user's zone, add up to the requested hours, spread by effort, and are stored."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from rapport.engine import Engine
from rapport.engine.schemas import InvalidInput, NotFound, Plan
from tests.conftest import CountingEmbedder
from tests.llm_stub import LLMStub, llm_settings

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
WEEK = date(2026, 11, 23)

# Work on weekdays 09:00-17:30 and a Wednesday evening class, in Tokyo.
WORK_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:work
SUMMARY:Work
DTSTART;TZID=Asia/Tokyo:20261102T090000
DTEND;TZID=Asia/Tokyo:20261102T173000
RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR
END:VEVENT
BEGIN:VEVENT
UID:class
SUMMARY:Evening class
DTSTART;TZID=Asia/Tokyo:20261125T180000
DTEND;TZID=Asia/Tokyo:20261125T210000
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def tokyo(sqlite_engine: Engine) -> Engine:
    engine = sqlite_engine
    engine.users.add(
        [
            {
                "id": "kenji",
                "timezone": "Asia/Tokyo",
                "profile": {"goals": ["learn SQL", "build a portfolio"]},
            }
        ]
    )
    engine.schedule.import_calendar("kenji", ics=WORK_ICS, source="work", at=AT)
    return engine


def _hours(plan: Plan) -> float:
    return sum((e.end - e.start for e in plan.events), timedelta()) / timedelta(hours=1)


def _check(engine: Engine, plan: Plan, zone: ZoneInfo) -> None:
    start = datetime.combine(WEEK, datetime.min.time(), tzinfo=zone)
    busy = engine.schedule.busy("kenji", start, start + timedelta(days=7))
    sessions = engine.schedule.sessions("kenji")
    taken = [(b.start, b.end) for b in busy] + [(s.start, s.end) for s in sessions]
    assert taken
    for event in plan.events:
        assert not any(event.start < e and s < event.end for s, e in taken), event
        here, there = event.start.astimezone(zone), event.end.astimezone(zone)
        assert here.date() == there.date()
        assert (here.hour, here.minute) >= (7, 0) and (there.hour, there.minute) <= (22, 0)
        assert start <= event.start < start + timedelta(days=7)
    spans = sorted((e.start, e.end) for e in plan.events)
    assert all(a[1] <= b[0] for a, b in pairwise(spans))


@pytest.mark.parametrize(("hours", "effort"), [(6, "medium"), (4.5, "low"), (9, "high")])
def test_plans_respect_events_waking_hours_and_hours(
    tokyo: Engine, hours: float, effort: str
) -> None:
    tokyo.schedule.book("kenji", start=datetime(2026, 11, 28, 1, 0, tzinfo=UTC), at=AT)
    plan = tokyo.plans.make("kenji", week_of=WEEK, hours=hours, effort=effort, at=AT)
    assert plan.timezone == "Asia/Tokyo" and plan.week_of == WEEK
    assert abs(_hours(plan) - hours) < 0.25 and plan.hours == pytest.approx(_hours(plan))
    _check(tokyo, plan, ZoneInfo("Asia/Tokyo"))
    assert {e.goal for e in plan.events} == {"learn SQL", "build a portfolio"}
    assert all(e.effort == effort for e in plan.events)
    assert plan.summary.endswith(".") and f"{hours:g} hours" in plan.summary


def test_effort_changes_the_spread(tokyo: Engine) -> None:
    low = tokyo.plans.make("kenji", week_of=WEEK, hours=6, effort="low", at=AT)
    medium = tokyo.plans.make("kenji", week_of=WEEK, hours=6, effort="medium", at=AT)
    high = tokyo.plans.make("kenji", week_of=WEEK, hours=6, effort="high", at=AT)
    zone = ZoneInfo("Asia/Tokyo")

    def days(plan: Plan) -> set[int]:
        return {e.start.astimezone(zone).weekday() for e in plan.events}

    lengths = {p.effort: {e.end - e.start for e in p.events} for p in (low, medium, high)}
    assert lengths["low"] == {timedelta(minutes=30)}
    assert lengths["medium"] == {timedelta(minutes=60)}
    assert lengths["high"] == {timedelta(minutes=90)}
    assert len(low.events) > len(medium.events) > len(high.events)
    assert days(low) == set(range(7))  # light touches every day
    assert days(medium) == set(range(5))  # weekdays
    assert len(days(high)) == 4  # four long blocks, spread over Mon-Sat
    # Each plan stands alone: the others were stored, not treated as events.
    assert [p.id for p in tokyo.plans.list("kenji", week_of=WEEK)] == [high.id, medium.id, low.id]


def test_preferences_and_given_goals_shape_the_blocks(tokyo: Engine) -> None:
    tokyo.schedule.set_preferences("kenji", time_of_day=["morning"])
    plan = tokyo.plans.make(
        "kenji", week_of=WEEK, hours=3, effort="medium", goals=["write the thesis"], at=AT
    )
    zone = ZoneInfo("Asia/Tokyo")
    for event in plan.events:
        assert 6 <= event.start.astimezone(zone).hour < 9  # before work, in the morning
        assert event.goal == "write the thesis" and event.title == "Work session: write the thesis"


def test_no_blocks_in_the_past_and_extra_events_are_kept_clear(tokyo: Engine) -> None:
    at = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wednesday noon in Tokyo
    extra = {
        "start": datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
        "end": datetime(2026, 11, 26, 13, 0, tzinfo=UTC),
    }
    plan = tokyo.plans.make("kenji", week_of=WEEK, hours=4, effort="medium", busy=[extra], at=at)
    assert all(e.start >= at for e in plan.events)
    assert not any(e.start < extra["end"] and extra["start"] < e.end for e in plan.events)
    assert abs(_hours(plan) - 4) < 0.25


def test_the_plan_exports_as_icalendar(tokyo: Engine) -> None:
    plan = tokyo.plans.make("kenji", week_of=WEEK, hours=2, effort="medium", at=AT)
    calendar = icalendar.Calendar.from_ical(tokyo.plans.ics(plan))
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e["DTSTART"].dt)
    assert [(e["DTSTART"].dt, e["DTEND"].dt, str(e["SUMMARY"])) for e in events] == [
        (e.start, e.end, e.title) for e in plan.events
    ]
    assert tokyo.plans.get("kenji", plan.id).events == plan.events


def test_bad_plan_input_names_the_field(tokyo: Engine) -> None:
    with pytest.raises(InvalidInput) as caught:
        tokyo.plans.make("kenji", week_of=WEEK, hours=-1, at=AT)
    assert caught.value.errors[0].field == "hours"
    with pytest.raises(InvalidInput) as caught:
        tokyo.plans.make("kenji", week_of=WEEK, hours=2, effort="extreme", at=AT)
    assert caught.value.errors[0].field == "effort"
    with pytest.raises(InvalidInput) as caught:
        bad = {"start": AT, "end": AT - timedelta(hours=1)}
        tokyo.plans.make("kenji", week_of=WEEK, hours=2, busy=[bad], at=AT)
    assert caught.value.errors[0].field == "busy.0.end"
    with pytest.raises(NotFound):
        tokyo.plans.make("nobody", week_of=WEEK, hours=2, at=AT)
    assert tokyo.plans.list("kenji") == []


def test_a_big_week_still_gets_all_its_hours(sqlite_engine: Engine) -> None:
    sqlite_engine.users.add([{"id": "kim", "timezone": "America/New_York"}])
    for effort in ("low", "medium", "high"):
        plan = sqlite_engine.plans.make("kim", week_of=WEEK, hours=25, effort=effort, at=AT)
        assert _hours(plan) == 25, (effort, plan.summary)
        assert "only" not in plan.summary


def test_a_language_model_words_the_plan_but_never_moves_it(
    tmp_path: Path, embedder: CountingEmbedder, llm: LLMStub
) -> None:
    with Engine(data=tmp_path, embedder=embedder, **llm_settings(llm)) as engine:
        engine.users.add(
            [
                {"id": "kenji", "timezone": "Asia/Tokyo", "profile": {"goals": ["learn SQL"]}},
                {"id": "opted", "timezone": "Asia/Tokyo", "ai_opt_out": True,
                 "profile": {"goals": ["learn SQL"]}},
            ]
        )  # fmt: skip
        rules = engine.plans.make("opted", week_of=WEEK, hours=2, effort="medium", at=AT)
        assert rules.mode == "rules" and llm.requests == []
        wording = {
            "titles": ["SQL: joins on the bike-share data", "SQL: window functions"],
            "summary": "Two focused hours of SQL this week, Monday and Thursday.",
        }
        llm.replies = [json.dumps(wording)]
        worded = engine.plans.make("kenji", week_of=WEEK, hours=2, effort="medium", at=AT)
        assert worded.mode == "llm" and worded.summary == wording["summary"]
        assert [e.title for e in worded.events] == wording["titles"]
        assert [(e.start, e.end, e.goal) for e in worded.events] == [
            (e.start, e.end, e.goal) for e in rules.events
        ]
        assert "goal: learn SQL" in llm.requests[0]["messages"][-1]["content"]
        # A wrong shape (one title for three blocks) keeps the rules' wording.
        llm.replies = [json.dumps({"titles": ["only one"], "summary": "x"})]
        kept = engine.plans.make("kenji", week_of=WEEK, hours=3, effort="medium", at=AT)
        assert kept.mode == "rules" and kept.summary.startswith("3 hours in 3 60-minute")
        assert [e.title for e in kept.events] == ["Work session: learn SQL"] * 3
        assert engine.plans.get("kenji", worded.id).mode == "llm"
