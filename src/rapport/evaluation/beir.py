"""BEIR folders and the standard retrieval metrics used to judge rankings on them.

A BEIR folder holds `corpus.jsonl` (`_id`, `title`, `text`), `queries.jsonl` (`_id`, `text`)
and `qrels/<split>.tsv` (query id, corpus id, grade; the header row is optional, and TREC's
four-column `qid Q0 docid grade` also reads). Only queries with at least one positive
judgement are evaluated, as BEIR and pytrec_eval do.

Metrics, averaged over the evaluated queries:

* nDCG@10 (`metrics.ndcg_at_k`). The main figure uses the exponential gain 2^grade - 1, the
  convention that reproduces the published msmarco-5k reference numbers; the linear gain
  (grade itself, trec_eval's `ndcg_cut`) is reported next to it.
* Recall@100: share of the positively judged documents found in the top 100.
* MRR@10: reciprocal rank of the first positively judged document within the top 10.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapport.core.models import Schema
from rapport.evaluation.metrics import mrr_at_k, ndcg_at_k, recall_at_k

Qrels = dict[str, dict[str, int]]
"""Query id -> document id -> relevance grade."""


@dataclass(frozen=True)
class BeirData:
    corpus: dict[str, str]
    """Document id -> text to index (`"title. text"` when there is a title)."""
    queries: dict[str, str]
    """Query id -> text, only for queries with a positive judgement."""
    qrels: Qrels
    titles: dict[str, str] = field(default_factory=dict)
    """Document id -> title, for documents that have one."""


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_qrels(path: Path) -> Qrels:
    qrels: Qrels = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) < 3:
                continue
            try:
                grade = int(float(row[-1]))
            except ValueError:  # the optional "query-id corpus-id score" header
                continue
            qrels.setdefault(row[0], {})[row[-2]] = grade
    return qrels


def load_beir(folder: Path, split: str | None = None) -> BeirData:
    """A BEIR folder's corpus and judged queries, from `qrels/<split>.tsv`; by default the
    test judgements, or the dev ones for corpora released without a test split (MS MARCO)."""
    folder = Path(folder)
    judged = split or ("test" if (folder / "qrels/test.tsv").is_file() else "dev")
    missing = [
        name
        for name in ("corpus.jsonl", "queries.jsonl", f"qrels/{judged}.tsv")
        if not (folder / name).is_file()
    ]
    if missing:
        wanted = ", ".join(missing)
        if split is None:
            wanted = wanted.replace("qrels/dev.tsv", "qrels/test.tsv (or dev.tsv)")
        raise FileNotFoundError(f"{folder} is not a BEIR folder: missing {wanted}")
    corpus, titles = {}, {}
    for doc in _read_jsonl(folder / "corpus.jsonl"):
        title = (doc.get("title") or "").strip()
        text = (doc.get("text") or "").strip()
        corpus[str(doc["_id"])] = f"{title}. {text}" if title else text
        if title:
            titles[str(doc["_id"])] = title
    qrels = load_qrels(folder / "qrels" / f"{judged}.tsv")
    queries = {
        str(q["_id"]): str(q["text"])
        for q in _read_jsonl(folder / "queries.jsonl")
        if any(grade > 0 for grade in qrels.get(str(q["_id"]), {}).values())
    }
    return BeirData(corpus=corpus, queries=queries, qrels=qrels, titles=titles)


class RetrievalMetrics(Schema):
    """Mean metrics over the judged queries of a run."""

    ndcg_at_10: float
    """nDCG@10 with exponential gain 2^grade - 1."""
    ndcg_at_10_linear: float
    """nDCG@10 with linear gain (trec_eval)."""
    recall_at_100: float
    mrr_at_10: float
    queries: int
    """How many queries were evaluated."""


def per_query(run: Mapping[str, Sequence[str]], qrels: Qrels) -> dict[str, RetrievalMetrics]:
    """Metrics of each judged query in `run` (query id -> document ids, best first)."""
    out = {}
    for qid, ranked in run.items():
        grades = qrels.get(qid, {})
        if not any(g > 0 for g in grades.values()):
            continue
        ranked = list(ranked)
        out[qid] = RetrievalMetrics(
            ndcg_at_10=ndcg_at_k(ranked, grades, 10, "exp"),
            ndcg_at_10_linear=ndcg_at_k(ranked, grades, 10, "linear"),
            recall_at_100=recall_at_k(ranked, grades, 100),
            mrr_at_10=mrr_at_k(ranked, grades, 10),
            queries=1,
        )
    return out


def evaluate_run(run: Mapping[str, Sequence[str]], qrels: Qrels) -> RetrievalMetrics:
    """Mean metrics over the judged queries of `run`."""
    rows = list(per_query(run, qrels).values())
    n = max(len(rows), 1)
    return RetrievalMetrics(
        ndcg_at_10=sum(r.ndcg_at_10 for r in rows) / n,
        ndcg_at_10_linear=sum(r.ndcg_at_10_linear for r in rows) / n,
        recall_at_100=sum(r.recall_at_100 for r in rows) / n,
        mrr_at_10=sum(r.mrr_at_10 for r in rows) / n,
        queries=len(rows),
    )
