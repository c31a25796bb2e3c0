"""Preference insights and drift detection from real event histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.engine import Engine

START = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)

MOVIES = [
    {
        "id": "m1",
        "kind": "movie",
        "title": "Alien",
        "categories": ["Horror", "Sci-Fi"],
        "attributes": {"year": 1979, "director": "Ridley Scott", "cast": ["Sigourney Weaver"]},
    },
    {
        "id": "m2",
        "kind": "movie",
        "title": "Blade Runner",
        "categories": ["Sci-Fi"],
        "attributes": {"year": 1982, "director": "Ridley Scott", "cast": ["Harrison Ford"]},
    },
    {
        "id": "m3",
        "kind": "movie",
        "title": "Aliens",
        "categories": ["Horror", "Sci-Fi"],
        "attributes": {"year": 1986, "director": "James Cameron", "cast": ["Sigourney Weaver"]},
    },
    {
        "id": "m4",
        "kind": "movie",
        "title": "Notting Hill",
        "categories": ["Romance", "Comedy"],
        "attributes": {"year": 1999, "director": "Roger Michell", "cast": ["Julia Roberts"]},
    },
    {
        "id": "m5",
        "kind": "movie",
        "title": "Amelie",
        "categories": ["Romance", "Comedy"],
        "attributes": {"year": 2001, "director": "Jean-Pierre Jeunet"},
    },
    {
        "id": "m6",
        "kind": "movie",
        "title": "Love Actually",
        "categories": ["Romance"],
        "attributes": {"year": 2003, "director": "Richard Curtis"},
    },
]


def rate(user: str, item: str, value: float, day: int) -> dict:
    return {
        "user_id": user,
        "item_id": item,
        "type": "rate",
        "value": value,
        "timestamp": (START + timedelta(days=day)).isoformat(),
    }


@pytest.fixture
def cinema(sqlite_engine: Engine) -> Engine:
    sqlite_engine.items.add(MOVIES, index=False)
    sqlite_engine.users.add(
        [{"id": "sam", "timezone": "Europe/Lisbon", "profile": {"interests": ["Sci-Fi"]}}]
    )
    return sqlite_engine


def test_favourites_rating_style_and_diversity(cinema: Engine) -> None:
    cinema.events.add(
        [
            rate("sam", "m1", 5, 0),
            rate("sam", "m2", 4.5, 1),
            rate("sam", "m3", 5, 2),
            rate("sam", "m4", 1, 3),
        ]
    )
    found = cinema.users.insights("sam")
    assert (found.interactions, found.positives, found.negatives) == (4, 3, 1)
    assert found.categories[0].value == "Sci-Fi" and found.categories[0].count == 3
    assert [s.value for s in found.attributes["director"]][:2] == ["Ridley Scott", "James Cameron"]
    assert found.attributes["cast"][0].value == "Sigourney Weaver"
    assert {s.value for s in found.decades} == {"1970s", "1980s"}  # the 1990s film was panned
    assert found.rating_style.style == "generous"
    assert found.rating_style.mean == pytest.approx(3.875)
    assert 0 < found.diversity < 1
    assert found.active_hours == [20]  # 20:00 UTC is 20:00 in Lisbon in March


def test_harsh_rater_and_no_diversity(cinema: Engine) -> None:
    cinema.events.add([rate("sam", "m2", 2, 0), rate("sam", "m2", 3, 1), rate("sam", "m2", 2.5, 2)])
    found = cinema.users.insights("sam")
    assert found.rating_style.style == "harsh"
    assert found.diversity == 0.0


def test_drift_when_recent_tastes_change(cinema: Engine) -> None:
    history = [rate("sam", m, 5, d) for d, m in enumerate(["m1", "m2", "m3"] * 2)]
    cinema.events.add(history)
    assert cinema.users.insights("sam").drift.detected is False
    cinema.events.add([rate("sam", m, 5, 10 + d) for d, m in enumerate(["m4", "m5", "m6"])])
    drift = cinema.users.insights("sam").drift
    assert drift.detected is True and drift.score >= 0.35
    assert drift.recent[0] == "Romance" and drift.earlier[0] == "Sci-Fi"
