"""Benchmark corpora built from the shared data, where BM25 is weak, written as BEIR folders
(`rapport bench variants`), so `rapport bench retrieval` and `rapport kb add` read them like
any other corpus. Nothing here is used by the product.

* `msmarco-5k-paraphrased`: msmarco-5k's passages and judgements, each query reworded so it
  shares few words with its answers: every content word (rarer than 2% of passages) is
  replaced by a word of the corpus vocabulary that MiniLM places near it and that has another
  Snowball stem and another four-letter prefix, choosing among the 8 nearest the one that keeps
  the whole query's vector closest to the original's. Deterministic; no language model.
* `reddit-forums`: the crisis-dev posts as the corpus, one query per forum, its name written
  out as words ("personal finance", "eating disorders"), and every post of that forum
  relevant. Short title-like queries against documents that rarely name their topic: an
  entity-search-like task where BM25 has few words to match.
"""

from __future__ import annotations

import collections
import json
import re
import shutil
from pathlib import Path

import numpy as np
import Stemmer

from rapport.bench.datasets import require_dir
from rapport.bench.progress import Bars, no_bars
from rapport.core.models import Schema
from rapport.core.vectors.embedder import Embedder
from rapport.evaluation.beir import load_beir

WORD = re.compile(r"[a-z0-9]+")
CONTENT_SHARE = 0.02
"""Words in at least this share of passages count as function words and stay."""
NEIGHBOURS = 8
"""Replacement candidates per word, the nearest by MiniLM among admissible corpus words."""

FORUM_QUERIES = {
    "EDAnonymous": "eating disorders",
    "ForeverAlone": "forever alone",
    "UKPersonalFinance": "UK personal finance",
    "addiction": "addiction",
    "adhd": "ADHD",
    "alcoholism": "alcoholism",
    "anxiety": "anxiety",
    "autism": "autism",
    "bipolarreddit": "bipolar disorder",
    "bpd": "borderline personality disorder",
    "conspiracy": "conspiracy theories",
    "depression": "depression",
    "divorce": "divorce",
    "guns": "guns",
    "healthanxiety": "health anxiety",
    "legaladvice": "legal advice",
    "lonely": "loneliness",
    "mentalhealth": "mental health",
    "mindfulness": "mindfulness",
    "personalfinance": "personal finance",
    "ptsd": "PTSD",
    "schizophrenia": "schizophrenia",
    "socialanxiety": "social anxiety",
    "suicidewatch": "suicide watch",
    "teaching": "teaching",
    "ukpolitics": "UK politics",
    "unitedkingdom": "United Kingdom",
}
"""Each forum's name written out as words: the query for its posts."""


class Variant(Schema):
    name: str
    """Folder name of the variant."""
    folder: Path
    """Where it was written."""
    documents: int
    queries: int
    examples: list[tuple[str, str]]
    """A few queries before and after (paraphrases only)."""


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def paraphrase_queries(msmarco: Path, out: Path, embedder: Embedder) -> Variant:
    """Write `out/msmarco-5k-paraphrased` (see the module docstring)."""
    data = load_beir(msmarco)
    stem = Stemmer.Stemmer("english").stemWord
    frequency: collections.Counter[str] = collections.Counter()
    for text in data.corpus.values():
        frequency.update(set(WORD.findall(text.lower())))
    limit = CONTENT_SHARE * len(data.corpus)
    vocabulary = sorted(
        w for w, n in frequency.items() if n >= 2 and len(w) >= 3 and n < limit and w.isalpha()
    )
    vectors = embedder.embed(vocabulary)
    stems = [stem(word) for word in vocabulary]
    rewritten: dict[str, str] = {}
    for qid, query in data.queries.items():
        target = embedder.embed([query])[0]
        words = WORD.findall(query.lower())
        for position, word in enumerate(list(words)):
            if len(word) < 3 or not 0 < frequency[word] < limit:
                continue  # function words and words the corpus lacks stay
            nearest = np.argsort(-(vectors @ embedder.embed([word])[0]), kind="stable")
            options = [
                vocabulary[i]
                for i in nearest[:200]
                if stems[i] != stem(word)
                and vocabulary[i][:4] != word[:4]
                and word not in vocabulary[i]
                and vocabulary[i] not in word
            ][:NEIGHBOURS]
            if not options:
                continue
            trials = [" ".join([*words[:position], o, *words[position + 1 :]]) for o in options]
            words[position] = options[int(np.argmax(embedder.embed(trials) @ target))]
        rewritten[qid] = " ".join(words)
    folder = out / "msmarco-5k-paraphrased"
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(msmarco / "corpus.jsonl", folder / "corpus.jsonl")
    shutil.copyfile(msmarco / "qrels" / "test.tsv", folder / "qrels" / "test.tsv")
    _write_jsonl(folder / "queries.jsonl", [{"_id": q, "text": t} for q, t in rewritten.items()])
    examples = [(data.queries[q], rewritten[q]) for q in list(rewritten)[:5]]
    return Variant(
        name=folder.name,
        folder=folder,
        documents=len(data.corpus),
        queries=len(rewritten),
        examples=examples,
    )


def forum_topics(crisis: Path, out: Path) -> Variant:
    """Write `out/reddit-forums` (see the module docstring)."""
    require_dir(crisis, ["reddit27-dev.jsonl"])
    with (crisis / "reddit27-dev.jsonl").open(encoding="utf-8") as handle:
        posts = [json.loads(line) for line in handle if line.strip()]
    folder = out / "reddit-forums"
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    _write_jsonl(
        folder / "corpus.jsonl", [{"_id": p["id"], "title": "", "text": p["text"]} for p in posts]
    )
    forums = sorted({p["subreddit"] for p in posts})
    unknown = [f for f in forums if f not in FORUM_QUERIES]
    if unknown:
        raise ValueError(f"no query written for forum(s) {', '.join(unknown)}")
    _write_jsonl(folder / "queries.jsonl", [{"_id": f, "text": FORUM_QUERIES[f]} for f in forums])
    lines = [f"{p['subreddit']}\t{p['id']}\t1" for p in posts]
    (folder / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Variant(
        name=folder.name, folder=folder, documents=len(posts), queries=len(forums), examples=[]
    )


def build_variants(msmarco: Path, crisis: Path, out: Path, bars: Bars = no_bars) -> list[Variant]:
    """Both variants; the paraphrases use MiniLM on torch, the reference back end."""
    from rapport.core.vectors.local import SentenceTransformerEmbedder

    with bars("paraphrase queries", None):
        paraphrased = paraphrase_queries(msmarco, out, SentenceTransformerEmbedder())
    return [paraphrased, forum_topics(crisis, out)]
