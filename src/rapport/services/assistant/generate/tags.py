"""Auto-tagging: 3-5 labels from the tenant's vocabulary and the text's key phrases.

Key phrases are found the KeyBERT way with the engine's own embedder: candidate phrases are
runs of 1-3 content words, ranked by similarity to the whole text with maximal marginal
relevance so they do not repeat each other. Labels are ranked by the text's and the key
phrases' similarity to each label, with a bonus when the label is written in the text. With
a language model, it picks from the best-ranked labels; anything outside the vocabulary is
dropped and the ranking fills the gaps."""

from __future__ import annotations

import re
from collections import Counter, OrderedDict

import numpy as np
from bm25s.stopwords import STOPWORDS_EN
from pydantic import BaseModel, Field

from rapport.core.llm import LLMGateway
from rapport.core.vectors.embedder import Embedder, normalise
from rapport.services.assistant.generate.llm import ask

MIN_TAGS, MAX_TAGS, MAX_PHRASES = 3, 5, 5
STOPWORDS = frozenset(STOPWORDS_EN) | frozenset(
    """a about above after again all also am an any are aren as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    get got had has have having he her here hers herself him himself his how i if in into is it
    its itself just let me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves really today yesterday tomorrow new one two many much get gets make made us via
    im ive its it's i'm i've we're we've you're don't can't won't along around across against
    among behind beyond near since upon within without toward towards amazing incredible great
    good nice awesome completed complete finished finish passed earned won achieved reached
    started launched became proud happy excited""".split()  # noqa: SIM905
)
WORD = re.compile(r"[^\W_][\w'\u2019-]*", re.UNICODE)
BREAK = re.compile(r"[.,;:!?()\[\]{}\"\u201c\u201d/|\n]+")
LABEL_FLOOR = 0.3
"""Least score for a label (MiniLM cosine mix, +0.2 when written in the text): measured on
texts about one topic, related labels score 0.3-0.9 and unrelated ones 0.1-0.25."""
LABEL_CACHE = 16  # tenants' label vectors kept in memory


class _LLMTags(BaseModel):
    tags: list[str] = Field(default_factory=list, max_length=8)
    key_phrases: list[str] = Field(default_factory=list, max_length=8)


def candidate_phrases(text: str, limit: int = 60) -> list[str]:
    """Runs of 1-3 content words, most frequent first (ties in text order)."""
    counts: Counter[str] = Counter()
    for part in BREAK.split(text):
        run: list[str] = []
        for word in [*WORD.findall(part), ""]:
            lowered = word.lower()
            if word and lowered not in STOPWORDS and not lowered.isdigit() and len(word) > 1:
                run.append(lowered)
                continue
            for n in (1, 2, 3):
                for i in range(len(run) - n + 1):
                    counts[" ".join(run[i : i + n])] += 1
            run = []
    return [phrase for phrase, _ in counts.most_common(limit)]


def mmr(doc: np.ndarray, candidates: np.ndarray, k: int, diversity: float = 0.5) -> list[int]:
    """Indices of `k` candidates relevant to `doc` and different from each other."""
    relevance = candidates @ doc
    chosen: list[int] = []
    rest = list(range(len(candidates)))
    while rest and len(chosen) < k:
        if chosen:
            redundancy = (candidates[rest] @ candidates[chosen].T).max(axis=1)
            scores = (1 - diversity) * relevance[rest] - diversity * redundancy
        else:
            scores = relevance[rest]
        best = rest[int(np.argmax(scores))]
        chosen.append(best)
        rest.remove(best)
    return chosen


class Tagger:
    """Tags texts with the tenant's labels; label vectors are cached per vocabulary."""

    def __init__(self, embedder: Embedder, gateway: LLMGateway) -> None:
        self.embedder = embedder
        self.gateway = gateway
        self._labels: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()

    def key_phrases(
        self, text: str, k: int = MAX_PHRASES
    ) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The `k` key phrases, their vectors (rows aligned) and the text's vector, from one
        call to the embedder."""
        phrases = candidate_phrases(text)
        vectors = normalise(self.embedder.embed([text, *phrases]))
        doc, rows = vectors[0], vectors[1:]
        picked = mmr(doc, rows, k) if phrases else []
        return [phrases[i] for i in picked], rows[picked], doc

    def _label_vectors(self, vocabulary: list[str]) -> np.ndarray:
        key = tuple(vocabulary)
        if key not in self._labels:
            self._labels[key] = normalise(self.embedder.embed([_spoken(v) for v in vocabulary]))
            while len(self._labels) > LABEL_CACHE:
                self._labels.popitem(last=False)
        self._labels.move_to_end(key)
        return self._labels[key]

    def rank_labels(
        self, text: str, vocabulary: list[str], doc: np.ndarray, phrase_vectors: np.ndarray
    ) -> list[tuple[str, float]]:
        """Every label with its score, best first (`doc` is the text's vector)."""
        if not vocabulary:
            return []
        labels = self._label_vectors(vocabulary)
        score = labels @ doc
        if len(phrase_vectors):
            score = 0.5 * score + 0.5 * (labels @ phrase_vectors.T).max(axis=1)
        lowered = _spoken(text).lower()
        written = np.array(
            [
                bool(re.search(rf"(?<!\w){re.escape(_spoken(label).lower())}(?!\w)", lowered))
                for label in vocabulary
            ]
        )
        score = score + 0.2 * written
        order = np.argsort(-score, kind="stable")
        return [(vocabulary[i], float(score[i])) for i in order]

    def tag(self, text: str, vocabulary: list[str]) -> tuple[list[str], list[str], str]:
        """(tags, key phrases, model): `model` is empty when no language model chose."""
        phrases, phrase_vectors, doc = self.key_phrases(text)
        ranked = self.rank_labels(text, vocabulary, doc, phrase_vectors)
        chosen = _by_score(ranked)
        model = ""
        shortlist = [label for label, _ in ranked[:40]]
        reply, model = ask(
            self.gateway,
            "Choose 3 to 5 tags for the text from `labels` (copy them exactly) and up to 5 "
            "short key phrases that appear in the text.",
            {"text": text[:4000], "labels": shortlist},
            _LLMTags,
            temperature=0.0,
            max_tokens=300,
        )
        if reply is not None:
            canonical = {label.lower(): label for label in shortlist}
            picked = [
                canonical[t.strip().lower()] for t in reply.tags if t.strip().lower() in canonical
            ]
            picked = list(dict.fromkeys(picked))[:MAX_TAGS]
            if picked:
                fill = [label for label in chosen if label not in picked]
                chosen = [*picked, *fill[: max(0, MIN_TAGS - len(picked))]]
            else:
                model = ""
            found = [
                p.strip()
                for p in reply.key_phrases
                if p.strip() and p.strip().lower() in text.lower()
            ]
            if found:
                phrases = list(dict.fromkeys([*found, *phrases]))[:MAX_PHRASES]
        return with_phrases(chosen, phrases), phrases, model


def _spoken(label: str) -> str:
    """Slug labels as words ("data-science" -> "data science") for embedding and matching."""
    return re.sub(r"[-_]+", " ", label)


def _by_score(ranked: list[tuple[str, float]]) -> list[str]:
    """Up to 5 labels that clear the relevance floor (none when nothing does: an unrelated
    label is worse than a key phrase)."""
    return [label for label, score in ranked[:MAX_TAGS] if score >= LABEL_FLOOR]


def with_phrases(tags: list[str], phrases: list[str]) -> list[str]:
    """Tags filled up to 3 with key phrases that do not repeat them."""
    taken = {t.lower() for t in tags}
    fill = [p for p in phrases if p.lower() not in taken]
    return [*tags, *fill[: max(0, MIN_TAGS - len(tags))]]
