"""Topical pseudo-queries: questions with many right answers, drawn from a corpus itself.

A known-item pseudo-query (`pseudo_queries.py`) has one answer, so it cannot show what helps
questions with many (feedback, score smoothing). Here the corpus's chunk vectors are split
into k-means clusters; a cluster's query is its most distinctive words (class-based TF-IDF,
as BERTopic labels topics: a word's share of the cluster's words, weighted by how rare it is
across clusters) and every document with a chunk in the cluster is a right answer. Clusters
with fewer than `MIN_DOCUMENTS` documents are left out: they are look-ups again.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import CountVectorizer
from threadpoolctl import threadpool_limits

from rapport.services.search.pseudo_queries import CorpusRow

CHUNKS_PER_CLUSTER = 40
"""Average cluster size asked of k-means: a topic, not a near-duplicate pair."""
MIN_DOCUMENTS = 3
WORDS = 3
"""Words in a query: the length of a short topical search."""


@dataclass(frozen=True)
class TopicalQuery:
    text: str
    """The cluster's most distinctive words."""
    documents: frozenset[str]
    """Documents with a chunk in the cluster: the right answers."""


def topical_queries(
    rows: Sequence[CorpusRow], vectors: np.ndarray, count: int, seed: int = 0
) -> list[TopicalQuery]:
    """Up to `count` topical pseudo-queries from randomly drawn clusters (seeded)."""
    clusters = len(rows) // CHUNKS_PER_CLUSTER
    if clusters < 2 or count == 0:
        return []
    # One thread: on a busy 2-core host, k-means over 5,000 chunks took 19 s threaded, 1.6 s
    # on one (OpenMP and BLAS threads oversubscribed).
    with threadpool_limits(limits=1):
        kmeans = KMeans(clusters, n_init=1, max_iter=30, random_state=seed)
        labels = kmeans.fit_predict(vectors)
    words = CountVectorizer(stop_words="english", min_df=2, token_pattern=r"(?u)\b[a-zA-Z]{3,}\b")
    try:
        counts = words.fit_transform([row.text for row in rows])
    except ValueError:  # no word left (stopwords only)
        return []
    vocabulary = words.get_feature_names_out()
    per_cluster = np.zeros((clusters, counts.shape[1]))
    for cluster in range(clusters):
        per_cluster[cluster] = np.asarray(counts[labels == cluster].sum(axis=0)).ravel()
    share = per_cluster / np.maximum(per_cluster.sum(axis=1, keepdims=True), 1)
    rarity = np.log1p(per_cluster.sum(axis=0).mean() / np.maximum(per_cluster.sum(axis=0), 1))
    weights = share * rarity
    order = list(range(clusters))
    random.Random(seed).shuffle(order)
    queries: list[TopicalQuery] = []
    for cluster in order:
        if len(queries) == count:
            break
        members = np.flatnonzero(labels == cluster).tolist()
        documents = frozenset(rows[n].document for n in members)
        best = np.argsort(-weights[cluster], kind="stable")[:WORDS]
        best = best[weights[cluster, best] > 0]
        if len(documents) < MIN_DOCUMENTS or not best.size:
            continue
        queries.append(TopicalQuery(" ".join(vocabulary[best]), documents))
    return queries
