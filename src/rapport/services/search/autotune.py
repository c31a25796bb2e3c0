"""Choosing the retriever's settings for one corpus, without relevance judgements.

The recommender tunes itself on a time split of its own data; a knowledge base has no
judgements to tune on, so it makes its own questions: pseudo-queries cut out of its chunks
(`pseudo_queries.py`), each answered by the document it came from. Plain dense search and
every candidate setting (`AutotuneConfig.candidates`, most preferred first) rank the same
pseudo-queries from one index; the first candidate whose mean known-item nDCG@10 trails plain
dense search's by at most `tolerance` (a share of it) is chosen, and plain dense search when
none qualifies.

Why a guard against losing rather than a contest with plain dense search: measured on
msmarco-5k, the known-item nDCG@10 of these pseudo-queries does not rank candidate settings
the way real questions do (Spearman correlation about 0 over 39 settings), because a
pseudo-query has one right answer and feedback helps questions with many: feedback trails
plain dense search by 4-10% on them there, yet wins by 5.7% on the real questions. What they
do show is a setting that breaks on a corpus (feedback drifting to the wrong chunks, BM25
matching the wrong words): it falls further behind plain dense search, which needs neither.
The preference order is the prior: the published hybrid-PRF first, then less BM25 in the
feedback, then less feedback.

Score smoothing over the chunk kNN graph (`TunedSettings.smooth_*`) is decided after that, on
a second kind of pseudo-query (`topical_queries.py`: k-means clusters asked for by their
distinctive words, many right answers each), which known-item ones cannot stand in for. Each
strength is tried on the final scores alone and, with feedback, on the ranking the feedback
chunks are picked from too; the one with the largest topical gain over the chosen settings is
added when that gain exceeds its standard error and its known-item score trails plain dense
search's by at most `smooth_tolerance` (the guard of every other candidate). Measured in
docs/benchmarks.md: chosen on msmarco-5k and the forum corpus.

Pseudo-queries see the corpus, not the users' questions: they share the corpus's words, so
they cannot tell that real questions use other words. The retriever guards against that per
query (its lexical trust, see `retriever.py`).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np
from pydantic import Field

from rapport.core.models import Schema
from rapport.evaluation.metrics import ndcg_at_k
from rapport.services.search.pseudo_queries import CorpusRow, cut_sentence_queries
from rapport.services.search.retriever import (
    PLAIN_DENSE,
    AutotuneConfig,
    HybridRetriever,
    PreparedQuery,
    RetrieverConfig,
    TunedSettings,
)
from rapport.services.search.topical_queries import TopicalQuery, topical_queries

Embed = Callable[[list[str]], np.ndarray]
CHUNK_DEPTH = 50
"""Chunks ranked per pseudo-query before they are grouped into documents."""


class CandidateScore(Schema):
    settings: TunedSettings
    """One candidate setting (or plain dense search)."""
    ndcg_at_10: float
    """Mean known-item nDCG@10 on the pseudo-queries (the answer document's 1/log2(rank+1))."""
    versus_dense: float
    """Mean paired difference to plain dense search."""
    standard_error: float
    """Standard error of that difference."""
    accepted: bool
    """Whether it trails plain dense search by at most the tolerance (for smoothing: whether
    it wins on the topical pseudo-queries and keeps the known-item score)."""
    topical_ndcg_at_10: float | None = None
    """Mean nDCG@10 on the topical pseudo-queries (only where smoothing was decided)."""
    versus_unsmoothed: float | None = None
    """Mean paired topical difference to the same settings without smoothing."""


class RetrievalChoice(Schema):
    """The retrieval settings a tenant's knowledge base uses, and how they were chosen."""

    tuned: bool
    """True when the settings were chosen on this corpus; False when the configured ones
    apply (see `reason`)."""
    reason: str
    """Why these settings: the rule that picked them, or why nothing was chosen."""
    settings: TunedSettings
    """The settings in use."""
    label: str
    """The settings in words."""
    chunks: int
    """Chunks indexed when the choice was made."""
    model: str
    """Embedding model of the vectors the choice was made with."""
    autotune: bool = True
    """Whether choosing was switched on (`[retriever.autotune] enabled`) at the time."""
    pseudo_queries: int = 0
    """Pseudo-queries the settings were compared on."""
    topical_queries: int = 0
    """Topical pseudo-queries the score smoothing was decided on."""
    tolerance: float = 0.0
    """Share of plain dense search's score a setting could trail it by and still be chosen."""
    seconds: float = 0.0
    """Time the choice took (embedding the pseudo-queries and edited chunks included)."""
    chosen_at: datetime | None = None
    """When the choice was made."""
    candidates: list[CandidateScore] = Field(default_factory=list)
    """Plain dense search, then each candidate in order of preference, with its scores."""


def untuned(config: RetrieverConfig, reason: str, chunks: int, model: str) -> RetrievalChoice:
    settings = config.tuned
    return RetrievalChoice(
        tuned=False,
        reason=reason,
        settings=settings,
        label=settings.label(),
        chunks=chunks,
        model=model,
        autotune=config.autotune.enabled,
    )


def tune(
    retriever: HybridRetriever,
    rows: Sequence[CorpusRow],
    embed: Embed,
    config: AutotuneConfig,
    model: str,
) -> RetrievalChoice:
    """Choose settings for the corpus `retriever` indexes; `rows` describe its chunks, row
    by row, and `embed` is the embedder its vectors came from."""
    started = time.perf_counter()
    base = retriever.config
    pseudo = cut_sentence_queries(rows, config.pseudo_queries, config.seed)
    if len(pseudo.queries) < config.min_pseudo_queries:
        return untuned(
            base,
            f"configured settings: only {len(pseudo.queries)} pseudo-queries could be drawn "
            f"(at least {config.min_pseudo_queries} are needed)",
            len(rows),
            model,
        )
    probe = _edited_index(retriever, rows, pseudo.edited, embed)
    texts = [query.text for query in pseudo.queries]
    vectors = np.asarray(embed(texts), dtype=np.float32)
    cosines = probe.vectors @ vectors.T
    prepared = [
        probe.prepare(vectors[n], text, dense=cosines[:, n], lexical=True)
        for n, text in enumerate(texts)
    ]
    documents = [row.document for row in rows]
    answers = [{query.document: 1} for query in pseudo.queries]

    def gains(settings: TunedSettings) -> np.ndarray:
        return _gains(probe.with_config(base.using(settings)), prepared, documents, answers)

    dense = gains(PLAIN_DENSE)
    scores = [_score(PLAIN_DENSE, dense, dense, config.tolerance)]
    scores += [_score(s, gains(s), dense, config.tolerance) for s in config.candidates]
    chosen = next((s for s in scores[1:] if s.accepted), scores[0])
    if chosen is scores[0]:
        reason = f"plain dense: every candidate trailed it by more than {config.tolerance:.0%}"
    elif chosen is scores[1]:
        reason = "first preference: it does not trail plain dense search"
    else:
        reason = "the preferred settings before it trailed plain dense search"
    topical = (
        topical_queries(rows, retriever.vectors, config.topical_queries, config.seed)
        if config.smoothing and len(retriever) <= config.max_smoothing_chunks
        else []
    )
    if len(topical) >= config.min_topical_queries:
        smoothed = _choose_smoothing(
            retriever, chosen, dense, gains, topical, documents, embed, config
        )
        scores += smoothed
        best = next((s for s in smoothed if s.accepted), None)
        if best is not None:
            chosen = best
            reason += "; smoothing: it wins on topical pseudo-queries and keeps look-ups"
    return RetrievalChoice(
        tuned=True,
        reason=reason,
        settings=chosen.settings,
        label=chosen.settings.label(),
        chunks=len(rows),
        model=model,
        pseudo_queries=len(texts),
        topical_queries=len(topical),
        tolerance=config.tolerance,
        seconds=round(time.perf_counter() - started, 2),
        chosen_at=datetime.now(UTC),
        candidates=scores,
    )


def _choose_smoothing(
    retriever: HybridRetriever,
    base: CandidateScore,
    dense: np.ndarray,
    known_item: Callable[[TunedSettings], np.ndarray],
    topical: list[TopicalQuery],
    documents: list[str],
    embed: Embed,
    config: AutotuneConfig,
) -> list[CandidateScore]:
    """Each smoothing on top of `base`, scored on both kinds of pseudo-queries, best topical
    gain first; accepted when it wins on the topical ones by more than one standard error
    and its known-item score trails plain dense search's (`dense`, per query) by at most
    `smooth_tolerance`: the same guard as every other candidate's, since smoothing is a
    topical step that look-ups under-rate as they under-rate feedback."""
    texts = [query.text for query in topical]
    vectors = np.asarray(embed(texts), dtype=np.float32)
    cosines = retriever.vectors @ vectors.T
    prepared = [
        retriever.prepare(vectors[n], text, dense=cosines[:, n], lexical=True)
        for n, text in enumerate(texts)
    ]
    relevant = [dict.fromkeys(query.documents, 1) for query in topical]

    def topical_gains(settings: TunedSettings) -> np.ndarray:
        tuned = retriever.with_config(retriever.config.using(settings))
        return _gains(tuned, prepared, documents, relevant)

    unsmoothed = topical_gains(base.settings)
    floor = (1 - config.smooth_tolerance) * float(dense.mean())
    scored = []
    # Each smoothing of the final scores alone, then of the feedback ranking too (with feedback).
    feedback = (False, True) if base.settings.prf_depth else (False,)
    for smooth_feedback, (neighbours, weight) in itertools.product(feedback, config.smoothing):
        settings = base.settings.model_copy(
            update={
                "smooth_neighbours": neighbours,
                "smooth_weight": weight,
                "smooth_feedback": smooth_feedback,
            }
        )
        known = known_item(settings)
        gains = topical_gains(settings)
        difference = gains - unsmoothed
        error = float(difference.std(ddof=1)) / math.sqrt(difference.size)
        mean = float(difference.mean())
        keeps = float(known.mean()) >= floor  # a smoothing that breaks look-ups falls below
        scored.append(
            CandidateScore(
                settings=settings,
                ndcg_at_10=round(float(known.mean()), 4),
                versus_dense=round(float((known - dense).mean()), 4),
                standard_error=round(error, 4),
                accepted=keeps and mean > error,
                topical_ndcg_at_10=round(float(gains.mean()), 4),
                versus_unsmoothed=round(mean, 4),
            )
        )
    scored.sort(key=lambda score: -(score.versus_unsmoothed or 0.0))
    return scored


def _score(
    settings: TunedSettings, gains: np.ndarray, dense: np.ndarray, tolerance: float
) -> CandidateScore:
    difference = gains - dense
    error = float(difference.std(ddof=1)) / math.sqrt(difference.size)
    mean = float(difference.mean())
    return CandidateScore(
        settings=settings,
        ndcg_at_10=round(float(gains.mean()), 4),
        versus_dense=round(mean, 4),
        standard_error=round(error, 4),
        accepted=mean >= -tolerance * float(dense.mean()),
    )


def _edited_index(
    retriever: HybridRetriever, rows: Sequence[CorpusRow], edited: dict[int, str], embed: Embed
) -> HybridRetriever:
    """The same corpus with every pseudo-query's sentence removed from its chunks."""
    texts = [row.text for row in rows]
    vectors = retriever.vectors.copy()
    changed = sorted(edited)
    if changed:
        vectors[changed] = embed([edited[row] for row in changed])
        for row in changed:
            texts[row] = edited[row]
    probe = HybridRetriever(retriever.config)
    probe.index(retriever.ids, texts, vectors, retriever.documents)
    return probe


def _gains(
    retriever: HybridRetriever,
    prepared: list[PreparedQuery],
    documents: list[str],
    relevant: list[dict[str, int]],
) -> np.ndarray:
    """nDCG@10 of each pseudo-query (its right documents given), chunks grouped by document."""
    expanded = np.vstack([retriever.expand(q, retriever.feedback_rows(q)) for q in prepared])
    cosines = retriever.vectors @ expanded.T
    gains = np.zeros(len(prepared))
    for n, query in enumerate(prepared):
        scores = retriever.final_scores(query, cosines[:, n])
        top = retriever.top_rows(scores, CHUNK_DEPTH, None)
        ranked = list(dict.fromkeys(documents[row] for row in top))
        gains[n] = ndcg_at_k(ranked, relevant[n], 10)
    return gains
