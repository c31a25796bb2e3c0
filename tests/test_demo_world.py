"""Tests for the seeded DEMO world generator."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from rapport.demo.world import (
    COLD_START_USER_ID,
    SPARSE_USER_ID,
    DemoWorld,
    build_demo_world,
)

NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
EVENT_TYPES = {
    "view",
    "click",
    "like",
    "dislike",
    "rate",
    "save",
    "purchase",
    "enroll",
    "complete",
    "dismiss",
}


def _dt(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return build_demo_world(seed=7, now=NOW)


def test_same_seed_gives_identical_output(world: DemoWorld) -> None:
    again = build_demo_world(seed=7, now=NOW)
    assert json.dumps(again.as_dict(), sort_keys=True) == json.dumps(
        world.as_dict(), sort_keys=True
    )
    assert again == world


def test_different_seed_gives_different_output(world: DemoWorld) -> None:
    other = build_demo_world(seed=8, now=NOW)
    assert other.items != world.items
    assert other.events != world.events


def test_default_now_is_rounded_to_the_hour() -> None:
    world = build_demo_world()
    created = [_dt(item["created_at"]) for item in world.items]
    assert all(ts.minute == 0 and ts.second == 0 for ts in created)
    assert max(_dt(e["timestamp"]) for e in world.events) <= datetime.now(UTC)


def test_ids_are_unique(world: DemoWorld) -> None:
    for records in (world.items, world.users, world.events, world.documents):
        ids = [record["id"] for record in records]
        assert len(ids) == len(set(ids))
    assert all(e["id"].startswith("demo-e-") and len(e["id"]) == 13 for e in world.events)


def test_events_reference_existing_users_and_items(world: DemoWorld) -> None:
    user_ids = {u["id"] for u in world.users}
    items = {i["id"]: i for i in world.items}
    for event in world.events:
        assert event["user_id"] in user_ids
        assert event["item_id"] in items
        # Nobody interacts with an item before it exists.
        assert _dt(event["timestamp"]) >= _dt(items[event["item_id"]]["created_at"])


@pytest.mark.parametrize(
    ("kind", "expected", "tolerance"),
    [
        ("course", 30, 5),
        ("mentor", 20, 3),
        ("opportunity", 20, 3),
        ("learning_path", 8, 2),
        ("event", 40, 5),
        ("offer", 30, 5),
        ("service", 10, 2),
    ],
)
def test_item_kind_counts(world: DemoWorld, kind: str, expected: int, tolerance: int) -> None:
    count = Counter(item["kind"] for item in world.items)[kind]
    assert abs(count - expected) <= tolerance, (kind, count)


def test_items_are_labelled_demo_and_well_formed(world: DemoWorld) -> None:
    for item in world.items:
        assert item["attributes"]["source"] == "demo"
        assert item["active"] is True
        assert item["title"] and len(item["text"]) > 60
        assert item["tags"] and item["categories"]
        _dt(item["created_at"])
    courses = {i["id"] for i in world.items if i["kind"] == "course"}
    for path in (i for i in world.items if i["kind"] == "learning_path"):
        assert len(path["attributes"]["steps"]) >= 3
        assert set(path["attributes"]["steps"]) <= courses
    for course in (i for i in world.items if i["kind"] == "course"):
        assert course["attributes"]["difficulty"] in {"beginner", "intermediate", "advanced"}
    for mentor in (i for i in world.items if i["kind"] == "mentor"):
        assert mentor["price"] == mentor["attributes"]["hourly_rate"]
        assert 25 <= mentor["price"] <= 120


def test_city_items_have_place_and_time_window(world: DemoWorld) -> None:
    for item in world.items:
        if item["kind"] not in ("event", "offer", "service"):
            continue
        loc = item["location"]
        # Within ~8 km of the city centre (38.72, -9.14).
        km = math.hypot((loc["lat"] - 38.72) * 111.0, (loc["lon"] + 9.14) * 86.7)
        assert km <= 8.0, (item["id"], km)
        assert item["price"] is not None and item["price"] >= 0
        if item["kind"] in ("event", "offer"):
            assert _dt(item["starts_at"]) < _dt(item["ends_at"])
    events = [i for i in world.items if i["kind"] == "event"]
    assert all(_dt(e["starts_at"]) >= NOW - timedelta(hours=6) for e in events)
    assert all(_dt(e["starts_at"]) <= NOW + timedelta(days=15) for e in events)
    assert any(e["price"] == 0.0 for e in events)


def test_offers_are_discounted_and_valid_now(world: DemoWorld) -> None:
    offers = [i for i in world.items if i["kind"] == "offer"]
    for offer in offers:
        assert offer["original_price"] > offer["price"] > 0
        assert _dt(offer["starts_at"]) <= NOW < _dt(offer["ends_at"])
    assert any("vegan" in offer["categories"] for offer in offers)


def test_some_events_start_tonight(world: DemoWorld) -> None:
    tonight = [
        i
        for i in world.items
        if i["kind"] == "event" and NOW < _dt(i["starts_at"]) <= NOW + timedelta(hours=8)
    ]
    assert len(tonight) >= 3


def test_users_have_profiles_and_histories(world: DemoWorld) -> None:
    per_user = Counter(e["user_id"] for e in world.events)
    assert len(world.users) >= 10
    for user in world.users:
        profile = user["profile"]
        assert profile["interests"] and profile["goals"] and profile["hours_per_week"] > 0
        assert all(
            s["level"] in {"beginner", "intermediate", "advanced"} for s in profile["skills"]
        )
        assert user["timezone"] == "Europe/Lisbon" and user["consent"] is True
        if user["id"] == COLD_START_USER_ID:
            assert per_user[user["id"]] == 0
        elif user["id"] == SPARSE_USER_ID:
            assert per_user[user["id"]] == 2
        else:
            assert 5 <= per_user[user["id"]] <= 40, user["id"]


def test_histories_mostly_follow_interests(world: DemoWorld) -> None:
    items = {i["id"]: i for i in world.items}
    for user in world.users:
        wanted = {name.replace(" ", "-") for name in user["profile"]["interests"]}
        mine = [e for e in world.events if e["user_id"] == user["id"]]
        if len(mine) < 5:
            continue
        on_topic = [
            e
            for e in mine
            if wanted & {*items[e["item_id"]]["tags"], *items[e["item_id"]]["categories"]}
        ]
        assert len(on_topic) / len(mine) >= 0.6, user["id"]


def test_event_timestamps_are_past_and_increasing(world: DemoWorld) -> None:
    last: dict[str, datetime] = {}
    for event in world.events:
        ts = _dt(event["timestamp"])
        assert NOW - timedelta(days=60) <= ts <= NOW
        assert ts >= last.get(event["user_id"], ts)
        last[event["user_id"]] = ts


def test_event_values_and_context(world: DemoWorld) -> None:
    for event in world.events:
        assert event["type"] in EVENT_TYPES
        if event["type"] == "rate":
            assert event["value"] in {1, 2, 3, 4, 5}
        elif event["type"] == "purchase":
            assert event["value"] > 0
        else:
            assert event["value"] is None
        assert event["context"]["source"] in {"feed", "search", "email"}
        assert event["context"]["position"] >= 1 and event["context"]["device"]


def test_documents(world: DemoWorld) -> None:
    assert len(world.documents) >= 6
    for doc in world.documents:
        assert doc["metadata"]["source"] == "demo" and doc["metadata"]["topic"]
        assert 800 <= len(doc["text"]) <= 3000
        assert doc["text"].count("\n\n") >= 2  # several paragraphs


def test_everything_is_json_serialisable(world: DemoWorld) -> None:
    text = json.dumps(world.as_dict())
    assert json.loads(text)["items"][0]["attributes"]["source"] == "demo"
