"""What keeps a recommendation request short: the user's history read as columns, the
nearest-item lists and items prepared at warm-up, similarities computed once per request.
Each must leave the lists unchanged, with scores equal up to float32 rounding."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from rapport.core.interactions import EventColumns
from rapport.core.signals import SignalWeights
from rapport.engine import Engine
from rapport.services.recommend.candidates import (
    AnchorNeighbours,
    ContentSource,
    NeighbourSource,
    exact_nearest,
)
from rapport.services.recommend.model_scores import FullSourceScores
from rapport.services.recommend.user_state import EXCLUDE_STRENGTH, UserState
from tests.test_recommend import catalogue, ids

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def test_history_columns_match_the_signals(engine: Engine) -> None:
    """Same events, order, values and times as `item_signals`, on both back ends."""
    engine.items.add([{"id": f"i{n}", "title": f"Item number {n}"} for n in range(4)], index=False)
    events = [
        {"user_id": "u", "item_id": "i0", "type": "rate", "value": 4.5, "timestamp": T0},
        {"user_id": "u", "item_id": "i1", "type": "like", "timestamp": T0},  # same moment
        {"user_id": "u", "item_id": "i2", "type": "click", "timestamp": T0 + timedelta(hours=1)},
        {"user_id": "u", "item_id": "i3", "type": "rate", "timestamp": T0 - timedelta(days=400)},
        {"user_id": "u", "type": "login", "timestamp": T0},  # no item: not a signal
        {"user_id": "other", "item_id": "i0", "type": "like", "timestamp": T0},
    ]
    engine.events.add([{**e, "timestamp": e["timestamp"].isoformat()} for e in events])
    store = engine._services.store
    for limit in (500, 2):
        expected = store.item_signals("default", user_id="u", limit=limit)
        found = store.user_signal_columns("default", "u", limit)
        assert found.item_ids == [s[0] for s in expected]
        assert found.types == [s[1] for s in expected]
        assert [None if math.isnan(v) else v for v in found.values] == [s[2] for s in expected]
        assert found.times.tolist() == [s[3].timestamp() for s in expected]
    assert len(store.user_signal_columns("default", "u", 500).item_ids) == 4
    assert store.user_signal_columns("default", "nobody", 500).item_ids == []


@pytest.fixture
def world(sqlite_engine: Engine) -> Engine:
    engine = sqlite_engine
    engine.items.add(catalogue())
    engine.users.add([{"id": "coder", "profile": {"interests": ["programming"]}}])
    likes = [("coder", "coding-1"), ("coder", "jazz-2"), ("fan", "jazz-0"), ("fan", "jazz-3")]
    engine.events.add(
        [
            {"user_id": u, "item_id": i, "type": "like", "timestamp": T0.isoformat()}
            for u, i in likes
        ]
    )
    return engine


def refuse(queries: np.ndarray, n: int) -> list[np.ndarray]:
    raise AssertionError("a list was computed at request time")


def test_warm_up_fills_every_neighbour_list(world: Engine) -> None:
    frame = world._services.frames.get("default")
    lists = AnchorNeighbours(depth=5)
    assert lists.fill(frame, exact_nearest(frame)) == len(frame) == 18
    anchors = np.array([frame.position["jazz-0"], frame.position["cooking-2"]])
    # Every list is there: nothing is computed now, and each is the exact nearest rows.
    held = lists.nearest(frame, refuse, anchors, 5)
    exact = exact_nearest(frame)(frame.vectors[anchors], 5)
    assert [h.tolist() for h in held] == [e.tolist() for e in exact]
    assert [frame.ids[r].split("-")[0] for r in held[0][:3]] == ["jazz"] * 3
    assert lists.fill(frame, refuse) == 0  # already full
    # A changed catalogue empties the lists: they are recomputed, not served stale.
    world.items.add([{"id": "jazz-new", "title": "Late-night jazz organ trio"}])
    changed = world._services.frames.get("default")
    with pytest.raises(AssertionError, match="request time"):
        lists.nearest(changed, refuse, anchors, 5)


def test_warmed_engine_serves_the_same_lists(world: Engine) -> None:
    users = ["coder", "fan"]
    at = T0 + timedelta(days=1)
    cold = {u: world.recommendations.for_user(u, k=6, at=at) for u in users}
    data = world.settings.data
    with Engine(data=data, embedder=world._services.embedder) as warmed:
        warmed.warm_up()
        frame = warmed._services.frames.get("default")
        lists = warmed._services.recommender._anchor_lists["default"]
        assert lists.fill(frame, refuse) == 0  # warm-up computed every list
        for user in users:
            found = warmed.recommendations.for_user(user, k=6, at=at)
            assert ids(found) == ids(cold[user])
            assert [r.reasons for r in found.items] == [r.reasons for r in cold[user].items]
            expected = [r.score for r in cold[user].items]
            assert [r.score for r in found.items] == pytest.approx(expected, abs=1e-6)


def test_one_row_matrices_match_the_general_path() -> None:
    """A single history's rows (built directly) equal the same history's row in a batch
    (scipy's general path), entry for entry: the model's scores depend on their order."""
    from rapport.core.histories import Histories

    rng = np.random.default_rng(3)
    n = 300
    items = rng.choice(5000, n, replace=False).astype(np.int64)
    items[7] = items[3]  # a repeated item takes the general path in both
    for items_used in (np.unique(items), items):
        m = len(items_used)
        rating = np.where(rng.random(m) < 0.5, rng.integers(1, 11, m) / 2, np.nan)
        strength = rng.choice([-1.0, 0.0, 0.3, 1.0], m).astype(np.float32)
        times = np.sort(rng.random(m) * 1e6)
        one = Histories(
            5000, items_used, strength, rating.astype(np.float32), times,
            np.array([0]), np.array([m]), np.array([1e6]), np.array([0]),
        )  # fmt: skip
        two = Histories(
            5000, np.concatenate([items_used, items_used[:5]]),
            np.concatenate([strength, strength[:5]]),
            np.concatenate([rating, rating[:5]]).astype(np.float32),
            np.concatenate([times, times[:5]]),
            np.array([0, m]), np.array([m, m + 5]), np.array([1e6, 1e6]), np.array([0, 1]),
        )  # fmt: skip
        for build in (
            lambda h: h.matrix(20.0, 0.3, 4.0, 0.1),
            lambda h: h.matrix(),
            lambda h: h.seen(),
        ):
            fast, general = build(one), build(two)[0]
            assert fast.nnz > 100
            assert fast.indices.tolist() == general.indices.tolist()
            assert fast.data.dtype == general.data.dtype
            assert fast.data.tolist() == general.data.tolist()


SCORE_TOLERANCE = 1e-6  # float32 rounding of the same products computed in other batches


def test_content_scores_read_from_one_product_match_products_per_row(world: Engine) -> None:
    frame = world._services.frames.get("default")
    nearest = exact_nearest(frame)
    user = frame.vectors[[frame.position["jazz-0"], frame.position["coding-1"]]].sum(axis=0)
    user = (user / np.linalg.norm(user)).astype(np.float32)
    once = ContentSource(frame, nearest, user, exact=True)
    per_row = ContentSource(frame, nearest, user)
    assert once.top(6).tolist() == per_row.top(6).tolist()
    rows = np.array([5, 0, 17, 5, 3])
    found = once.at(rows)
    assert found.dtype == np.float64
    np.testing.assert_allclose(found, per_row.at(rows), rtol=0, atol=SCORE_TOLERANCE)
    direct = frame.vectors[rows].astype(np.float64) @ user.astype(np.float64)
    np.testing.assert_allclose(found, direct, rtol=0, atol=SCORE_TOLERANCE)
    assert found[0] == found[3]  # the same row twice: one value read twice


def test_neighbour_similarities_are_reused_unchanged(world: Engine) -> None:
    """Scoring the candidates after ranking reads the similarities ranking computed; every
    row, asked for in any order, has its highest similarity to any anchor."""
    frame = world._services.frames.get("default")
    anchors = np.array([frame.position["jazz-0"], frame.position["cooking-2"]])
    source = NeighbourSource(frame, exact_nearest(frame), anchors, AnchorNeighbours(depth=5))
    top = source.top(6)
    assert frame.ids[top[0]] in {"jazz-0", "cooking-2"}  # an anchor is its own nearest
    rows = np.concatenate([top, np.arange(len(frame))[::-1], top[:2]])
    vectors = frame.vectors.astype(np.float64)
    expected = (vectors[rows] @ vectors[anchors].T).max(axis=1)
    np.testing.assert_allclose(source.at(rows), expected, rtol=0, atol=SCORE_TOLERANCE)
    values = source.at(top)
    assert np.all(values[:-1] >= values[1:])  # ranked by the same similarities


def _naive_state(rows: list[int], strength: list[float], frame_categories: list[list[str]]) -> dict:
    """What the state's lists mean, one event at a time (oldest first)."""
    net: dict[int, float] = {}
    for row, value in zip(rows, strength, strict=True):
        net[row] = net.get(row, 0.0) + value
    newest_first = list(dict.fromkeys(reversed(rows)))
    negative = Counter(c for r, v in net.items() if v < 0 for c in frame_categories[r])
    rejected = {c for c, n in negative.items() if n >= 2}
    for r, v in net.items():
        if v > 0:
            rejected -= set(frame_categories[r])
    return {
        "positives": [r for r in newest_first if net[r] > 0],
        "liked": [r for r in newest_first if net[r] >= EXCLUDE_STRENGTH],
        "averse": rejected,
        "distinct": len(net),
    }


def test_user_state_lists_match_their_meaning(world: Engine) -> None:
    frame = world._services.frames.get("default")
    user = world._services.store.get_user("default", "coder")
    weights = SignalWeights()
    rng = np.random.default_rng(8)
    kinds = ["like", "dismiss", "click", "rate", "purchase", "view", "dislike"]
    averse_seen = 0
    for trial in range(20):
        # Even trials: long mixed histories; odd ones: short, mostly negative (aversions).
        n = int(rng.integers(0, 60)) if trial % 2 == 0 else int(rng.integers(4, 10))
        item_ids = [frame.ids[int(r)] for r in rng.integers(0, len(frame), n)] + ["unknown"]
        share = [1, 1, 1, 1, 1, 1, 1] if trial % 2 == 0 else [1, 12, 0, 2, 0, 1, 1]
        chosen = rng.choice(len(kinds), n + 1, p=np.array(share) / sum(share))
        types = [kinds[int(k)] for k in chosen]
        values = np.where(rng.random(n + 1) < 0.7, rng.integers(1, 11, n + 1) / 2, np.nan)
        times = T0.timestamp() + rng.permutation(n + 1).astype(np.float64) * 60
        signals = EventColumns(["coder"] * (n + 1), item_ids, types, values, times)
        state = UserState.build(user, signals, frame, weights)
        order = np.argsort(times[:n], kind="stable")
        rows = [frame.position[item_ids[k]] for k in order.tolist()]
        assert state.rows.tolist() == rows
        expected = _naive_state(rows, state.strength.tolist(), frame.categories)
        assert state.positives == expected["positives"], trial
        assert state.liked == expected["liked"], trial
        assert state.averse_categories == expected["averse"], trial
        assert state.interactions == expected["distinct"]
        averse_seen += bool(expected["averse"])
    assert averse_seen >= 3  # the trials exercise aversions too


def test_unique_rows_match_numpy() -> None:
    from rapport.services.recommend.rows import unique_rows

    rng = np.random.default_rng(4)
    for size in (0, 1, 2, 7, 1800):
        rows = rng.integers(0, 50 if size < 100 else 10_000, size)
        found = unique_rows(rows)
        assert found.tolist() == np.unique(rows).tolist()
        assert found.dtype == rows.dtype


def test_one_row_sequence_product_is_scipys_bit_for_bit() -> None:
    """The request's "what follows" scores: one history row times the transition matrix,
    summed directly, equal scipy's sparse product exactly (same float32 sums, same order);
    several rows take scipy's path."""
    import scipy.sparse as sp

    from rapport.services.recommend.models.hybrid import _rows_times

    transitions = sp.random(
        3000, 3000, density=0.01, format="csr", dtype=np.float32, random_state=5
    )
    for density in (0.0, 0.002, 0.1):
        rows = sp.random(3, 3000, density=density, format="csr", dtype=np.float32, random_state=6)
        for row in range(3):
            one = rows[row]
            found = _rows_times(one, transitions)
            expected = (one @ transitions).toarray()
            assert found.shape == (1, 3000) and found.dtype == np.float32
            assert found.tobytes() == expected.tobytes()
        assert _rows_times(rows, transitions).tobytes() == (rows @ transitions).toarray().tobytes()


def test_neighbour_similarities_of_expected_rows_come_with_the_ranking(world: Engine) -> None:
    """Rows announced with `expect` (the other sources' candidates) are computed in the
    ranking's product: asking for them afterwards computes nothing, and gives each row its
    highest similarity to any anchor."""
    frame = world._services.frames.get("default")
    anchors = np.array([frame.position["jazz-0"], frame.position["cooking-2"]])
    source = NeighbourSource(frame, exact_nearest(frame), anchors, AnchorNeighbours(depth=3))
    expected_rows = np.array([frame.position["coding-1"], frame.position["coding-3"], 0])
    source.expect(expected_rows)
    top = source.top(2)
    assert set(expected_rows.tolist()) <= set(source._known_rows.tolist())
    known = source._known_rows.size
    vectors = frame.vectors.astype(np.float64)
    direct = (vectors[expected_rows] @ vectors[anchors].T).max(axis=1)
    np.testing.assert_allclose(source.at(expected_rows), direct, rtol=0, atol=SCORE_TOLERANCE)
    assert source._known_rows.size == known  # nothing computed a second time
    assert frame.ids[top[0]] in {"jazz-0", "cooking-2"}


class _TwoSources:
    """A model whose `trending` says nothing (every item alike) and whose `core` ranks."""

    def specialise(self, history: object) -> _TwoSources:
        return self

    def weights(self) -> dict[str, float]:
        return {"core": 1.0, "trending": 0.1}

    def sources(self, history: object) -> dict[str, np.ndarray]:
        core = np.array([[0.1, 0.9, np.nan, 0.5]])
        return {"core": core, "trending": np.array([[0.0, 0.0, np.nan, 0.0]])}


def test_a_source_without_preference_proposes_nothing() -> None:
    scores = FullSourceScores(_TwoSources(), None)  # type: ignore[arg-type]
    assert scores.top("core", 3).tolist() == [1, 3, 0]
    assert scores.top("trending", 3).tolist() == []
    assert scores.at(np.array([1]))["trending"].tolist() == [0.0]  # still scores candidates
