"""Intent detection without a language model: accuracy on a labelled set with a held-out
part, and the parameters the rules read (dates, names, profile fields)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rapport.engine import Engine

LABELLED = Path(__file__).parent / "data" / "intents.jsonl"
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # a Wednesday


def test_intent_accuracy_on_the_labelled_set(sqlite_engine: Engine) -> None:
    rows = [json.loads(line) for line in LABELLED.read_text().splitlines() if line.strip()]
    assert len(rows) >= 60
    held_out = [r for r in rows if r["split"] == "held_out"]
    assert len(held_out) * 3 >= len(rows)  # a third held out
    assert {r["intent"] for r in held_out} == {r["intent"] for r in rows}
    correct: dict[str, list[bool]] = {"dev": [], "held_out": []}
    for row in rows:
        found = sqlite_engine.assistant.intent(row["text"], now=NOW)
        assert found.method == "rules" and 0.0 <= found.confidence <= 1.0
        correct[row["split"]].append(found.intent == row["intent"])
    dev = sum(correct["dev"]) / len(correct["dev"])
    held = sum(correct["held_out"]) / len(correct["held_out"])
    print(
        f"intent accuracy: dev {dev:.3f} ({len(correct['dev'])}), held out {held:.3f} "
        f"({len(correct['held_out'])})"
    )
    # Measured 0.946 (dev) and 0.929 (held out); see docs/assistant.md.
    assert dev >= 0.85, dev
    assert held >= 0.80, held


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        (
            "Book a 45 minute call with my coach tomorrow at 9am",
            "schedule_session",
            {"with": "coach", "duration_minutes": 45, "when": "2026-11-19T09:00:00+00:00"},
        ),
        (
            "Can we meet with Ana Lee next Friday at 3pm?",
            "schedule_session",
            {"with": "Ana Lee", "when": "2026-11-20T15:00:00+00:00"},
        ),
        ("Tell Maria that I will be late", "send_message", {"recipient": "Maria"}),
        (
            "I'm interested in pottery and jazz",
            "update_profile",
            {"interests": ["pottery", "jazz"]},
        ),
        ("I can spend 6 hours per week on this", "update_profile", {"hours_per_week": 6.0}),
        ("please find vegan cooking classes", "search", {"query": "vegan cooking classes"}),
    ],
)
def test_parameters_are_read_from_the_message(
    sqlite_engine: Engine, text: str, intent: str, expected: dict[str, object]
) -> None:
    found = sqlite_engine.assistant.intent(text, now=NOW)
    assert found.intent == intent
    for key, value in expected.items():
        assert found.parameters[key] == value, (key, found.parameters)


def test_message_content_and_the_users_time_zone(sqlite_engine: Engine) -> None:
    found = sqlite_engine.assistant.intent("Text Paul saying thanks for the help", now=NOW)
    assert found.parameters["recipient"] == "Paul"
    assert found.parameters["content"] == "thanks for the help"
    sqlite_engine.users.add([{"id": "tokyo", "timezone": "Asia/Tokyo"}])
    local = sqlite_engine.assistant.intent(
        "schedule a session tomorrow at 10am", user_id="tokyo", now=NOW
    )
    assert local.parameters["when"] == "2026-11-19T10:00:00+09:00"
