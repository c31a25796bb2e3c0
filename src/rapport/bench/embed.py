"""`rapport bench embed`: passages per second of MiniLM on torch (sentence-transformers), ONNX
fp32 and ONNX int8 on the same passages, and the dense nDCG@10 each one's vectors reach."""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np

from rapport.bench.progress import Bars, no_bars
from rapport.bench.retrieval import (
    BACKENDS,
    DEPTH,
    build_index,
    cached_vectors,
    default_cache_dir,
    make_backend,
)
from rapport.core.models import Schema
from rapport.core.vectors.embedder import Embedder
from rapport.evaluation.beir import evaluate_run, load_beir

THREADS = 2
BATCH = 32


class BackendRun(Schema):
    backend: str
    name: str
    """Model name stored with the vectors."""
    passages: int
    seconds: float
    cosine_to_torch: float
    """Mean cosine between this back end's vectors and torch's, same passages."""
    ndcg_at_10: float | None
    """Dense nDCG@10 (gain 2^grade-1) on the whole BEIR folder; None when skipped."""

    per_second: float


def bench_embed(
    folder: Path,
    passages: int = 1000,
    turn: int = 100,
    cache_dir: Path | None = None,
    quality: bool = True,
    bars: Bars = no_bars,
) -> list[BackendRun]:
    """Each back end embeds the same `turn` passages in rotating order until `passages` are
    done, so load from other processes on the host hits all of them alike."""
    import torch

    torch.set_num_threads(THREADS)  # ONNX Runtime gets the same two threads
    cache_dir = cache_dir or default_cache_dir()
    data = load_beir(folder)
    texts = list(data.corpus.values())
    sample = random.Random(0).sample(texts, min(passages, len(texts)))
    embedders: dict[str, Embedder] = {b: make_backend(b, cache_dir, BATCH) for b in BACKENDS}
    for embedder in embedders.values():  # load, export and warm up outside the timing
        embedder.embed(sample[:BATCH])
    seconds = dict.fromkeys(BACKENDS, 0.0)
    vectors: dict[str, list[np.ndarray]] = {b: [] for b in BACKENDS}
    with bars("embed (all back ends)", len(sample) * len(BACKENDS)) as advance:
        for number, start in enumerate(range(0, len(sample), turn)):
            part = sample[start : start + turn]
            for shift in range(len(BACKENDS)):
                backend = BACKENDS[(number + shift) % len(BACKENDS)]
                began = time.perf_counter()
                vectors[backend].append(embedders[backend].embed(part))
                seconds[backend] += time.perf_counter() - began
                advance(len(part))
    torch_vectors = np.vstack(vectors["torch"])
    runs = []
    for backend, embedder in embedders.items():
        cosine = float((np.vstack(vectors[backend]) * torch_vectors).sum(axis=1).mean())
        ndcg = None
        if quality:
            with bars(f"embed corpus ({backend})", len(texts)) as advance:
                corpus = cached_vectors(embedder, backend, texts, cache_dir, advance)
            queries = cached_vectors(embedder, backend, list(data.queries.values()), cache_dir)
            retriever = build_index(list(data.corpus), texts, corpus)
            run = {
                qid: [doc for doc, _ in retriever.dense(vector, DEPTH)]
                for qid, vector in zip(data.queries, queries, strict=True)
            }
            ndcg = evaluate_run(run, data.qrels).ndcg_at_10
        runs.append(
            BackendRun(
                backend=backend,
                name=embedder.name,
                passages=len(sample),
                seconds=seconds[backend],
                per_second=len(sample) / seconds[backend],
                cosine_to_torch=cosine,
                ndcg_at_10=ndcg,
            )
        )
    return runs
