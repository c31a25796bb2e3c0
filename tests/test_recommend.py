"""Request-time recommendation: cold start, real-time feedback, context, diversity, reasons,
groups, on both back ends with the real embedding model."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from rapport.core.errors import NotFound
from rapport.engine import Engine
from rapport.engine.schemas import GroupRecommendations, Recommendations

NOW = datetime.now(UTC).replace(microsecond=0)

TOPICS = {
    "jazz": [
        "Live jazz trio at the harbour bar",
        "Saxophone quartet plays bebop standards",
        "Jazz piano night with improvised solos",
        "Big band swing dance evening",
        "Vocal jazz ballads in a candle-lit club",
        "Jam session for jazz musicians",
    ],
    "cooking": [
        "Vegan cooking class: plant-based curries",
        "Sourdough bread baking workshop",
        "Knife skills for home cooks",
        "Italian pasta from scratch",
        "Street food tour with tastings",
        "Fermentation basics: kimchi and kombucha",
    ],
    "coding": [
        "Intro to Python programming",
        "Data analysis with pandas",
        "Build a web app with FastAPI",
        "SQL for analysts",
        "Machine learning with scikit-learn",
        "Git and GitHub for beginners",
    ],
}


def catalogue() -> list[dict]:
    items = []
    for topic, titles in TOPICS.items():
        for n, title in enumerate(titles):
            items.append(
                {
                    "id": f"{topic}-{n}",
                    "kind": "event",
                    "title": title,
                    "categories": [topic],
                    "price": 10.0 + n,
                    "location": {"lat": 38.70 + 0.01 * n, "lon": -9.14},
                    "starts_at": (NOW + timedelta(hours=2 + 24 * n)).isoformat(),
                    "created_at": (NOW - timedelta(days=60)).isoformat(),
                }
            )
    return items


@pytest.fixture
def world(sqlite_engine: Engine) -> Engine:
    engine = sqlite_engine
    engine.items.add(catalogue())
    engine.users.add(
        [
            {"id": "newbie", "profile": {"interests": ["jazz music"]}},
            {"id": "cook", "profile": {"interests": ["food"]}},
            {"id": "coder", "profile": {"interests": ["programming"]}},
        ]
    )
    # Other users give the catalogue some popularity.
    events = [
        {
            "user_id": f"crowd{u}",
            "item_id": f"coding-{u % 6}",
            "type": "like",
            "timestamp": (NOW - timedelta(days=3)).isoformat(),
        }
        for u in range(12)
    ]
    engine.events.add(events)
    return engine


def ids(found: Recommendations | GroupRecommendations) -> list[str]:
    return [r.item_id for r in found.items]


def test_cold_start_profile_interests_lead(world: Engine) -> None:
    found = world.recommendations.for_user("newbie", k=4, diversity=0)
    assert [i.split("-")[0] for i in ids(found)][:3] == ["jazz", "jazz", "jazz"]
    assert any("matches your interest in jazz music" in r.reasons for r in found.items)
    assert {"content", "popularity"} <= set(found.items[0].sources)


def test_feedback_changes_next_list_without_training(world: Engine) -> None:
    before = Counter(
        i.split("-")[0] for i in ids(world.recommendations.for_user("coder", k=6, diversity=0))
    )
    world.events.add(
        [
            {
                "user_id": "coder",
                "item_id": f"cooking-{n}",
                "type": "like",
                "timestamp": (NOW - timedelta(minutes=10 - n)).isoformat(),
            }
            for n in range(3)
        ]
    )
    after = world.recommendations.for_user("coder", k=6, diversity=0)
    counts = Counter(i.split("-")[0] for i in ids(after))
    assert before["cooking"] == 0 and counts["cooking"] >= 2
    assert not {"cooking-0", "cooking-1", "cooking-2"} & set(ids(after))  # liked: not again
    assert any(reason.startswith("because you liked") for r in after.items for reason in r.reasons)


def test_disliking_a_whole_category_removes_it(world: Engine) -> None:
    world.events.add(
        [{"user_id": "newbie", "item_id": f"jazz-{n}", "type": "dislike"} for n in range(6)]
    )
    found = world.recommendations.for_user("newbie", k=12)
    assert found.items and not [i for i in ids(found) if i.startswith("jazz")]


def test_two_dislikes_without_likes_mark_an_aversion(world: Engine) -> None:
    world.events.add(
        [{"user_id": "cook", "item_id": f"coding-{n}", "type": "dislike"} for n in range(2)]
    )
    assert not [
        i for i in ids(world.recommendations.for_user("cook", k=18)) if i.startswith("coding")
    ]
    # A later like shows the user's view changed; the category comes back.
    world.events.add([{"user_id": "cook", "item_id": "coding-3", "type": "like"}])
    assert [i for i in ids(world.recommendations.for_user("cook", k=18)) if i.startswith("coding")]


def test_context_filters_and_reasons(world: Engine) -> None:
    found = world.recommendations.for_user(
        "newbie", k=10, lat=38.70, lon=-9.14, radius_km=1.2, max_price=11.5
    )
    assert sorted(ids(found)) == [
        "coding-0",
        "coding-1",
        "cooking-0",
        "cooking-1",
        "jazz-0",
        "jazz-1",
    ]
    first = next(r for r in found.items if r.item_id == "jazz-0")
    assert "0.0 km away" in first.reasons or "right here" in first.reasons
    assert any(reason.startswith("starts in 2 hour") for reason in first.reasons)
    soon = world.recommendations.for_user(
        "newbie", k=3, active_now=True, at=(NOW + timedelta(hours=3))
    )
    assert ids(soon) and all(i.endswith("-0") for i in ids(soon))


def test_expired_and_inactive_items_never_show(world: Engine) -> None:
    world.items.add(
        [
            {
                "id": "jazz-old",
                "kind": "event",
                "title": "Jazz last week",
                "categories": ["jazz"],
                "ends_at": (NOW - timedelta(days=1)).isoformat(),
            },
            {
                "id": "jazz-off",
                "kind": "event",
                "title": "Jazz cancelled",
                "categories": ["jazz"],
                "active": False,
            },
        ]
    )
    assert not {"jazz-old", "jazz-off"} & set(ids(world.recommendations.for_user("newbie", k=20)))


def test_diversity_spreads_categories(world: Engine) -> None:
    world.events.add(
        [
            {"user_id": "cook", "item_id": "jazz-0", "type": "like"},
            {"user_id": "cook", "item_id": "cooking-0", "type": "like"},
        ]
    )
    focused = world.recommendations.for_user("cook", k=4, diversity=0)
    mixed = world.recommendations.for_user("cook", k=4, diversity=0.7)

    def categories(found: Recommendations) -> int:
        return len({r.item.categories[0] for r in found.items})

    assert categories(mixed) >= categories(focused)
    assert categories(mixed) >= 2


def test_group_list_serves_everyone(world: Engine) -> None:
    world.events.add(
        [{"user_id": "cook", "item_id": f"cooking-{n}", "type": "like"} for n in range(2)]
    )
    group = world.recommendations.for_group(["newbie", "cook"], k=6)
    assert group.user_ids == ["newbie", "cook"]
    topics = {r.item.categories[0] for r in group.items}
    assert {"jazz", "cooking"} <= topics
    assert not {"cooking-0", "cooking-1"} & set(ids(group))


def test_unknown_user_is_not_found(world: Engine) -> None:
    with pytest.raises(NotFound):
        world.recommendations.for_user("nobody")
    world.users.delete("cook")
    with pytest.raises(NotFound):
        world.recommendations.for_user("cook")
