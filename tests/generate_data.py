"""A small catalogue, user and history shared by the generation tests."""

from __future__ import annotations

from typing import Any

ITEMS: list[dict[str, Any]] = [
    {"id": "py1", "kind": "course", "title": "Python for Beginners",
     "text": "An introduction to Python programming: variables, loops and functions.",
     "tags": ["python", "programming"], "categories": ["technology"],
     "attributes": {"difficulty": "beginner", "duration_hours": 10}},
    {"id": "py2", "kind": "course", "title": "Data Analysis with Pandas",
     "text": "Clean, reshape and analyse data with pandas.", "tags": ["python", "data science"],
     "categories": ["technology"],
     "attributes": {"difficulty": "intermediate", "duration_hours": 16}},
    {"id": "g1", "kind": "course", "title": "Guitar Chords Made Easy",
     "text": "Your first chords and strumming patterns on the acoustic guitar.",
     "tags": ["guitar", "music"], "categories": ["music"],
     "attributes": {"difficulty": "beginner", "duration_hours": 6}},
    {"id": "g2", "kind": "course", "title": "Fingerstyle Guitar",
     "text": "Fingerpicking patterns and arrangements for guitar players who know their chords.",
     "tags": ["guitar", "music"], "categories": ["music"],
     "attributes": {"level": 2, "duration_weeks": 3}},
    {"id": "g3", "kind": "course", "title": "Jazz Guitar Improvisation",
     "text": "Improvise over jazz standards on the guitar: modes, arpeggios and voicings.",
     "tags": ["guitar", "jazz"], "categories": ["music"],
     "attributes": {"difficulty": "advanced", "duration_hours": 24}},
    {"id": "g4", "kind": "course", "title": "Guitar Masterclass: Classical Repertoire",
     "text": "A masterclass on the classical guitar repertoire for professional players.",
     "tags": ["guitar"], "categories": ["music"]},
    {"id": "c1", "kind": "course", "title": "Knife Skills for Home Cooks",
     "text": "Chop, dice and julienne vegetables safely in the kitchen.",
     "tags": ["cooking"], "categories": ["food"], "attributes": {"difficulty": "beginner"}},
    {"id": "y1", "kind": "event", "title": "Sunset yoga",
     "text": "Flowing yoga class on the beach.",
     "tags": ["yoga", "wellness"], "categories": ["sports"]},
]  # fmt: skip

USER: dict[str, Any] = {
    "id": "ana",
    "profile": {
        "name": "Zoë Łukasz 王小明",
        "interests": ["guitar", "data science"],
        "skills": [{"name": "python", "level": "intermediate"}],
        "goals": ["play in a band"],
        "hours_per_week": 4,
        "achievements": ["Hackathon winner 2025", {"name": "Grade 3 guitar"}],
    },
}

EVENTS: list[dict[str, Any]] = [
    {"user_id": "ana", "item_id": "py1", "type": "complete", "timestamp": "2026-01-10"},
    {"user_id": "ana", "item_id": "py2", "type": "purchase", "timestamp": "2026-03-01"},
    {"user_id": "ana", "item_id": "y1", "type": "view", "timestamp": "2026-03-02"},
]


def load(engine: Any) -> None:
    engine.items.add(ITEMS)
    engine.users.add([USER, {"id": "bo", "ai_opt_out": True}])
    engine.events.add(EVENTS)
