"""The optional re-ranker: over real HTTP against a local server speaking the rerank protocol
(`openai_stub.py`: a document's score is the share of the query's words it holds), and as a
cross-encoder run in process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rapport.core.vectors.model_files import MINILM, resolve_model_path
from rapport.engine import Engine
from rapport.services.search.rerank import (
    LocalReranker,
    RerankerConfig,
    RerankError,
    ServerReranker,
    make_reranker,
)
from tests.conftest import CountingEmbedder
from tests.openai_stub import overlap

TEXTS = {"a#0": "python course", "b#0": "late jazz club", "c#0": "jazz nights"}
HITS = [("a#0", 0.9), ("b#0", 0.8), ("c#0", 0.7)]


def test_reranker_reorders_the_top_chunks_and_keeps_the_order_when_it_fails(
    stub_url: tuple[str, Any],
) -> None:
    url, stub = stub_url
    config = RerankerConfig(base_url=url, model="bge-reranker", api_key="test-key", depth=2)
    reranker = make_reranker(config)
    assert isinstance(reranker, ServerReranker)
    assert reranker.scores("jazz club", list(TEXTS.values())) == [0.0, 1.0, 0.5]
    # The top two are reordered and scored by the server; the third follows unchanged.
    reranked = reranker.rerank("jazz club", HITS, TEXTS.__getitem__)
    assert reranked == [("b#0", 1.0), ("a#0", 0.0), ("c#0", 0.7)]
    assert stub.state.reranked[-1] == ("bge-reranker", "jazz club", 2)

    assert reranker.rerank("fail now", HITS, TEXTS.__getitem__) == HITS  # server answers 503
    with pytest.raises(RerankError, match="503"):  # a benchmark must not measure the fallback
        reranker.rerank("fail now", HITS, TEXTS.__getitem__, strict=True)
    with pytest.raises(RerankError, match="503"):
        reranker.scores("fail now", ["x"])
    with pytest.raises(RerankError, match="401"):
        ServerReranker(config.model_copy(update={"api_key": "wrong"})).scores("jazz", ["x"])
    with pytest.raises(ValueError, match="base_url or model"):
        make_reranker(RerankerConfig())


def test_knowledge_search_ranks_by_the_configured_reranker(
    stub_url: tuple[str, Any], tmp_path: Path, minilm: Any
) -> None:
    url, stub = stub_url
    reranker = {"base_url": url, "model": "m", "api_key": "test-key", "depth": 3}
    documents = [
        {"id": "refunds", "title": "Refunds", "text": "Refunds reach your card in ten days."},
        {"id": "rules", "title": "House rules", "text": "Be kind; no spam in the forum."},
        {"id": "events", "title": "Events", "text": "The forum meets for coffee on Fridays."},
        {"id": "hours", "title": "Hours", "text": "The shop opens at nine and shuts at six."},
    ]
    with Engine(
        data=tmp_path, embedder=CountingEmbedder(minilm), retriever={"reranker": reranker}
    ) as engine:
        engine.kb.add_records(documents)
        found = engine.kb.search("forum coffee Fridays", k=4)
    assert stub.state.reranked == [("m", "forum coffee Fridays", 3)]
    head, tail = found.hits[:3], found.hits[3:]  # depth 3: the fourth keeps its own score
    by_text = {d["id"]: f"{d['title']}\n\n{d['text']}" for d in documents}
    expected = [overlap("forum coffee Fridays", by_text[hit.doc_id]) for hit in head]
    assert [hit.score for hit in head] == pytest.approx(expected)
    assert expected == sorted(expected, reverse=True) and expected[0] == 1.0
    assert head[0].doc_id == "events" and len(tail) == 1


def test_a_cross_encoder_on_disk_runs_in_process(tmp_path: Path) -> None:
    """No re-ranking model ships here: MiniLM's checkpoint with a fresh scoring head stands in
    (its scores mean nothing, so only the plumbing is checked against the model's own)."""
    from sentence_transformers import CrossEncoder

    path = resolve_model_path(MINILM)
    reranker = make_reranker(RerankerConfig(model=path, depth=3))
    assert isinstance(reranker, LocalReranker)
    reranked = reranker.rerank("jazz club", HITS, TEXTS.__getitem__)
    model = reranker._model
    assert isinstance(model, CrossEncoder)
    expected = model.predict([("jazz club", TEXTS[chunk]) for chunk, _ in HITS])
    by_score = sorted(zip(TEXTS, expected, strict=True), key=lambda pair: -pair[1])
    assert [chunk for chunk, _ in reranked] == [chunk for chunk, _ in by_score]
    assert [score for _, score in reranked] == pytest.approx([float(s) for _, s in by_score])

    missing = make_reranker(RerankerConfig(model=str(tmp_path / "no-model")))
    assert missing.rerank("jazz", HITS, TEXTS.__getitem__) == HITS  # logged, ranking kept
    with pytest.raises(RerankError, match="no-model"):
        missing.scores("jazz", ["x"])
