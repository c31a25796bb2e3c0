"""Hybrid retriever on a hand-made corpus with the real MiniLM model; BEIR loading and metrics
against values worked out by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from rapport.core.vectors.local import SentenceTransformerEmbedder
from rapport.evaluation.beir import (
    evaluate_run,
    load_beir,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)
from rapport.services.search import HybridRetriever, RetrieverConfig

# Small topical clusters: PRF assumes a few relevant chunks per query, as in real collections.
CORPUS = {
    # Near-identical part numbers: embeddings barely tell them apart, tokens do.
    "p1": "Replacement hinge, part number 84731, for the oak wardrobe door.",
    "p2": "Replacement hinge, part number 48713, for the pine wardrobe door.",
    "p3": "Replacement hinge, part number 87341, for the birch wardrobe door.",
    "p4": "Replacement hinge, part number 73418, for the maple wardrobe door.",
    "cold": "Symptoms of the common cold include a runny nose and a sore throat.",
    "flu": "Influenza brings fever, aching muscles and tiredness for about a week.",
    "throat": "Honey and warm drinks soothe a sore throat while a virus runs its course.",
    "car": "How to change a flat tyre on your automobile at the roadside.",
    "jack": "Loosen the lug nuts before lifting the vehicle with a jack.",
    "spare": "Check the spare tyre pressure every month so it is ready when needed.",
    "loan": "Mortgage rates rose again as the central bank raised interest rates.",
    "refi": "Refinancing a home loan can lower the monthly repayments.",
    "deposit": "First-time buyers need a deposit of at least ten percent of the price.",
    "bake": "Bake the sourdough loaf in a hot oven for forty minutes.",
    "cat": "Cats sleep for most of the day and hunt at dusk.",
    "garden": "Water tomato plants in the morning and mulch the soil.",
}


@pytest.fixture(scope="module")
def indexed(minilm: SentenceTransformerEmbedder) -> tuple[HybridRetriever, dict[str, np.ndarray]]:
    ids, texts = list(CORPUS), list(CORPUS.values())
    retriever = HybridRetriever()
    retriever.index(ids, texts, minilm.embed(texts))
    queries = [
        "84731",
        "my car has a puncture",
        "what does a head cold feel like",
        "home loan interest",
    ]
    return retriever, dict(zip(queries, minilm.embed(queries), strict=True))


def test_bm25_finds_exact_codes_dense_misses(indexed: tuple) -> None:
    retriever, vectors = indexed
    # Only the passage containing the number matches at all.
    assert [doc for doc, _ in retriever.bm25("84731", 10)] == ["p1"]
    assert retriever.dense(vectors["84731"], 1)[0][0] != "p1"
    # The lexical evidence carries into the fused and the hybrid ranking.
    assert retriever.rrf(vectors["84731"], "84731", 1)[0][0] == "p1"
    assert "p1" in [doc for doc, _ in retriever.search(vectors["84731"], "84731", 3)]


def test_dense_finds_paraphrases_bm25_misses(indexed: tuple) -> None:
    retriever, vectors = indexed
    query = "my car has a puncture"
    assert retriever.dense(vectors[query], 1)[0][0] == "car"
    assert retriever.bm25(query, 10) == []  # no shared term: "automobile", "flat tyre"


def test_hybrid_prf_ranks_the_relevant_doc_first(indexed: tuple) -> None:
    retriever, vectors = indexed
    for query, relevant in [
        ("what does a head cold feel like", {"cold", "flu", "throat"}),
        ("home loan interest", {"loan", "refi", "deposit"}),
        ("my car has a puncture", {"car", "jack", "spare"}),
    ]:
        hits = retriever.search(vectors[query], query, 3)
        assert hits[0][0] in relevant
        assert {doc for doc, _ in hits} == relevant
        assert len(hits) == 3
        assert hits[0][1] >= hits[1][1] >= hits[2][1]
    fused = retriever.rrf(vectors["home loan interest"], "home loan interest", 3)
    assert fused[0][0] in {"loan", "refi"}


def test_allowed_restricts_every_method(indexed: tuple) -> None:
    retriever, vectors = indexed
    query = "home loan interest"
    allowed = {"cat", "bake", "garden", "not-indexed"}  # none relevant, one unknown
    for hits in (
        retriever.search(vectors[query], query, 5, allowed=allowed),
        retriever.dense(vectors[query], 5, allowed=allowed),
        retriever.rrf(vectors[query], query, 5, allowed=allowed),
        retriever.bm25(query, 5, allowed=allowed),
    ):
        assert {doc for doc, _ in hits} <= allowed
    assert len(retriever.search(vectors[query], query, 5, allowed=allowed)) == 3
    assert retriever.search(vectors[query], query, 5, allowed=set()) == []


def test_prf_depth_zero_is_plain_dense(indexed: tuple, minilm: SentenceTransformerEmbedder) -> None:
    retriever, vectors = indexed
    plain = HybridRetriever(RetrieverConfig(prf_depth=0))
    plain.index(retriever.ids, list(CORPUS.values()), retriever.vectors)
    for query, vector in vectors.items():
        expected = retriever.dense(vector, 8)
        found = plain.search(vector, query, 8)
        # Two code paths may round differently in the last float32 bit: ids exact, scores close.
        assert [doc for doc, _ in found] == [doc for doc, _ in expected]
        assert [s for _, s in found] == pytest.approx([s for _, s in expected], abs=1e-5)


def test_feedback_chunks_come_from_distinct_documents() -> None:
    # Two chunks of one document nearest the query, then two other documents.
    vectors = np.array([[1, 0.05, 0], [1, 0.1, 0], [1, 0.3, 0], [1, 0, 0.4]], dtype=np.float32)
    ids, texts = ["a#0", "a#1", "b#0", "c#0"], ["w", "x", "y", "z"]
    config = RetrieverConfig(prf_depth=2, feedback_bm25_weight=0.0)
    query = np.array([1.0, 0.0, 0.0])
    chunks = HybridRetriever(config)
    chunks.index(ids, texts, vectors)
    documents = HybridRetriever(config)
    documents.index(ids, texts, vectors, ["a", "a", "b", "c"])
    picked = [
        [r.ids[row] for row in r.feedback_rows(r.prepare(query, "q", lexical=False))]
        for r in (chunks, documents)
    ]
    assert picked == [["a#0", "a#1"], ["a#0", "b#0"]]
    with pytest.raises(ValueError, match="documents"):
        documents.index(ids, texts, vectors, ["a"])


def test_empty_index_and_bad_input() -> None:
    retriever = HybridRetriever()
    retriever.index([], [], np.zeros((0, 4), dtype=np.float32))
    assert retriever.search(np.ones(4), "anything", 5) == []
    with pytest.raises(ValueError, match="differ"):
        retriever.index(["a"], ["a", "b"], np.ones((1, 4)))
    with pytest.raises(ValueError, match="repeat"):
        retriever.index(["a", "a"], ["x", "y"], np.ones((2, 4)))
    with pytest.raises(Exception, match="extra"):
        RetrieverConfig(unknown=1)  # type: ignore[call-arg]


def test_stopword_only_corpus_runs_dense_only() -> None:
    retriever = HybridRetriever()
    vectors = np.eye(2, dtype=np.float32)
    retriever.index(["a", "b"], ["the of and", "is a the"], vectors)
    assert retriever.search(np.array([0.0, 1.0]), "the", 1)[0][0] == "b"
    assert retriever.bm25("the", 2) == []


# -- BEIR ------------------------------------------------------------------------------------


def _beir(folder: Path, header: bool) -> Path:
    docs = [("d1", "", "alpha"), ("d2", "Title", "beta"), ("d3", "", "gamma"), ("d4", "", "x")]
    (folder / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": i, "title": t, "text": x}) for i, t, x in docs) + "\n"
    )
    queries = [("q1", "first"), ("q2", "second"), ("q3", "unjudged"), ("q4", "only zeros")]
    (folder / "queries.jsonl").write_text(
        "\n".join(json.dumps({"_id": i, "text": t}) for i, t in queries) + "\n"
    )
    (folder / "qrels").mkdir()
    lines = ["q1\td1\t2", "q1\td3\t1", "q2\td2\t1", "q4\td4\t0"]
    if header:
        lines.insert(0, "query-id\tcorpus-id\tscore")
    (folder / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n")
    return folder


@pytest.mark.parametrize("header", [True, False])
def test_beir_loader(tmp_path: Path, header: bool) -> None:
    data = load_beir(_beir(tmp_path, header))
    assert data.corpus == {"d1": "alpha", "d2": "Title. beta", "d3": "gamma", "d4": "x"}
    assert data.queries == {"q1": "first", "q2": "second"}  # judged positively only
    assert data.qrels["q1"] == {"d1": 2, "d3": 1}


def test_beir_loader_names_missing_files(tmp_path: Path) -> None:
    (tmp_path / "corpus.jsonl").write_text("")
    with pytest.raises(FileNotFoundError, match=r"queries\.jsonl, qrels/test\.tsv \(or dev"):
        load_beir(tmp_path)


def test_beir_loader_takes_dev_judgements_without_a_test_split(tmp_path: Path) -> None:
    folder = _beir(tmp_path, header=True)
    (folder / "qrels" / "test.tsv").rename(folder / "qrels" / "dev.tsv")
    assert load_beir(folder).qrels["q1"] == {"d1": 2, "d3": 1}
    (folder / "qrels" / "test.tsv").write_text("q2\td2\t1\n")
    assert set(load_beir(folder).queries) == {"q2"}  # test wins when both exist
    assert set(load_beir(folder, "dev").queries) == {"q1", "q2"}


def test_metrics_by_hand(tmp_path: Path) -> None:
    qrels = load_beir(_beir(tmp_path, True)).qrels
    # q1 ranks d3 (grade 1) first and d1 (grade 2) third.
    q1 = ["d3", "d2", "d1"]
    exp_dcg = 1 / math.log2(2) + 3 / math.log2(4)  # gains 2^1-1 = 1 and 2^2-1 = 3
    exp_ideal = 3 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k(q1, qrels["q1"], 10, "exp") == pytest.approx(exp_dcg / exp_ideal)
    assert ndcg_at_k(q1, qrels["q1"]) == pytest.approx(2.5 / (3 + 1 / math.log2(3)))
    lin = (1 + 2 / math.log2(4)) / (2 + 1 / math.log2(3))
    assert ndcg_at_k(q1, qrels["q1"], 10, "linear") == pytest.approx(lin)
    assert mrr_at_k(q1, qrels["q1"]) == 1.0
    assert recall_at_k(q1, qrels["q1"], 2) == 0.5
    # q2: its only relevant document second, within the cut-off of 2 but not of 1.
    q2 = ["d1", "d2"]
    assert mrr_at_k(q2, qrels["q2"]) == 0.5
    assert mrr_at_k(q2, qrels["q2"], 1) == 0.0
    assert ndcg_at_k(q2, qrels["q2"]) == pytest.approx(1 / math.log2(3))
    # Unjudged q3 and all-zero q4 are skipped; the rest are averaged.
    metrics = evaluate_run({"q1": q1, "q2": q2, "q3": ["d1"], "q4": ["d4"]}, qrels)
    assert metrics.queries == 2
    assert metrics.ndcg_at_10 == pytest.approx((exp_dcg / exp_ideal + 1 / math.log2(3)) / 2)
    assert metrics.ndcg_at_10_linear == pytest.approx((lin + 1 / math.log2(3)) / 2)
    assert metrics.mrr_at_10 == pytest.approx(0.75)
    assert metrics.recall_at_100 == pytest.approx(1.0)
    assert evaluate_run({"q1": ["d2", "d4"]}, qrels).recall_at_100 == 0.0
