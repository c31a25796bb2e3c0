"""Natural-language item queries turned into text and filters, without a language model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport.services.search.query import parse_query

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)  # a Saturday afternoon
KINDS = {"offer", "event", "course", "service"}
LABELS = {"vegan", "food", "jazz", "music", "yoga", "python", "running", "coffee"}


def parse(query: str, timezone: str = "Europe/Lisbon"):
    return parse_query(query, now=NOW, kinds=KINDS, labels=LABELS, timezone=timezone)


def test_the_seed_example() -> None:
    parsed = parse("vegan food offers near me tonight under 20")
    assert parsed.text == "vegan food"
    assert parsed.kind == "offer" and parsed.labels == ["vegan", "food"]
    assert parsed.max_price == 20 and parsed.near_me and parsed.radius_km == 5
    assert (parsed.starts.hour, parsed.ends.hour, parsed.ends.minute) == (18, 23, 59)
    assert parsed.starts.date() == NOW.date()


@pytest.mark.parametrize(
    ("query", "field", "value"),
    [
        ("free yoga classes", "max_price", 0.0),
        ("concerts over 30 euros", "min_price", 30.0),
        ("dinner below €12.50", "max_price", 12.5),
        ("gyms within 800 m", "radius_km", 0.8),
        ("bike repair within 2 miles", "radius_km", pytest.approx(3.218688)),
        ("cheap coffee right now", "active_now", True),
    ],
)
def test_filters(query: str, field: str, value: object) -> None:
    assert getattr(parse(query), field) == value


def test_time_windows() -> None:
    weekend = parse("jazz this weekend")
    assert weekend.starts == NOW and (weekend.ends.day, weekend.ends.hour) == (22, 23)
    tomorrow = parse("running events tomorrow")
    assert (tomorrow.starts.day, tomorrow.starts.hour, tomorrow.ends.hour) == (22, 0, 23)
    saturday = parse("python course on saturday")
    assert saturday.starts.day == 28 and saturday.kind == "course"
    next_week = parse("yoga next week")
    assert (next_week.starts.weekday(), next_week.starts.day) == (0, 23)


def test_plain_queries_stay_text() -> None:
    parsed = parse("introduction to machine learning")
    assert parsed.text == "introduction machine learning"
    assert parsed.kind is None and parsed.max_price is None and parsed.starts is None
    assert parse("top 10 albums").starts is None  # a bare number is not a date
