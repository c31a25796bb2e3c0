"""Score smoothing over the chunk kNN graph, and the choice to use it made on topical
pseudo-queries (clusters of the corpus asked for by their distinctive words)."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest

from rapport.interfaces.cli.tables import choice_lines
from rapport.services.search.autotune import tune
from rapport.services.search.pseudo_queries import CorpusRow
from rapport.services.search.retriever import (
    AutotuneConfig,
    HybridRetriever,
    RetrieverConfig,
    TunedSettings,
)
from rapport.services.search.topical_queries import topical_queries

CONSONANTS, VOWELS = "bcdfghklmnprstvz", "aeiou"


def word(number: int) -> str:
    """A distinct letters-only word per number (the topical words must be real tokens)."""
    letters = []
    for _ in range(3):
        letters += [CONSONANTS[number % 16], VOWELS[number // 16 % 5]]
        number //= 80
    return "".join(letters)


def embed(texts: list[str]) -> np.ndarray:
    """Bag of seeded random word vectors: close texts share words, as with a real model."""
    rows = []
    for text in texts:
        vector = np.zeros(64, dtype=np.float32)
        for token in text.lower().replace(".", " ").split():
            seed = int(hashlib.sha1(token.encode()).hexdigest()[:8], 16)
            vector += np.random.default_rng(seed).normal(size=64).astype(np.float32)
        rows.append(vector / max(float(np.linalg.norm(vector)), 1e-9))
    return np.asarray(rows)


def corpus(topical: bool, documents: int = 1600, topics: int = 40) -> list[CorpusRow]:
    """Topical: every document mostly draws from its topic's 12 words (many documents answer
    a topic). Known-item: every document draws from one large vocabulary (each is unique)."""
    rng = random.Random(0)
    general = [word(n) for n in range(3000)]
    vocabularies = [[word(3000 + t * 12 + n) for n in range(12)] for t in range(topics)]
    share = 0.3 if topical else 0.0
    rows = []
    for number in range(documents):
        own = vocabularies[number % topics]
        sentences = [
            " ".join(
                rng.choice(own) if rng.random() < share else rng.choice(general) for _ in range(7)
            ).capitalize()
            + "."
            for _ in range(3)
        ]
        rows.append(CorpusRow(f"d{number}", " ".join(sentences)))
    return rows


def vocabulary(topic: int) -> set[str]:
    return {word(3000 + topic * 12 + n) for n in range(12)}


def test_smoothing_adds_the_mean_of_the_nearest_chunks_scores() -> None:
    vectors = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=np.float32)
    settings = TunedSettings(prf_depth=0, smooth_neighbours=1, smooth_weight=0.5)
    retriever = HybridRetriever(RetrieverConfig().using(settings))
    retriever.index(["a", "b", "c", "d"], ["alpha", "beta", "gamma", "delta"], vectors)
    assert retriever.neighbours(1).ravel().tolist() == [1, 0, 3, 2]
    scores = np.array([1.0, 0.0, 0.4, 0.2], dtype=np.float32)
    assert retriever.smooth(scores).tolist() == pytest.approx([0.5, 0.5, 0.3, 0.3])
    hits = retriever.search(np.array([1, 0], dtype=np.float32), "alpha", 2, allowed={"b", "c"})
    assert [chunk for chunk, _ in hits] == ["b", "c"]
    assert not settings.plain_dense
    assert settings.label() == "kNN smoothing 0.5 over 1"
    # A query twice as long as the median chunk halves the smoothing weight.
    assert retriever.smooth(scores, 2.0).tolist() == pytest.approx([0.75, 0.25, 0.35, 0.25])


def test_a_long_query_outweighs_its_feedback_chunks() -> None:
    vectors = np.array([[0, 1], [0, 1], [1, 0]], dtype=np.float32)
    retriever = HybridRetriever(RetrieverConfig(prf_depth=1, feedback_bm25_weight=0.0))
    retriever.index(["a", "b", "c"], ["two words"] * 3, vectors)
    assert retriever.median_words == 2
    asked = np.array([0.6, 0.8], dtype=np.float32)
    short = retriever.prepare(asked, "two words")
    long = retriever.prepare(asked, "a question of eight words and not two")
    assert (short.evidence, long.evidence) == (1.0, 4.0)
    feedback = retriever.feedback_rows(short)
    assert retriever.ids[int(feedback[0])] in {"a", "b"}  # (0, 1): the nearest chunk
    # normalise((0.6, 0.8) + (0, 1)) against normalise(4 x (0.6, 0.8) + (0, 1)).
    short_norm, long_norm = np.hypot(0.6, 1.8), np.hypot(2.4, 4.2)
    assert retriever.expand(short, feedback).tolist() == pytest.approx(
        [0.6 / short_norm, 1.8 / short_norm], abs=1e-6
    )
    assert retriever.expand(long, feedback).tolist() == pytest.approx(
        [2.4 / long_norm, 4.2 / long_norm], abs=1e-6
    )


def test_topical_queries_name_a_cluster_by_its_words() -> None:
    rows = corpus(topical=True, documents=400, topics=10)
    queries = topical_queries(rows, embed([row.text for row in rows]), 5)
    assert queries == topical_queries(rows, embed([row.text for row in rows]), 5)  # seeded
    assert len(queries) == 5
    for query in queries:
        assert len(query.text.split()) == 3 and len(query.documents) >= 3
        # distinctive words are topic words, of the topic most of its answers have
        topics = {t for w in query.text.split() for t in range(10) if w in vocabulary(t)}
        assert len(topics) == 1
        answers = [int(d[1:]) % 10 for d in query.documents]
        assert max(set(answers), key=answers.count) == topics.pop()


@pytest.mark.parametrize("topical", [True, False])
def test_chooser_smooths_a_topical_corpus_and_not_a_known_item_one(topical: bool) -> None:
    rows = corpus(topical)
    retriever = HybridRetriever()
    retriever.index(
        [r.document for r in rows], [r.text for r in rows], embed([r.text for r in rows])
    )
    choice = tune(retriever, rows, embed, AutotuneConfig(pseudo_queries=100), "bag of words")
    assert choice.topical_queries == 40
    smoothed = [c for c in choice.candidates if c.settings.smoothing]
    # three strengths, each on the final scores alone and on the feedback ranking too
    assert choice.settings.prf_depth == 3
    assert len(smoothed) == 6 and all(c.topical_ndcg_at_10 is not None for c in smoothed)
    assert sum(c.settings.smooth_feedback for c in smoothed) == 3
    assert choice.settings.smoothing == topical
    shown = [line for line in choice_lines(choice)[1:] if "kNN smoothing" in line]
    assert len(shown) == 6 and all("topical nDCG@10" in line for line in shown)
    assert sum("(feedback too)" in line for line in shown) == 3
    if topical:
        assert smoothed[0].versus_unsmoothed is not None
        assert smoothed[0].versus_unsmoothed > smoothed[0].standard_error
        assert "smoothing" in choice.reason and "kNN smoothing" in choice.label
    else:
        assert not any(c.accepted for c in smoothed)


def test_large_knowledge_bases_are_not_offered_smoothing() -> None:
    rows = corpus(True)  # the corpus that chooses smoothing above
    retriever = HybridRetriever()
    retriever.index(
        [r.document for r in rows], [r.text for r in rows], embed([r.text for r in rows])
    )
    config = AutotuneConfig(pseudo_queries=100, max_smoothing_chunks=len(rows) - 1)
    choice = tune(retriever, rows, embed, config, "bag of words")
    assert choice.topical_queries == 0 and not choice.settings.smoothing
    assert not any(c.settings.smoothing for c in choice.candidates)


def test_feedback_is_picked_from_the_smoothed_ranking_when_asked() -> None:
    """Chunk a is closest to the query but its neighbours are not; the b chunks are a little
    further and close to each other. Smoothing the feedback ranking picks a b chunk."""
    vectors = np.array(
        [
            [0.6, 0.8, 0.0],  # a: cosine 0.6, neighbours c1 and c2
            [0.55, 0.0, 0.835],  # b1..b3: cosine 0.55, neighbours of each other
            [0.55, 0.05, 0.833],
            [0.55, -0.05, 0.833],
            [0.0, 1.0, 0.0],  # c1, c2: far from the query
            [0.1, 0.99, 0.1],
        ],
        dtype=np.float32,
    )
    ids = ["a", "b1", "b2", "b3", "c1", "c2"]
    query = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    picked = {}
    for smooth_feedback in (False, True):
        settings = TunedSettings(
            prf_depth=1,
            feedback_bm25_weight=0.0,
            smooth_neighbours=2,
            smooth_weight=0.5,
            smooth_feedback=smooth_feedback,
        )
        retriever = HybridRetriever(RetrieverConfig().using(settings))
        retriever.index(ids, ["text"] * len(ids), vectors)
        rows = retriever.feedback_rows(retriever.prepare(query, "text"))
        picked[smooth_feedback] = [ids[row] for row in rows]
    assert picked[False] == ["a"]
    assert len(picked[True]) == 1 and picked[True][0] in {"b1", "b2", "b3"}
    assert (
        TunedSettings(
            prf_depth=3, smooth_neighbours=10, smooth_weight=0.3, smooth_feedback=True
        ).label()
        == "PRF depth 3, feedback BM25 1, kNN smoothing 0.3 over 10 (feedback too)"
    )


def test_a_long_query_adds_its_bm25_match_and_a_short_one_does_not() -> None:
    vectors = np.eye(3, dtype=np.float32)
    retriever = HybridRetriever(RetrieverConfig(prf_depth=0, full_agreement=0.0))
    retriever.index(["a", "b", "c"], ["apple pie", "banana bread", "cherry tart"], vectors)
    asked = np.array([0.6, 0.0, 0.8], dtype=np.float32)
    long = retriever.prepare(asked, "which of these is a banana loaf recipe", lexical=True)
    short = retriever.prepare(asked, "banana", lexical=True)
    assert (long.evidence, short.evidence, long.trust) == (4.0, 1.0, 1.0)
    # 0.2 x (1 - 1/4) x trust 1 x BM25 / its max: the banana chunk alone matches.
    added = retriever.final_scores(long, long.dense) - long.dense
    assert added.tolist() == pytest.approx([0.0, 0.15, 0.0])
    assert retriever.final_scores(short, short.dense).tolist() == pytest.approx(
        short.dense.tolist()
    )
