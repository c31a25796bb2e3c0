"""Retrieval settings chosen per corpus without judgements: pseudo-queries cut from the corpus,
the preference-and-guard rule, the per-query lexical trust, and the choice kept per tenant
(library, CLI and REST)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from rapport.core.vectors.local import SentenceTransformerEmbedder
from rapport.engine import Engine
from rapport.services.search.autotune import tune
from rapport.services.search.pseudo_queries import CorpusRow, cut_sentence_queries, sentences
from rapport.services.search.retriever import (
    PLAIN_DENSE,
    AutotuneConfig,
    HybridRetriever,
    RetrieverConfig,
    TunedSettings,
)
from tests.conftest import Cli, CountingEmbedder, LiveServer, shared_data

SMALL_TUNING = {"autotune": {"pseudo_queries": 25, "min_pseudo_queries": 20}}


def msmarco_records(count: int, start: int = 0) -> list[dict[str, Any]]:
    folder = shared_data("msmarco-5k")
    with (folder / "corpus.jsonl").open() as handle:
        rows = [json.loads(line) for line in handle][start : start + count]
    return [{"id": r["_id"], "title": "", "text": r["text"]} for r in rows]


def test_sentence_queries_leave_their_documents_without_the_sentence() -> None:
    rows = [
        CorpusRow("a", "Alpha opens here. The hidden sentence sits in the middle. Alpha ends."),
        CorpusRow("a", "The hidden sentence sits in the middle. Overlap repeats it."),
        CorpusRow("b", "Just one sentence without a second one to keep"),
        CorpusRow("c", "Title\n\nGamma rays come from space. Detectors on satellites see them."),
    ]
    drawn = cut_sentence_queries(rows, 10, seed=3)
    assert drawn == cut_sentence_queries(rows, 10, seed=3)  # seeded: the same every time
    assert {q.document for q in drawn.queries} <= {"a", "c"}  # b has nothing left to find
    for query in drawn.queries:
        holders = [n for n, row in enumerate(rows) if query.text in row.text]
        assert holders and all(query.text not in drawn.edited[n] for n in holders)
        assert all(rows[n].document == query.document for n in holders)
    assert sentences("Title\n\nOne here. Two there.") == ["Title", "One here.", "Two there."]


def test_lexical_trust_follows_agreement(minilm: SentenceTransformerEmbedder) -> None:
    texts = [
        "Mortgage rates rose again as the central bank raised interest rates.",
        "Refinancing a home loan can lower the monthly repayments.",
        "First-time buyers need a deposit for a home loan.",
        "How to change a flat tyre on your automobile at the roadside.",
        "Loosen the lug nuts before lifting the vehicle with a jack.",
    ]
    retriever = HybridRetriever(RetrieverConfig(agreement_depth=2, full_agreement=0.5))
    retriever.index([f"d{n}" for n in range(len(texts))], texts, minilm.embed(texts))
    agreed = retriever.prepare(minilm.embed(["home loan"])[0], "home loan")
    assert agreed.trust == 1.0  # BM25 and dense both put the two loan passages first
    unmatched = retriever.prepare(minilm.embed(["my car has a puncture"])[0], "car puncture")
    assert unmatched.trust == 0.0  # no shared word: feedback comes from dense alone
    dense_only = retriever.with_config(retriever.config.using(TunedSettings(prf_depth=2)))
    assert list(dense_only.feedback_rows(unmatched)) == list(unmatched.dense_top[:2])


def test_choice_is_the_first_candidate_within_tolerance(
    minilm: SentenceTransformerEmbedder,
) -> None:
    records = msmarco_records(100)
    texts = [r["text"] for r in records]
    retriever = HybridRetriever()
    retriever.index([r["id"] for r in records], texts, minilm.embed(texts))
    rows = [CorpusRow(r["id"], r["text"]) for r in records]
    config = AutotuneConfig(pseudo_queries=30, min_pseudo_queries=20)
    choice = tune(retriever, rows, minilm.embed, config, minilm.name)
    assert choice.tuned and choice.pseudo_queries >= 20 and choice.chunks == 100
    scores = choice.candidates
    assert [s.settings for s in scores] == [PLAIN_DENSE, *config.candidates]
    dense = scores[0].ndcg_at_10
    for score in scores[1:]:
        assert score.accepted == (score.versus_dense >= -config.tolerance * dense - 1e-4)
    accepted = [s.settings for s in scores[1:] if s.accepted]
    assert choice.settings == (accepted[0] if accepted else PLAIN_DENSE)
    too_few = tune(retriever, rows[:5], minilm.embed, config, minilm.name)
    assert not too_few.tuned and too_few.settings == RetrieverConfig().tuned


@pytest.fixture
def tuned_engine(tmp_path: Path, embedder: CountingEmbedder) -> Iterator[Engine]:
    with Engine(data=tmp_path, embedder=embedder, retriever=SMALL_TUNING) as engine:
        yield engine


def test_choice_is_kept_per_tenant_and_redone_when_the_corpus_grows(
    tuned_engine: Engine, tmp_path: Path, embedder: CountingEmbedder
) -> None:
    report = tuned_engine.kb.add_records(msmarco_records(70))
    stats = tuned_engine.kb.stats()
    assert stats.documents == 70 and stats.chunks == 70
    choice = stats.retrieval
    assert choice is not None and choice.tuned and choice.chunks == 70
    assert report.retrieval == stats.label == choice.label == choice.settings.label()
    assert (tmp_path / "retrieval" / "default.json").is_file()
    assert tuned_engine.kb.stats(tenant="other").retrieval is None
    # A restarted engine reads the choice; one more document is no material change.
    with Engine(data=tmp_path, embedder=embedder, retriever=SMALL_TUNING) as restarted:
        restarted.kb.add_records(msmarco_records(1, start=70))
        again = restarted.kb.stats().retrieval
        assert again is not None and again.chosen_at == choice.chosen_at
        restarted.kb.add_records(msmarco_records(20, start=71))  # 30% more chunks
        redone = restarted.kb.stats().retrieval
        assert redone is not None and redone.chunks == 91
        assert redone.chosen_at != choice.chosen_at
        hits = restarted.kb.search("what causes pneumonia", 3).hits
        assert len(hits) == 3


def test_stats_agree_across_library_rest_and_cli(
    tuned_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tuned_engine.kb.add_records(msmarco_records(50))
    expected = tuned_engine.kb.stats().model_dump(mode="json")
    with LiveServer(tuned_engine) as server:
        assert httpx.get(f"{server.url}/kb/stats", timeout=60).json() == expected
    # The CLI builds its own engine: give it the same embedder and settings.
    monkeypatch.setenv("RAPPORT_EMBEDDING_PROVIDER", "sentence-transformers")
    monkeypatch.setenv("RAPPORT_RETRIEVER", json.dumps(SMALL_TUNING))
    assert Cli(tmp_path)("kb", "stats", "--json").json() == expected
    shown = Cli(tmp_path)("kb", "stats")
    assert shown.returncode == 0 and "pseudo-queries" in shown.stdout
    assert np.isclose(expected["retrieval"]["candidates"][0]["versus_dense"], 0.0)
