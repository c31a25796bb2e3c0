"""Store behaviour on both back ends: filters, idempotency, deletion, counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import Location
from rapport.core.store.repository import haversine_km
from rapport.engine import Engine

NOW = datetime(2026, 6, 1, 18, 0, tzinfo=UTC)
BAIXA = {"lat": 38.7107, "lon": -9.1366}  # Lisbon downtown


def city_items() -> list[dict]:
    return [
        {
            "id": "jazz",
            "kind": "event",
            "title": "Jazz in the park",
            "tags": ["music", "jazz"],
            "categories": ["concert"],
            "location": {"lat": 38.7110, "lon": -9.1370},
            "starts_at": (NOW - timedelta(hours=1)).isoformat(),
            "ends_at": (NOW + timedelta(hours=2)).isoformat(),
            "price": 12.0,
        },
        {
            "id": "vegan",
            "kind": "offer",
            "title": "Vegan lunch menu",
            "tags": ["vegan"],
            "categories": ["food"],
            "location": {"lat": 38.7369, "lon": -9.1427},
            "starts_at": (NOW - timedelta(days=1)).isoformat(),
            "ends_at": (NOW + timedelta(days=5)).isoformat(),
            "price": 9.5,
            "original_price": 14.0,
        },
        {
            "id": "porto",
            "kind": "event",
            "title": "Porto wine tasting",
            "tags": ["wine"],
            "categories": ["food"],
            "location": {"lat": 41.1496, "lon": -8.6109},
            "starts_at": (NOW + timedelta(days=3)).isoformat(),
            "price": 30.0,
        },
        {
            "id": "course",
            "kind": "course",
            "title": "Python for data",
            "tags": ["python"],
            "categories": ["data"],
            "attributes": {"difficulty": "beginner"},
            "price": 0,
        },
        {"id": "old", "kind": "event", "title": "Closed gallery", "active": False},
    ]


def test_items_filters(engine: Engine) -> None:
    engine.items.add(city_items(), index=False)

    def ids(**filters: object) -> list[str]:
        return sorted(i.id for i in engine.items.list(limit=100, **filters).items)

    assert ids() == ["course", "jazz", "porto", "vegan"]  # inactive hidden
    assert ids(include_inactive=True) == ["course", "jazz", "old", "porto", "vegan"]
    assert ids(kind="event") == ["jazz", "porto"]
    assert ids(categories=["food"]) == ["porto", "vegan"]
    assert ids(categories=["food", "data"]) == ["course", "porto", "vegan"]  # any of them
    assert ids(tags=["jazz"]) == ["jazz"]
    assert ids(max_price=10) == ["course", "vegan"]
    assert ids(min_price=10, max_price=20) == ["jazz"]
    # `at` drops what has ended by then; `active_now` also what has not started yet.
    assert ids(at=NOW + timedelta(hours=3)) == ["course", "porto", "vegan"]
    assert ids(at=NOW, active_now=True) == ["course", "jazz", "vegan"]
    assert ids(at=NOW + timedelta(days=4), active_now=True) == ["course", "porto", "vegan"]
    near = {"lat": BAIXA["lat"], "lon": BAIXA["lon"]}
    assert ids(**near) == ["course", "jazz", "porto", "vegan"]  # a place alone filters nothing
    assert ids(**near, radius_km=1) == ["jazz"]
    assert ids(**near, radius_km=5) == ["jazz", "vegan"]
    assert ids(**near, radius_km=400) == ["jazz", "porto", "vegan"]
    assert ids(kind="event", **near, radius_km=5, at=NOW, active_now=True) == ["jazz"]


def test_lat_without_lon_is_rejected_everywhere(engine: Engine) -> None:
    for call in (
        lambda: engine.items.list(lat=38.7),
        lambda: engine.items.list(radius_km=2),
        lambda: engine.items.similar("x", lon=-9.1),
        lambda: engine.recommendations.for_user("x", lat=38.7),
        lambda: engine.search.items("jazz", radius_km=3),
    ):
        with pytest.raises(ValidationError, match=r"lat and lon|needs a location"):
            call()


def test_item_round_trip_and_pagination(engine: Engine) -> None:
    engine.items.add(city_items(), index=False)
    item = engine.items.get("vegan")
    assert item.location == Location(lat=38.7369, lon=-9.1427)
    assert item.original_price == 14.0 and item.categories == ["food"]
    assert item.starts_at == NOW - timedelta(days=1)
    first = engine.items.list(limit=2, offset=0)
    second = engine.items.list(limit=2, offset=2)
    assert first.total == second.total == 4
    assert [i.id for i in first.items + second.items] == ["course", "jazz", "porto", "vegan"]


def test_item_update_replaces_labels_keeps_created_at(engine: Engine) -> None:
    engine.items.add(city_items(), index=False)
    created = engine.items.get("jazz").created_at
    engine.items.add(
        [{"id": "jazz", "kind": "event", "title": "Jazz", "tags": ["blues"]}], index=False
    )
    updated = engine.items.get("jazz")
    assert updated.tags == ["blues"] and updated.created_at == created
    assert engine.items.list(tags=["jazz"]).total == 0
    assert [i.id for i in engine.items.list(tags=["blues"]).items] == ["jazz"]


def test_events_are_idempotent_and_register_users(engine: Engine) -> None:
    events = [
        {"id": "e1", "user_id": "ana", "item_id": "jazz", "type": "click", "timestamp": 1700000000},
        {
            "id": "e2",
            "user_id": "ana",
            "item_id": "vegan",
            "type": "purchase",
            "value": 9.5,
            "timestamp": "2023-11-14T22:20:00Z",
        },
        {"user_id": "rui", "item_id": "jazz", "type": "like", "timestamp": 1700000500},
    ]
    first = engine.events.add(events)
    assert (first.written, first.duplicates) == (3, 0)
    again = engine.events.add(events + events[:1])
    assert (again.written, again.duplicates) == (0, 4)
    stored = engine.events.list(user_id="ana", newest_first=False)
    assert [e.id for e in stored] == ["e1", "e2"]
    assert stored[0].timestamp == datetime.fromtimestamp(1700000000, tz=UTC)
    assert engine.stats().users == 2  # ana and rui registered from events


def test_invalid_batch_writes_nothing(engine: Engine) -> None:
    records = city_items()
    records[2] = {**records[2], "price": -3}
    with pytest.raises(InvalidInput) as caught:
        engine.items.add(records, index=False)
    assert [(e.record, e.field) for e in caught.value.errors] == [("record 2", "price")]
    assert engine.items.list().total == 0
    report = engine.items.add(records, skip_invalid=True, index=False)
    assert report.written == 4 and report.invalid[0].field == "price"


def test_tenants_are_isolated(engine: Engine) -> None:
    engine.items.add(city_items()[:2], tenant="acme", index=False)
    engine.items.add(city_items()[2:4], index=False)
    assert sorted(i.id for i in engine.items.list(tenant="acme").items) == ["jazz", "vegan"]
    with pytest.raises(NotFound):
        engine.items.get("jazz")
    assert engine.stats(tenant="acme").items == engine.stats().items == 2
    assert engine.stats().items_by_kind == {"course": 1, "event": 1}
    assert engine.tenants() == ["acme", "default"]


def test_user_profile_round_trip(engine: Engine) -> None:
    engine.users.add(
        [
            {
                "id": "ana",
                "timezone": "Europe/Lisbon",
                "location": BAIXA,
                "ai_opt_out": True,
                "profile": {
                    "passions": ["jazz", "cooking"],
                    "skills": [{"name": "python", "level": "advanced"}],
                    "goals": ["get a data job"],
                    "hours_per_week": 6,
                },
            }
        ]
    )
    user = engine.users.get("ana")
    assert user.profile.interests == ["jazz", "cooking"]
    assert user.profile.skills[0].level == "advanced"
    assert user.ai_opt_out is True and user.location == Location(**BAIXA)


def test_haversine_matches_known_distance() -> None:
    # Lisbon to Porto is about 274 km in a straight line.
    assert haversine_km(38.7223, -9.1393, 41.1579, -8.6291) == pytest.approx(274, abs=3)


def test_history_read_uses_the_covering_index(sqlite_engine: Engine) -> None:
    # The per-request read of a user's history, as the store runs it: from the index
    # alone, already in order (no table lookups, no sort).
    from typing import Any

    from sqlalchemy import event

    store = sqlite_engine._services.store
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        store.user_signal_columns("default", "u1", 500)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    [(statement, params)] = [(s, p) for s, p in seen if "FROM events" in s]
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        plan = " | ".join(str(row[-1]) for row in rows)
    assert "COVERING INDEX ix_events_user_history" in plan
    assert "TEMP B-TREE" not in plan
