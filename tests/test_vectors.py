"""Embeddings, the content-hash cache and vector search on both back ends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rapport.core.store.repository import ItemQuery
from rapport.core.vectors.index import ExactIndex, PgVectorIndex
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
    engine.add_items(CATALOG)
    hits = engine.similar_items("py", k=3)
    assert hits[0].item.id == "pandas"
    assert "py" not in [h.item.id for h in hits]
    assert hits[0].score > hits[-1].score
    music = engine.similar_items("jazz", k=3, query=ItemQuery(kind="course"))
    assert music[0].item.id == "guitar"
    assert all(h.item.kind == "course" for h in music)


def test_unchanged_text_is_never_embedded_twice(engine: Engine, embedder: CountingEmbedder) -> None:
    engine.add_items(CATALOG)
    assert embedder.embedded == 4
    engine.add_items(CATALOG)  # same texts
    assert engine.index_items() == 0
    assert embedder.embedded == 4
    changed = [{**CATALOG[0], "text": "Now with type hints and testing."}]
    engine.add_items(changed)
    assert embedder.embedded == 5
    # Same text under another id (or tenant) reuses the stored vector.
    engine.add_items([{**CATALOG[1], "id": "pandas-copy"}], tenant="acme")
    assert embedder.embedded == 5


def test_new_items_are_searchable_without_rebuild(engine: Engine) -> None:
    engine.add_items(CATALOG[:3])
    assert [h.item.id for h in engine.similar_items("jazz", k=1)] != ["guitar"]
    engine.add_items(CATALOG[3:])
    assert [h.item.id for h in engine.similar_items("jazz", k=1)] == ["guitar"]
    engine.delete_item("guitar")
    assert "guitar" not in [h.item.id for h in engine.similar_items("jazz", k=3)]


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
        first.add_items(CATALOG)
    with Engine(data=tmp_path, database_url=database_url, embedder=other) as second:
        assert second.index_items() == 4  # new model: everything re-embedded
        assert other.embedded == 4
        rows = second.store.load_vectors("default", "item", "other-model")
        kept = second.store.load_vectors("default", "item", embedder.name)
        assert len(rows) == len(kept) == 4
        by_id = {r.ref_id: r.vector for r in rows}
        original = {r.ref_id: r.vector for r in kept}
        assert np.allclose(by_id["py"], -original["py"], atol=1e-5)


def test_index_matches_exact_search(engine: Engine) -> None:
    engine.add_items(CATALOG)
    expected = ExactIndex if engine.store.dialect == "sqlite" else PgVectorIndex
    assert isinstance(engine.index, expected)
    exact = ExactIndex(engine.store, engine.embedder.name)
    query = engine.embedder.embed(["music performance tonight"])[0]
    ours = engine.index.search("default", "item", query, 4)
    truth = exact.search("default", "item", query, 4)
    assert [i for i, _ in ours] == [i for i, _ in truth]
    assert [s for _, s in ours] == pytest.approx([s for _, s in truth], abs=1e-4)
    allowed = engine.index.search(
        "default", "item", query, 4, allowed=["py", "pandas"], exclude=["pandas"]
    )
    assert [i for i, _ in allowed] == ["py"]
