"""A small world for the assistant tests: a catalogue, users and a knowledge base."""

from __future__ import annotations

from rapport.engine import Engine

ITEMS = [
    {
        "id": "py101",
        "kind": "course",
        "title": "Python for Beginners",
        "text": "Learn Python programming from scratch with small weekly exercises.",
        "tags": ["python", "programming"],
    },
    {
        "id": "yoga",
        "kind": "event",
        "title": "Morning yoga in the park",
        "text": "A gentle outdoor yoga class for every level.",
        "tags": ["yoga", "wellbeing"],
    },
    {
        "id": "ana",
        "kind": "mentor",
        "title": "Ana, product design mentor",
        "text": "UX research, portfolio reviews and product design career advice.",
        "tags": ["design", "career"],
    },
    {
        "id": "run",
        "kind": "course",
        "title": "Couch to 10k running plan",
        "text": "A ten week running programme for beginners.",
        "tags": ["running", "fitness"],
    },
]
USERS = [
    {
        "id": "maya",
        "profile": {
            "interests": ["python"],
            "goals": ["get a junior developer job"],
            "communication_style": "warm",
        },
    },
    {"id": "brief", "profile": {"interests": ["yoga"], "communication_style": "brief"}},
    {"id": "optout", "profile": {"interests": ["design"]}, "ai_opt_out": True},
]
DOCS = [
    {
        "id": "refunds",
        "title": "Refund policy",
        "text": "Event tickets are refundable until 48 hours before the event starts. "
        "Refunds go back to the original payment method within 10 business days.",
    },
    {
        "id": "method",
        "title": "The coaching method",
        "text": "Every coaching plan starts with one clear goal. Progress is reviewed every "
        "two weeks with your coach, and small daily habits matter more than long sessions.",
    },
]


def populate(engine: Engine) -> Engine:
    engine.items.add(ITEMS)
    engine.users.add(USERS)
    engine.kb.add_records(DOCS)
    return engine
