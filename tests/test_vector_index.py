"""The embedded back end's vector index: exact below the threshold, an HNSW graph above it,
kept in step with the store (writes here and from other processes), saved in the data
directory and loaded on restart; filtered search; pgvector's bulk reads and its plans."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from rapport.core.store import freshness
from rapport.core.store.repository import Store
from rapport.core.vectors.index import ExactIndex, InProcessIndex, PgVectorIndex, make_index

MODEL = "test-model"
DIM = 32


def clustered(count: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 40 centres: neighbours are meaningful, as with text vectors."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, DIM))
    points = centres[rng.integers(0, 40, count)] + 0.6 * rng.standard_normal((count, DIM))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def write(store: Store, vectors: np.ndarray, start: int = 0, space: str = "item") -> list[str]:
    ids = [f"v{start + n}" for n in range(len(vectors))]
    store.upsert_vectors(
        "default", space, MODEL, [(i, f"h{i}", v) for i, v in zip(ids, vectors, strict=True)]
    )
    return ids


@pytest.fixture
def store(database_url: str) -> Store:
    return Store(database_url)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'rapport.db'}")


def graph_index(store: Store, folder: Path, ann_min: int = 500) -> InProcessIndex:
    index = make_index(store, MODEL, folder=folder, ann_min_vectors=ann_min)
    assert isinstance(index, InProcessIndex)
    return index


def recall(found: list[list[str]], truth: list[list[str]]) -> float:
    hits = sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True))
    return hits / sum(len(t) for t in truth)


def test_graph_search_recalls_exact_search(sqlite_store: Store, tmp_path: Path) -> None:
    vectors = clustered(3000)
    write(sqlite_store, vectors)
    index = graph_index(sqlite_store, tmp_path / "indexes")
    exact = ExactIndex(sqlite_store, MODEL)
    queries = clustered(100, seed=1)
    found = [[i for i, _ in index.search("default", "item", q, 10)] for q in queries]
    truth = [[i for i, _ in exact.search("default", "item", q, 10)] for q in queries]
    assert index._spaces["default", "item"].graph is not None  # the graph answered
    assert recall(found, truth) >= 0.95
    # Scores are cosines either way.
    ours = index.search("default", "item", queries[0], 1)[0]
    theirs = exact.search("default", "item", queries[0], 1)[0]
    if ours[0] == theirs[0]:
        assert ours[1] == pytest.approx(theirs[1], abs=1e-4)


def test_below_the_threshold_search_is_exact(sqlite_store: Store, tmp_path: Path) -> None:
    write(sqlite_store, clustered(300))
    index = graph_index(sqlite_store, tmp_path / "indexes", ann_min=500)
    query = clustered(1, seed=2)[0]
    exact = ExactIndex(sqlite_store, MODEL)
    assert [i for i, _ in index.search("default", "item", query, 10)] == [
        i for i, _ in exact.search("default", "item", query, 10)
    ]
    assert index._spaces["default", "item"].graph is None
    assert not (tmp_path / "indexes").exists()  # exact spaces are not saved


def test_writes_and_deletes_are_searchable_at_once(store: Store, tmp_path: Path) -> None:
    """Incremental: new vectors are found, replaced ones move, deleted ones are gone,
    without a rebuild (the graph keeps its keys; pgvector on PostgreSQL)."""
    vectors = clustered(1000)
    write(store, vectors)
    index = make_index(store, MODEL, folder=tmp_path / "indexes", ann_min_vectors=500)
    target = -vectors[0]  # far from everything stored
    assert index.search("default", "item", target, 1)[0][0] != "fresh"
    graph = index._spaces["default", "item"].graph if isinstance(index, InProcessIndex) else None
    store.upsert_vectors("default", "item", MODEL, [("fresh", "h", target)])
    assert index.search("default", "item", target, 1)[0][0] == "fresh"
    store.upsert_vectors("default", "item", MODEL, [("fresh", "h2", vectors[5])])
    assert index.search("default", "item", target, 1)[0][0] != "fresh"
    assert index.search("default", "item", vectors[5], 2)[0][1] == pytest.approx(1.0, abs=1e-4)
    with store.engine.begin() as conn:
        from rapport.core.store.schema import vectors as table

        conn.execute(table.delete().where(table.c.ref_id.in_(["v5", "fresh"])))
    store.table_writes["vectors"] += 1  # as the store's own deletes count themselves
    assert {"v5", "fresh"}.isdisjoint(i for i, _ in index.search("default", "item", vectors[5], 5))
    if isinstance(index, InProcessIndex):
        assert graph is not None and index._spaces["default", "item"].graph is graph


def test_filters_on_a_graph(sqlite_store: Store, tmp_path: Path) -> None:
    vectors = clustered(2000)
    ids = write(sqlite_store, vectors)
    index = graph_index(sqlite_store, tmp_path / "indexes")
    exact = ExactIndex(sqlite_store, MODEL)
    query = vectors[10]
    for allowed in (ids[::97], ids[::2]):  # a small set (scored exactly), half (over-fetched)
        hits = index.search("default", "item", query, 5, allowed=allowed, exclude=["v10"])
        truth = exact.search("default", "item", query, 5, allowed=allowed, exclude=["v10"])
        assert hits and all(i in set(allowed) and i != "v10" for i, _ in hits)
        assert recall([[i for i, _ in hits]], [[i for i, _ in truth]]) >= 0.8
    assert index.search("default", "item", query, 5, allowed=[]) == []
    assert index.search("default", "item", query, 5, allowed=["unknown"]) == []


def test_graph_is_saved_and_loaded_on_restart(sqlite_store: Store, tmp_path: Path) -> None:
    vectors = clustered(1500)
    write(sqlite_store, vectors)
    folder = tmp_path / "indexes"
    first = graph_index(sqlite_store, folder)
    first.refresh("default", "item")
    saved = list(folder.glob("default/item/*/state.json"))
    assert len(saved) == 1
    query = clustered(1, seed=3)[0]
    before = first.search("default", "item", query, 10)
    # Written while no index was running: replayed from the store on load.
    write(sqlite_store, -vectors[:1], start=9000)
    restarted = graph_index(sqlite_store, folder)
    assert [i for i, _ in restarted.search("default", "item", query, 10)] == [i for i, _ in before]
    assert restarted.search("default", "item", -vectors[0], 1)[0][0] == "v9000"
    space = restarted._spaces["default", "item"]
    assert space.graph is not None and space.unsaved == 1  # loaded, not rebuilt
    # Other graph settings make the saved graph unusable: rebuilt instead.
    from rapport.core.vectors.ann import AnnConfig

    other = InProcessIndex(sqlite_store, MODEL, folder, 500, AnnConfig(m=8))
    assert other.search("default", "item", -vectors[0], 1)[0][0] == "v9000"
    rebuilt = other._spaces["default", "item"].graph
    assert rebuilt is not None and rebuilt.index.M == 8


def test_writes_from_another_process_show_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process's writes do not bump this store's counters: a background check
    finds them (made due at once here instead of after a second)."""
    url = f"sqlite:///{tmp_path / 'rapport.db'}"
    here, elsewhere = Store(url), Store(url)
    vectors = clustered(800)
    write(here, vectors)
    index = graph_index(here, tmp_path / "indexes")
    assert index.search("default", "item", -vectors[0], 1)[0][0] != "other"
    elsewhere.upsert_vectors("default", "item", MODEL, [("other", "h", -vectors[0])])
    monkeypatch.setattr(freshness, "RECHECK_SECONDS", 0.0)
    monkeypatch.setattr(freshness, "COST_FACTOR", 0.0)
    index.search("default", "item", -vectors[0], 1)  # starts the check, answers from memory
    index.wait()
    assert index.search("default", "item", -vectors[0], 1)[0][0] == "other"


def test_matrix_reads_a_whole_catalogue(store: Store, tmp_path: Path) -> None:
    vectors = clustered(50)
    ids = write(store, vectors)
    index = make_index(store, MODEL, folder=tmp_path / "indexes", ann_min_vectors=20)
    index.refresh("default", "item")
    matrix, has = index.matrix("default", "item", ["missing", *ids[:3]])
    assert has.tolist() == [False, True, True, True]
    assert np.allclose(matrix[1:], vectors[:3], atol=1e-6) and not matrix[0].any()
    hits = index.search_many("default", "item", vectors[:2], 1)
    assert [h[0][0] for h in hits] == ids[:2]


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_pgvector_searches_use_the_hnsw_index(store: Store) -> None:
    """`similar` (unfiltered) and a broad filter are answered by the HNSW index, also once
    the statement is prepared: PostgreSQL would then switch to a cached generic plan that,
    not knowing how many ids the filter allows, scans and sorts all of them."""
    vectors = clustered(4000)
    ids = write(store, vectors)
    write(store, clustered(500, seed=1), space="user")  # rows the space filter leaves out
    index = make_index(store, MODEL)
    assert isinstance(index, PgVectorIndex)
    index.refresh("default", "item")
    with store.engine.begin() as conn:
        conn.execute(text("ANALYZE vectors"))
    hnsw = "Index Scan using ix_vectors_hnsw_"
    similar = index.explain("default", "item", vectors[0], 10, exclude=["v0"])
    assert any(hnsw in line for line in similar), "\n".join(similar)
    half = ids[::2]
    filtered = index.explain("default", "item", vectors[0], 10, allowed=half, exclude=["v0"])
    assert any(hnsw in line for line in filtered), "\n".join(filtered)
    for _ in range(15):  # psycopg prepares after 5 runs; PostgreSQL may go generic 5 later
        hits = index.search("default", "item", vectors[0], 10, allowed=half, exclude=["v0"])
        assert len(hits) == 10 and {i for i, _ in hits} <= set(half) - {"v0"}
    pool = store.engine.pool
    assert isinstance(pool, QueuePool) and pool.checkedin() == 1  # one session ran them all
    with store.engine.connect() as conn:
        generic = conn.scalar(
            text(
                "SELECT coalesce(sum(generic_plans), 0) FROM pg_prepared_statements "
                "WHERE statement LIKE 'SELECT ref_id, 1 - %'"
            )
        )
    assert generic == 0
