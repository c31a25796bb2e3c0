"""`rapport bench kb-add`: how long `kb add` of a whole BEIR corpus takes in a fresh embedded
store with the default settings (chunking, embedding, storing and choosing the retrieval
settings), against the bare embedding of the same texts by the same embedder."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from rapport.bench.progress import Bars, no_bars
from rapport.core.models import Schema
from rapport.core.vectors.registry import make_embedder
from rapport.engine import Engine


class KbIngestBench(Schema):
    dataset: str
    documents: int
    chunks: int
    embedder: str
    """Model name of the vectors, which tells the back end (`+onnx-int8` for ONNX int8)."""
    add_seconds: float
    """`kb add` of every document, choosing the retrieval settings included."""
    choose_seconds: float
    """Of which: choosing the retrieval settings."""
    embed_seconds: float
    """The peer: the same embedding back end embedding the documents' texts, nothing else."""
    documents_per_second: float
    retrieval: str
    """The settings chosen for the corpus."""


def _records(folder: Path) -> list[dict[str, Any]]:
    with (folder / "corpus.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [
        {"id": str(r["_id"]), "title": r.get("title") or "", "text": r.get("text") or ""}
        for r in rows
        if (r.get("text") or "").strip()
    ]


def bench_kb_add(folder: Path, bars: Bars = no_bars, **settings: Any) -> KbIngestBench:
    records = _records(folder)
    with tempfile.TemporaryDirectory() as scratch, Engine(data=Path(scratch), **settings) as engine:
        engine.kb.add_records(records[:1])  # load the model outside the timing
        engine.kb.remove(records[0]["id"])
        with bars("kb add", None):
            started = time.perf_counter()
            report = engine.kb.add_records(records)
            seconds = time.perf_counter() - started
        stats = engine.kb.stats()
        embedder = make_embedder(engine.settings)
        texts = [f"{r['title']}\n\n{r['text']}" if r["title"] else r["text"] for r in records]
        embedder.embed(texts[:32])  # load outside the timing
        started = time.perf_counter()
        embedder.embed(texts)
        embed_seconds = time.perf_counter() - started
    choice = stats.retrieval
    return KbIngestBench(
        dataset=folder.name,
        documents=report.added,
        chunks=report.chunks,
        embedder=stats.model,
        add_seconds=round(seconds, 2),
        choose_seconds=choice.seconds if choice else 0.0,
        embed_seconds=round(embed_seconds, 2),
        documents_per_second=round(report.added / seconds, 1),
        retrieval=stats.label,
    )
