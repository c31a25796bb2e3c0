"""Embeddings, the content-hash cache and vector search on both back ends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rapport.core.store.repository import Store
from rapport.core.vectors.index import ExactIndex, PgVectorIndex, make_index
from rapport.engine import Engine
from tests.conftest import CountingEmbedder

CATALOG = [
    {
        "id": "py",
        "kind": "course",
        "title": "Python programming for beginners",
        "text": "Variables, loops and functions in Python.",
        "categories": ["data"],
    },
    {
        "id": "pandas",
        "kind": "course",
        "title": "Data analysis with pandas",
        "text": "Clean and analyse tabular data with Python and pandas.",
        "categories": ["data"],
    },
    {
        "id": "jazz",
        "kind": "event",
        "title": "Live jazz quartet",
        "text": "An evening of saxophone and double bass in a small club.",
        "categories": ["music"],
    },
    {
        "id": "guitar",
        "kind": "course",
        "title": "Blues guitar basics",
        "text": "Learn chords, shuffles and your first solo on guitar.",
        "categories": ["music"],
    },
]


def test_minilm_vectors_are_normalised_and_semantic(embedder: CountingEmbedder) -> None:
    matrix = embedder.embed(
        ["a course about python code", "learning to program", "a saxophone concert"]
    )
    assert matrix.shape == (3, 384) and matrix.dtype == np.float32
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    assert matrix[0] @ matrix[1] > matrix[0] @ matrix[2]


def test_similar_items_rank_by_meaning(engine: Engine) -> None:
    engine.items.add(CATALOG)
    hits = engine.items.similar("py", k=3)
    assert hits[0].item_id == hits[0].item.id == "pandas"
    assert "py" not in [h.item_id for h in hits]
    assert hits[0].score > hits[-1].score
    music = engine.items.similar("jazz", k=3, kind="course")
    assert music[0].item_id == "guitar"
    assert all(h.item.kind == "course" for h in music)


def test_unchanged_text_is_never_embedded_twice(engine: Engine, embedder: CountingEmbedder) -> None:
    engine.items.add(CATALOG)
    assert embedder.embedded == 4
    engine.items.add(CATALOG)  # same texts
    assert engine.items.index() == 0
    assert embedder.embedded == 4
    changed = [{**CATALOG[0], "text": "Now with type hints and testing."}]
    engine.items.add(changed)
    assert embedder.embedded == 5
    # Same text under another id of the same tenant reuses the stored vector...
    engine.items.add([{**CATALOG[1], "id": "pandas-copy"}])
    assert embedder.embedded == 5
    # ...but another tenant's never is (its write time would reveal the text is stored).
    engine.items.add([{**CATALOG[1], "id": "pandas-copy"}], tenant="acme")
    assert embedder.embedded == 6


def test_new_items_are_searchable_without_rebuild(engine: Engine) -> None:
    engine.items.add(CATALOG[:3])
    assert [h.item.id for h in engine.items.similar("jazz", k=1)] != ["guitar"]
    engine.items.add(CATALOG[3:])
    assert [h.item.id for h in engine.items.similar("jazz", k=1)] == ["guitar"]
    engine.items.delete("guitar")
    assert "guitar" not in [h.item.id for h in engine.items.similar("jazz", k=3)]


def test_changing_model_reembeds_and_never_mixes(
    tmp_path: Path, database_url: str, embedder: CountingEmbedder
) -> None:
    class Shifted(CountingEmbedder):
        """Another 'model': a different name and different vectors."""

        def embed(self, texts: list[str]) -> np.ndarray:
            self.calls.append(len(texts))
            return -self.inner.embed(texts)

    other = Shifted(embedder.inner)
    other.name = "other-model"
    with Engine(data=tmp_path, database_url=database_url, embedder=embedder) as first:
        first.items.add(CATALOG)
    with Engine(data=tmp_path, database_url=database_url, embedder=other) as second:
        assert second.items.index() == 4  # new model: everything re-embedded
        assert other.embedded == 4
    with Store(database_url) as store:
        rows = store.load_vectors("default", "item", "other-model")
        kept = store.load_vectors("default", "item", embedder.name)
        assert len(rows) == len(kept) == 4
        by_id = {r.ref_id: r.vector for r in rows}
        original = {r.ref_id: r.vector for r in kept}
        assert np.allclose(by_id["py"], -original["py"], atol=1e-5)


def test_index_matches_exact_search(
    engine: Engine, database_url: str, embedder: CountingEmbedder
) -> None:
    engine.items.add(CATALOG)
    store = Store(database_url)
    index = make_index(store, embedder.name)
    assert isinstance(index, ExactIndex if store.dialect == "sqlite" else PgVectorIndex)
    exact = ExactIndex(store, embedder.name)
    query = embedder.embed(["music performance tonight"])[0]
    ours = index.search("default", "item", query, 4)
    truth = exact.search("default", "item", query, 4)
    assert [i for i, _ in ours] == [i for i, _ in truth]
    assert [s for _, s in ours] == pytest.approx([s for _, s in truth], abs=1e-4)
    allowed = index.search(
        "default", "item", query, 4, allowed=["py", "pandas"], exclude=["pandas"]
    )
    assert [i for i, _ in allowed] == ["py"]
    store.close()
