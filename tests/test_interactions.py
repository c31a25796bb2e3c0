"""Events become interactions the same way from records and from the store's column batches
(the training path), whatever order they arrive in."""

from __future__ import annotations

import random
from datetime import timedelta

import numpy as np

from rapport.core.interactions import EventColumns, Interactions
from rapport.core.models import Event
from rapport.core.signals import SignalWeights
from rapport.core.store.repository import Store
from rapport.services.recommend.training import interactions
from tests.test_models import START, synthetic_events


def event(n: int, user: str, item: str | None, kind: str, value: float | None = None) -> Event:
    stamp = START + timedelta(hours=n, minutes=30)  # no ties with synthetic_events
    return Event(id=f"e{n}", user_id=user, item_id=item, type=kind, value=value, timestamp=stamp)


EVENTS = [
    event(0, "bob", "x", "view"),
    event(1, "ann", "x", "click"),
    event(2, "ann", "x", "rate", 5),
    event(3, "ann", "y", "dislike"),
    event(4, "ann", "x", "rate", 2),
    event(5, "bob", "y", "purchase"),
    event(6, "bob", "y", "purchase"),
    event(7, "ann", None, "login"),
    event(8, "cid", "gone", "purchase"),
]


def columns(events: list[Event]) -> EventColumns:
    return EventColumns(
        user_ids=[e.user_id for e in events],
        item_ids=[str(e.item_id) for e in events],
        types=[e.type for e in events],
        values=np.array([e.value for e in events], dtype=np.float64),
        times=np.array([e.timestamp.timestamp() for e in events]),
    )


def rows(data: Interactions) -> dict[tuple[str, str], tuple[float, float | None, float]]:
    """(user, item) -> (strength, rating or None, time)."""
    return {
        (data.user_ids[u], data.item_ids[i]): (
            round(float(s), 4),
            None if np.isnan(r) else float(r),
            float(t),
        )
        for u, i, s, r, t in zip(
            data.users, data.items, data.strength, data.rating, data.time, strict=True
        )
    }


def test_events_aggregate_per_user_and_item() -> None:
    data = Interactions.from_events(EVENTS)
    hour = timedelta(hours=1).total_seconds()
    base = START.timestamp() + 30 * 60
    assert data.user_ids == ["bob", "ann", "cid"]  # in order of their first event
    assert data.item_ids == ["gone", "x", "y"]
    found = rows(data)
    assert found[("bob", "x")] == (0.05, None, base)
    # click 0.1 + a 5 (1.0) + a 2 (-0.5); the rating is the latest one
    assert found[("ann", "x")] == (0.6, 2.0, base + 4 * hour)
    assert found[("ann", "y")][0] == -1.0
    assert found[("bob", "y")][0] == 1.0  # two purchases, clipped
    assert len(data) == 5  # the login names no item


def test_fixed_catalogue_drops_other_items_and_their_only_users() -> None:
    data = Interactions.from_events(EVENTS, item_ids=["y", "x"])
    assert data.item_ids == ["y", "x"]
    assert data.user_ids == ["bob", "ann"]  # cid only touched an item outside the catalogue
    assert set(rows(data)) == {("bob", "x"), ("ann", "x"), ("ann", "y"), ("bob", "y")}


def test_column_batches_in_any_order_give_the_same_interactions() -> None:
    events = [Event.model_validate(e) for e in synthetic_events(30)]
    shuffled = [e for e in events if e.item_id is not None]
    random.Random(5).shuffle(shuffled)
    batches = [columns(shuffled[start : start + 97]) for start in range(0, len(shuffled), 97)]
    expected = Interactions.from_events(events)
    found = Interactions.from_columns(batches)
    assert found.user_ids == expected.user_ids and found.item_ids == expected.item_ids
    assert rows(found) == rows(expected) and len(found) == len(expected)


def test_signal_strength_of_columns_matches_one_event_at_a_time() -> None:
    signals = SignalWeights(weights={"share": 0.7})
    kinds = ["rate", "rate", "rate", "rate", "share", "view", "unknown", "dislike"]
    values = np.array([5.0, 3.0, 1.0, np.nan, np.nan, 2.0, np.nan, np.nan])
    strength, rating = signals.of_columns(kinds, values)
    one_by_one = [
        signals.of(k, None if np.isnan(v) else float(v)) for k, v in zip(kinds, values, strict=True)
    ]
    assert strength.tolist() == one_by_one == [1.0, 0.1, -0.5, 0.0, 0.7, 0.05, 0.0, -1.0]
    assert rating[:3].tolist() == [5.0, 3.0, 1.0] and np.isnan(rating[3:]).all()


def test_training_reads_the_store_in_column_batches(database_url: str) -> None:
    store = Store(database_url)
    events = [Event.model_validate(e) for e in synthetic_events(30)]
    store.add_events("t1", [*events, *EVENTS])
    store.add_events("t2", EVENTS)
    batches = list(store.item_event_columns("t1", batch=101))
    assert [len(b.user_ids) for b in batches[:2]] == [101, 101]
    assert sum(len(b.user_ids) for b in batches) == len(events) + len(EVENTS) - 1
    found = interactions(store, "t1", SignalWeights())
    expected = Interactions.from_events([*events, *EVENTS])
    assert found.user_ids == expected.user_ids and found.item_ids == expected.item_ids
    assert rows(found) == rows(expected)
    assert rows(interactions(store, "t2", SignalWeights())) == rows(
        Interactions.from_events(EVENTS)
    )
