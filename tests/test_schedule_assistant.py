"""The assistant schedules through the same calls as REST: a language model (the local stub)
calls `propose_sessions` then `book_session`; without one the schedule intent proposes
times and a message with a clock time books it. Bookings it makes are `ai_scheduled`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rapport.engine import Engine
from tests.conftest import CountingEmbedder
from tests.llm_stub import LLMStub, StubToolCall, llm_settings

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday
LISBON = ZoneInfo("Europe/Lisbon")


def _populate(engine: Engine) -> Engine:
    engine.users.add([{"id": "maya", "timezone": "Europe/Lisbon"}])
    engine.items.add(
        [
            {"id": "ana", "kind": "mentor", "title": "Ana, product design mentor"},
            {"id": "ines", "kind": "mentor", "title": "Inês Carvalho, data mentor"},
        ],
        index=False,
    )
    engine.schedule.set_availability(
        "ana",
        timezone="Europe/Lisbon",
        weekly=[{"weekday": d, "start": "09:00", "end": "20:00"} for d in range(5)],
    )
    return engine


@pytest.fixture
def rules(sqlite_engine: Engine) -> Engine:
    return _populate(sqlite_engine)


@pytest.fixture
def with_llm(tmp_path: Path, embedder: CountingEmbedder, llm: LLMStub) -> Iterator[Engine]:
    with Engine(data=tmp_path, embedder=embedder, **llm_settings(llm)) as built:
        yield _populate(built)


def test_llm_proposes_then_books_and_the_booking_is_ai_scheduled(
    with_llm: Engine, llm: LLMStub
) -> None:
    llm.replies = [
        [
            StubToolCall(
                "propose_sessions",
                {
                    "item": "Ana",
                    "start_after": "2026-11-24T00:00:00+00:00",
                    "end_before": "2026-11-25T00:00:00+00:00",
                    "count": 2,
                },
            )
        ],
        [StubToolCall("book_session", {"item": "ana", "start": "2026-11-24T09:00:00+00:00"})],
        "Booked you with Ana on Tuesday at 09:00.",
    ]
    reply = with_llm.assistant.chat("maya", "Find me a slot with Ana on Tuesday", now=NOW)
    assert reply.mode == "llm"
    assert [(a.tool, a.status) for a in reply.actions] == [
        ("propose_sessions", "done"),
        ("book_session", "done"),
    ]
    proposed = reply.actions[0].result["slots"]
    assert proposed[0]["start"].startswith("2026-11-24T09:00")
    assert {t["function"]["name"] for t in llm.requests[0]["tools"]} >= {
        "propose_sessions",
        "book_session",
    }
    # The model saw the proposal as the tool's text, with reasons.
    tool_message = llm.requests[1]["messages"][-1]
    assert (
        tool_message["role"] == "tool"
        and "Ana, product design mentor free" in tool_message["content"]
    )
    sessions = with_llm.schedule.sessions("maya")
    assert len(sessions) == 1 and sessions[0].ai_scheduled
    assert sessions[0].start == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    # A second booking of the same time fails softly: a failed action, no exception.
    llm.replies = [
        [StubToolCall("book_session", {"item": "ana", "start": "2026-11-24T09:30:00+00:00"})],
        "That time is taken.",
    ]
    again = with_llm.assistant.chat("maya", "Book 9:30 instead", now=NOW)
    assert [(a.tool, a.status) for a in again.actions] == [("book_session", "failed")]
    assert "already have" in again.actions[0].result["error"]
    assert len(with_llm.schedule.sessions("maya")) == 1


def test_rules_propose_for_the_schedule_intent(rules: Engine) -> None:
    reply = rules.assistant.chat("maya", "Can you schedule a session with Ana on Tuesday?", now=NOW)
    assert reply.mode == "rules"
    assert [(a.tool, a.status) for a in reply.actions] == [("propose_sessions", "done")]
    slots = reply.actions[0].result["slots"]
    assert slots
    for slot in slots:
        local = datetime.fromisoformat(slot["start"]).astimezone(LISBON)
        assert local.date() == datetime(2026, 11, 24).date()
    assert "Free times with Ana" in reply.reply
    assert rules.schedule.sessions("maya") == []


def test_rules_book_a_named_time_and_mark_it(rules: Engine) -> None:
    reply = rules.assistant.chat("maya", "Book a session with Ana on Tuesday at 3pm", now=NOW)
    assert [(a.tool, a.status) for a in reply.actions] == [("book_session", "done")]
    sessions = rules.schedule.sessions("maya")
    assert len(sessions) == 1 and sessions[0].ai_scheduled
    assert sessions[0].start.astimezone(LISBON) == datetime(2026, 11, 24, 15, 0, tzinfo=LISBON)
    assert "Booked" in reply.reply


def test_rules_list_the_sessions_for_the_check_schedule_intent(rules: Engine) -> None:
    rules.schedule.book("maya", item_id="ana", start=datetime(2026, 11, 24, 15, tzinfo=UTC), at=NOW)
    rules.schedule.book("maya", item_id="ana", start=datetime(2026, 12, 24, 15, tzinfo=UTC), at=NOW)
    reply = rules.assistant.chat("maya", "When is my next session?", now=NOW)
    assert [(a.tool, a.status) for a in reply.actions] == [("my_sessions", "done")]
    listed = reply.actions[0].result["sessions"]
    assert [s["start"] for s in listed] == ["2026-11-24T15:00:00Z"]  # the next two weeks
    assert "Tuesday 24 Nov 15:00: Session with Ana, product design mentor" in reply.reply


def test_providers_are_found_by_name_without_accents(rules: Engine) -> None:
    rules.schedule.set_availability(
        "ines", weekly=[{"weekday": 1, "start": "10:00", "end": "12:00"}]
    )
    reply = rules.assistant.chat("maya", "Book a session with Ines on Tuesday at 10am", now=NOW)
    assert [(a.tool, a.status) for a in reply.actions] == [("book_session", "done")]
    assert reply.actions[0].result["item_id"] == "ines"
