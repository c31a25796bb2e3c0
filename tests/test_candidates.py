"""The candidate pipeline on a catalogue large enough to use the HNSW graph: the same lists as
exact search, filters that leave few rows or reject a source's best ones, the catalogue
frame kept in step row by row (writes here and from other processes), popularity from
aggregates, and whole items read only for the rows shown."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from rapport.core.store import freshness
from rapport.core.store.repository import Store
from rapport.engine import Engine
from rapport.services.recommend.candidates import AnchorNeighbours, exact_nearest
from tests.conftest import CountingEmbedder

NOW = datetime.now(UTC).replace(microsecond=0)
TOPICS = 12
ITEMS = 1200
DIM = 32


def world_vectors() -> np.ndarray:
    """Item vectors around one centre per topic (item n belongs to topic n % TOPICS)."""
    rng = np.random.default_rng(5)
    centres = rng.standard_normal((TOPICS, DIM))
    points = centres[np.arange(ITEMS) % TOPICS] + 0.7 * rng.standard_normal((ITEMS, DIM))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def items(start: int = 0, count: int = ITEMS) -> list[dict]:
    return [
        {
            "id": f"i{n}",
            "kind": "event" if n % 10 == 0 else "course",
            "title": f"Item {n}",
            "categories": [f"topic-{n % TOPICS}"],
            "price": float(n % 50),
            "created_at": (NOW - timedelta(days=100)).isoformat(),
        }
        for n in range(start, start + count)
    ]


def events() -> list[dict]:
    """Users 0-59 like items of their topic (user u: topic u % TOPICS); popular items are
    the low-numbered ones of each topic."""
    rng = np.random.default_rng(9)
    found = []
    for user in range(60):
        topic = user % TOPICS
        picks = topic + TOPICS * rng.zipf(1.5, 12).clip(1, ITEMS // TOPICS - 1)
        for step, item in enumerate(dict.fromkeys(picks.tolist())):
            found.append(
                {
                    "id": f"e{user}-{step}",
                    "user_id": f"u{user}",
                    "item_id": f"i{item}",
                    "type": "like",
                    "timestamp": (NOW - timedelta(days=30 - step)).isoformat(),
                }
            )
    return found


def write_vectors(url: str, model: str, ids: list[str], vectors: np.ndarray) -> None:
    with Store(url) as store:
        rows = [(i, f"h-{i}", v) for i, v in zip(ids, vectors, strict=True)]
        store.upsert_vectors("default", "item", model, rows)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, minilm: object) -> Path:
    """One catalogue with vectors and events, made once; each test copies it."""
    data = tmp_path_factory.mktemp("candidates")
    embedder = CountingEmbedder(minilm)  # type: ignore[arg-type]
    with Engine(data=data, embedder=embedder) as engine:
        engine.items.add(items(), index=False)
        engine.events.add(events())
        url = engine.settings.sqlalchemy_url
    write_vectors(url, embedder.name, [f"i{n}" for n in range(ITEMS)], world_vectors())
    return data


def open_engine(source: Path, tmp_path: Path, embedder: CountingEmbedder, **settings: object):
    import shutil

    copy = tmp_path / "data"
    if not copy.exists():
        shutil.copytree(source, copy)
    return Engine(data=copy, embedder=embedder, **settings)


@pytest.fixture
def graph_engine(folder: Path, tmp_path: Path, embedder: CountingEmbedder) -> Iterator[Engine]:
    """Nearest items come from the HNSW graph (the catalogue is above the threshold)."""
    with open_engine(folder, tmp_path, embedder, ann_min_vectors=200) as engine:
        yield engine


def ids(found: object) -> list[str]:
    return [r.item_id for r in found.items]  # type: ignore[attr-defined]


def test_graph_candidates_match_exact_ones(
    folder: Path, tmp_path: Path, embedder: CountingEmbedder
) -> None:
    overlaps = []
    with open_engine(folder, tmp_path, embedder, vector_index="exact") as exact:
        truth = {u: ids(exact.recommendations.for_user(f"u{u}", k=10)) for u in range(0, 60, 6)}
    with open_engine(folder, tmp_path, embedder, ann_min_vectors=200) as graph:
        for user, expected in truth.items():
            found = ids(graph.recommendations.for_user(f"u{user}", k=10))
            overlaps.append(len(set(found) & set(expected)) / len(expected))
        assert graph._services.index._spaces["default", "item"].graph is not None
    assert np.mean(overlaps) >= 0.9


def test_lists_follow_taste_and_filters(graph_engine: Engine) -> None:
    found = graph_engine.recommendations.for_user("u3", k=10, diversity=0)
    assert sum(r.item.categories == ["topic-3"] for r in found.items) >= 5  # and popular ones
    assert {"content", "neighbours"} & set(found.items[0].sources)
    liked = {e.item_id for e in graph_engine.events.list(user_id="u3", limit=None)}
    assert not liked & set(ids(found))
    # Few rows pass (120 events): every allowed row is scored.
    events_only = graph_engine.recommendations.for_user("u3", k=10, kind="event")
    assert len(events_only.items) == 10 and all(r.item.kind == "event" for r in events_only.items)
    cheap = graph_engine.recommendations.for_user("u3", k=10, max_price=2.0, categories=["topic-3"])
    assert cheap.items and all(r.item.price <= 2.0 for r in cheap.items)


def test_rejected_best_candidates_are_replaced(graph_engine: Engine) -> None:
    """Deactivating the user's whole topic leaves a ranking whose best rows all fail the
    filters: the sources fetch further until other items fill the list."""
    topic = [r for r in items() if r["categories"] == ["topic-3"]]
    graph_engine.items.add([{**r, "active": False} for r in topic], index=False)
    found = graph_engine.recommendations.for_user("u3", k=10)
    assert len(found.items) == 10
    assert all(r.item.categories != ["topic-3"] for r in found.items)


def test_frame_follows_writes_row_by_row(graph_engine: Engine) -> None:
    services = graph_engine._services
    graph_engine.recommendations.for_user("u3", k=5)
    frame = services.frames.get("default")
    generation = frame.generation
    # A new item close to the user's taste: in the next list, without a rebuild.
    new = {**items(3, 1)[0], "id": "brand-new", "created_at": NOW.isoformat()}
    graph_engine.items.add([new], index=False)
    vector = world_vectors()[3] + world_vectors()[15]
    write_vectors(
        services.settings.sqlalchemy_url,
        services.embedder.name,
        ["brand-new"],
        (vector / np.linalg.norm(vector))[None, :],
    )
    services.store.table_writes["vectors"] += 1  # written through another Store object
    found = graph_engine.recommendations.for_user("u3", k=30, diversity=0)
    assert services.frames.get("default") is frame and frame.generation > generation
    assert "brand-new" in ids(found)
    graph_engine.items.delete("brand-new")
    assert "brand-new" not in ids(graph_engine.recommendations.for_user("u3", k=30, diversity=0))
    # Whole items are read only for rows shown, not for the catalogue.
    assert len(frame._items) < 200


def test_writes_from_another_process_reach_the_frame(
    graph_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = graph_engine._services
    graph_engine.recommendations.for_user("u3", k=5)
    with Store(services.settings.sqlalchemy_url) as elsewhere:
        from rapport.core.models import Item

        elsewhere.upsert_items("default", [Item(id="i3", kind="event", title="Changed")])
    monkeypatch.setattr(freshness, "RECHECK_SECONDS", 0.0)
    monkeypatch.setattr(freshness, "COST_FACTOR", 0.0)
    services.frames.get("default")  # starts the check, answers from memory
    services.frames.wait()
    frame = services.frames.get("default")
    assert frame.titles[frame.position["i3"]] == "Changed"


def test_popularity_from_aggregates(engine: Engine) -> None:
    """Cold users get what is popular and trending, counted by the database."""
    engine.items.add(items(0, 60), index=False)
    engine.events.add(
        [
            {
                "id": f"p{u}-{n}",
                "user_id": f"crowd{u}",
                "item_id": f"i{n}",
                "type": "purchase",
                "timestamp": (NOW - timedelta(days=n)).isoformat(),
            }
            for u in range(5)
            for n in (7, 8)
        ]
    )
    engine.users.add([{"id": "cold"}])
    found = engine.recommendations.for_user("cold", k=3, diversity=0)
    assert ids(found)[:2] == ["i7", "i8"]
    assert {"popularity", "trending"} <= set(found.items[0].sources)


def test_anchor_neighbours_are_computed_once_per_frame_state(graph_engine: Engine) -> None:
    graph_engine.recommendations.for_user("u3", k=5)
    frame = graph_engine._services.frames.get("default")
    exact = exact_nearest(frame)
    calls: list[int] = []

    def counting(queries: np.ndarray, n: int) -> list[np.ndarray]:
        calls.append(len(queries))
        return exact(queries, n)

    lists = AnchorNeighbours(depth=50)
    anchors = np.array([3, 15, 3, 27])
    found = lists.nearest(frame, counting, anchors, 20)
    expected = exact(frame.vectors[anchors], 20)
    assert all(np.array_equal(f, e) for f, e in zip(found, expected, strict=True))
    assert calls == [3]  # the repeated anchor once
    assert [len(f) for f in lists.nearest(frame, counting, np.array([15, 27, 40]), 10)] == [10] * 3
    assert calls == [3, 1]  # only the anchor not seen before
    lists.nearest(frame, counting, np.array([3]), 60)  # deeper than kept: asked directly
    assert calls == [3, 1, 1]
    frame.generation += 1  # the catalogue changed: lists are computed again
    lists.nearest(frame, counting, np.array([3, 15]), 10)
    assert calls == [3, 1, 1, 2]
