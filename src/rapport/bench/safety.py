"""`rapport bench safety`: the crisis screen against a keyword list and MiniLM + logistic
regression, on forum posts held out by post and by whole forum, and on first-person
statements versus rewrites that are not crises (negated, reported, quoted, past).

Forum numbers: recall on the suicide-support forum, and the share flagged among unrelated
forums (finance, politics, teaching, law). Every method is trained on the same training
part of each split; the statement pairs' held-out part is never trained on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rapport.bench.progress import Bars, no_bars
from rapport.bench.retrieval import cached_vectors, default_cache_dir
from rapport.core.config import Settings
from rapport.core.models import Schema
from rapport.core.vectors.embedder import Embedder
from rapport.core.vectors.registry import make_embedder
from rapport.services.safety.crisis.classifier import WEIGHTS, Fusion
from rapport.services.safety.crisis.logistic import fit_logistic
from rapport.services.safety.crisis.screen import CrisisScreen
from rapport.services.safety.crisis.train import (
    CRISIS_FORUM,
    Pair,
    Post,
    folds_by_post,
    kept_texts,
    load_background,
    load_pairs,
    load_posts,
    train_classifier,
)

STATEMENTS = Path(__file__).with_name("data") / "crisis_statements.jsonl"
PROBES = Path(__file__).with_name("data") / "crisis_probes.jsonl"
"""Newer single sentences (statements; negated, reported, quoted, past, hypothetical,
lyrics, idiom), written before any was scored: `dev` guides changes, `held_out` is read
once per round (docs/safety.md)."""
DEFAULT_FORUMS = Path("../shared/data/crisis-dev/reddit27-dev.jsonl")
UNRELATED = ("personalfinance", "UKPersonalFinance", "ukpolitics", "teaching", "legaladvice")
"""Forums where nothing should be flagged (finance, politics, teaching, law)."""
OTHER_UNRELATED = ("unitedkingdom", "guns", "conspiracy", "divorce")
"""Other forums outside mental health, reported apart (divorce and guns touch on violence
and death)."""
FORUM_FOLDS = 4
METHODS = ("rapport", "peer: keyword list", "peer: MiniLM + logistic regression")

KEYWORDS = re.compile(
    r"\b(?:suicide|suicidal|kill myself|end my life|take my life|want to die|wanna die|"
    r"self[- ]harm|cut myself|cutting myself|overdose|hang myself|better off dead|"
    r"end it all|no reason to live|don't want to live|dont want to live)\b",
    re.IGNORECASE,
)
"""The keyword-list peer: the phrases such lists use."""


class ForumRow(Schema):
    method: str
    split: str
    """`by post` (half of each forum held out) or `by forum` (whole forums held out); with
    several splits, `by post, split 2` ... and `by post, mean of 3 splits`."""
    recall: float
    """Share of the suicide forum's held-out posts flagged."""
    unrelated_flagged: float
    """Share of held-out posts of finance, politics, teaching and law forums flagged."""
    other_flagged: float
    """Share flagged on the other non-mental-health forums (unitedkingdom, guns,
    conspiracy, divorce)."""
    support_flagged: float
    """Share flagged on the other mental-health support forums (hard cases)."""
    posts: int
    """Held-out posts scored."""


class StatementRow(Schema):
    method: str
    part: str
    """`held out` (never trained on) or `all`."""
    recall: float
    """Share of first-person crisis statements flagged."""
    rewrites_flagged: float
    """Share of rewrites flagged (negated, reported, quoted, past)."""
    by_kind: dict[str, float]
    """Rewrites flagged per kind."""
    pairs: int


class SafetyBench(Schema):
    forums: list[ForumRow]
    statements: list[StatementRow]
    probes: list[StatementRow]
    """The newer probe sentences: `recall` on their crisis statements, `rewrites_flagged`
    on all the others, `by_kind` per kind."""
    posts: int
    pairs: int
    background: int = 0
    """Background (non-crisis web) passages every rapport model trained on as none."""
    words: Fusion | None = None
    """How a word view was fused into every rapport model (none by default)."""
    thresholds: dict[str, float]
    """Thresholds of the shipped weights (trained on all posts)."""
    ms_per_message: float
    """Median time of one `screen` call on one short message with the shipped weights and
    the configured embedder (rules, embedding, classifier)."""
    seconds: float


class KeywordPeer:
    def flags(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([bool(KEYWORDS.search(t)) for t in texts])


class LogisticPeer:
    """MiniLM vectors of the raw text, binary logistic regression (suicide forum against
    every other), flagged at probability 0.5."""

    def __init__(self, vectors: np.ndarray, posts: Sequence[Post]) -> None:
        labels = np.array([p.forum == CRISIS_FORUM for p in posts], dtype=np.int64)
        self.model = fit_logistic(vectors, labels, 2, l2=1.0)

    def flags(self, vectors: np.ndarray) -> np.ndarray:
        return self.model.proba(vectors)[:, 1] >= 0.5


class _Vectors:
    """Embeds each distinct text once per run; `warm` fills it from the bench's vector
    cache on disk, so repeated runs embed nothing."""

    def __init__(self, embedder: Embedder, cache_dir: Path, backend: str) -> None:
        self.embedder = embedder
        self.cache_dir = cache_dir
        self.backend = backend
        self.name = embedder.name
        self._known: dict[str, np.ndarray] = {}

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def warm(self, texts: Sequence[str]) -> None:
        unique = list(dict.fromkeys(texts))
        matrix = cached_vectors(self.embedder, self.backend, unique, self.cache_dir)
        self._known.update(zip(unique, matrix, strict=True))

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._known))
        if missing:
            self._known.update(zip(missing, self.embedder.embed(missing), strict=True))
        return np.vstack([self._known[t] for t in texts])


def _forum_row(method: str, split: str, posts: Sequence[Post], flags: np.ndarray) -> ForumRow:
    forums = np.array([p.forum for p in posts])

    def share(mask: np.ndarray) -> float:
        return round(float(flags[mask].mean()), 4) if mask.any() else float("nan")

    support = ~np.isin(forums, [CRISIS_FORUM, *UNRELATED, *OTHER_UNRELATED, "mindfulness"])
    return ForumRow(
        method=method,
        split=split,
        recall=share(forums == CRISIS_FORUM),
        unrelated_flagged=share(np.isin(forums, UNRELATED)),
        other_flagged=share(np.isin(forums, OTHER_UNRELATED)),
        support_flagged=share(support),
        posts=len(posts),
    )


def _methods(
    train: Sequence[Post],
    pairs: Sequence[Pair],
    vectors: _Vectors,
    raw: dict[str, np.ndarray],
    background: Sequence[str],
    words: Fusion | None = None,
) -> tuple[CrisisScreen, KeywordPeer, LogisticPeer]:
    classifier = train_classifier(
        train, pairs, vectors.embed, vectors.name, vectors.dim, background=background, words=words
    )
    peer = LogisticPeer(np.vstack([raw[p.id] for p in train]), train)
    return CrisisScreen(vectors, classifier), KeywordPeer(), peer


def _flags(
    methods: tuple[CrisisScreen, KeywordPeer, LogisticPeer],
    texts: Sequence[str],
    raw_vectors: np.ndarray,
) -> list[np.ndarray]:
    screen, keywords, logistic = methods
    return [
        np.array([s.crisis for s in screen.screen_many(texts)]),
        keywords.flags(texts),
        logistic.flags(raw_vectors),
    ]


def bench_safety(
    forums_file: Path = DEFAULT_FORUMS,
    statements_file: Path = STATEMENTS,
    cache_dir: Path | None = None,
    bars: Bars = no_bars,
    settings: Settings | None = None,
    background_file: Path | None = None,
    words: Fusion | None = None,
    splits: int = 1,
) -> SafetyBench:
    """`background_file`: extra non-crisis texts (JSONL, `text` field) every rapport model
    trains on as none, e.g. msmarco-5k's corpus.jsonl; read here, never shipped (MS MARCO
    terms: non-commercial research). None by default: measured in round 5, it did not lower
    the flags on unseen forums (docs/safety.md). `words`: fuse a word view into every
    rapport model (round 6; off by default). `splits`: repeat the by-post and by-forum
    measurements on that many random splits (seeds 10 apart) and add their means: one split
    moves the unseen-forum flags by about ten posts (docs/safety.md, round 6)."""
    import time

    began = time.perf_counter()
    settings = settings or Settings.load()
    cache_dir = cache_dir or default_cache_dir()
    vectors = _Vectors(make_embedder(settings), cache_dir, settings.embedding_provider)
    posts = load_posts(forums_file)
    pairs = load_pairs(statements_file)
    with bars("embed posts (raw and rule-filtered)", 2 * len(posts)) as advance:
        texts = [p.text for p in posts]
        vectors.warm(texts)
        advance(len(posts))
        vectors.warm([k for k in kept_texts(texts)[0] if k.strip()])
        advance(len(posts))
    background = load_background(background_file) if background_file else []
    if background:
        with bars("embed background passages", len(background)) as advance:
            vectors.warm([k for k in kept_texts(background)[0] if k.strip()])
            advance(len(background))
    matrix = vectors.embed(texts)
    raw = {p.id: matrix[i] for i, p in enumerate(posts)}
    forum_rows: list[ForumRow] = []
    for split in range(splits):
        label = "" if split == 0 else f", split {split + 1}"
        forum_rows += _split_rows(posts, pairs, vectors, raw, background, words, bars, split, label)
    if splits > 1:
        forum_rows += mean_rows(forum_rows, splits)

    # Statements: the methods trained on all posts (and the training pairs).
    with bars("statements", 1) as advance:
        methods = _methods(posts, pairs, vectors, raw, background, words)
        statement_rows = []
        for part, chosen in (("held out", [p for p in pairs if p.held_out]), ("all", pairs)):
            texts = [p.statement for p in chosen] + [p.rewrite for p in chosen]
            flags = _flags(methods, texts, vectors.embed(texts))
            for method, f in zip(METHODS, flags, strict=True):
                hit, rewrite = f[: len(chosen)], f[len(chosen) :]
                statement_rows.append(
                    StatementRow(
                        method=method,
                        part=part,
                        recall=round(float(hit.mean()), 4),
                        rewrites_flagged=round(float(rewrite.mean()), 4),
                        by_kind=_by_kind(chosen, rewrite),
                        pairs=len(chosen),
                    )
                )
        probe_rows = []
        probes = load_probes()
        for part in ("dev", "held_out"):
            probe_set = [p for p in probes if p["split"] == part]
            texts = [p["text"] for p in probe_set]
            flags = _flags(methods, texts, vectors.embed(texts))
            for method, f in zip(METHODS, flags, strict=True):
                probe_rows.append(_probe_row(method, part.replace("_", " "), probe_set, f))
        advance(1)
    return SafetyBench(
        forums=forum_rows,
        statements=statement_rows,
        probes=probe_rows,
        ms_per_message=_latency(settings, [p["text"] for p in probes]),
        posts=len(posts),
        pairs=len(pairs),
        background=len(background),
        words=words,
        thresholds=methods[0].thresholds,
        seconds=round(time.perf_counter() - began, 1),
    )


def _split_rows(
    posts: Sequence[Post],
    pairs: Sequence[Pair],
    vectors: _Vectors,
    raw: dict[str, np.ndarray],
    background: Sequence[str],
    words: Fusion | None,
    bars: Bars,
    split: int,
    label: str,
) -> list[ForumRow]:
    """Every method by post and by whole forum on one random split of the posts."""
    rows: list[ForumRow] = []
    # By post: half of each forum trains, the other half is scored.
    halves = folds_by_post([p.forum for p in posts], 2, seed=1 + 10 * split)
    train = [p for p, h in zip(posts, halves, strict=True) if h == 0]
    test = [p for p, h in zip(posts, halves, strict=True) if h == 1]
    with bars(f"by post{label}", 1) as advance:
        methods = _methods(train, pairs, vectors, raw, background, words)
        flags = _flags(methods, [p.text for p in test], np.vstack([raw[p.id] for p in test]))
        rows += [
            _forum_row(m, f"by post{label}", test, f) for m, f in zip(METHODS, flags, strict=True)
        ]
        advance(1)

    # By forum: every forum but the suicide forum is held out whole in one of four folds
    # (the suicide forum's posts are split by post, as it is the class to find).
    others = sorted({p.forum for p in posts} - {CRISIS_FORUM})
    forum_fold = {forum: i % FORUM_FOLDS for i, forum in enumerate(others)}
    crisis_fold = folds_by_post([p.forum for p in posts], FORUM_FOLDS, seed=2 + 10 * split)
    fold = [
        crisis_fold[i] if p.forum == CRISIS_FORUM else forum_fold[p.forum]
        for i, p in enumerate(posts)
    ]
    pooled: list[list[np.ndarray]] = [[] for _ in METHODS]
    order: list[Post] = []
    with bars(f"by forum{label}", FORUM_FOLDS) as advance:
        for k in range(FORUM_FOLDS):
            train = [p for p, f in zip(posts, fold, strict=True) if f != k]
            test = [p for p, f in zip(posts, fold, strict=True) if f == k]
            methods = _methods(train, pairs, vectors, raw, background, words)
            flags = _flags(methods, [p.text for p in test], np.vstack([raw[p.id] for p in test]))
            for i, f in enumerate(flags):
                pooled[i].append(f)
            order += test
            advance(1)
    rows += [
        _forum_row(m, f"by forum{label}", order, np.concatenate(pooled[i]))
        for i, m in enumerate(METHODS)
    ]
    return rows


def mean_rows(rows: Sequence[ForumRow], splits: int) -> list[ForumRow]:
    """Per kind of split and method, the mean over the splits' rows."""

    def mean(values: list[float]) -> float:
        return round(float(np.mean(values)), 4)

    means = []
    for kind in ("by post", "by forum"):
        for method in dict.fromkeys(r.method for r in rows):
            chosen = [r for r in rows if r.method == method and r.split.startswith(kind)]
            if not chosen:
                continue
            means.append(
                ForumRow(
                    method=method,
                    split=f"{kind}, mean of {splits} splits",
                    recall=mean([r.recall for r in chosen]),
                    unrelated_flagged=mean([r.unrelated_flagged for r in chosen]),
                    other_flagged=mean([r.other_flagged for r in chosen]),
                    support_flagged=mean([r.support_flagged for r in chosen]),
                    posts=chosen[0].posts,
                )
            )
    return means


def load_probes(path: Path = PROBES) -> list[dict[str, Any]]:
    """`{"id", "kind", "text", "crisis", "split"}` lines."""
    with path.open() as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _probe_row(
    method: str, part: str, probes: Sequence[dict[str, Any]], flags: np.ndarray
) -> StatementRow:
    crisis = np.array([bool(p["crisis"]) for p in probes])
    kinds = sorted({p["kind"] for p in probes if not p["crisis"]})
    return StatementRow(
        method=method,
        part=part,
        recall=round(float(flags[crisis].mean()), 4),
        rewrites_flagged=round(float(flags[~crisis].mean()), 4),
        by_kind={
            k: round(
                float(np.mean([f for p, f in zip(probes, flags, strict=True) if p["kind"] == k])), 4
            )
            for k in kinds
        },
        pairs=len(probes),
    )


def _latency(settings: Settings, texts: Sequence[str]) -> float:
    """Median milliseconds of one `screen` call per message, as chat calls it."""
    import time

    screen = CrisisScreen(make_embedder(settings))
    screen.screen(texts[0])  # loads the model
    times = []
    for text in texts:
        began = time.perf_counter()
        screen.screen(text)
        times.append(time.perf_counter() - began)
    return round(float(np.median(times)) * 1000, 2)


def _by_kind(pairs: Sequence[Pair], flags: np.ndarray) -> dict[str, float]:
    kinds = sorted({p.kind for p in pairs})
    return {
        kind: round(
            float(np.mean([f for p, f in zip(pairs, flags, strict=True) if p.kind == kind])), 4
        )
        for kind in kinds
    }


def train_weights(
    settings: Settings,
    forums_file: Path,
    output: Path | None = None,
    background_file: Path | None = None,
    words: Fusion | None = None,
) -> Path:
    """Train on every post, the training pairs and the background passages with the
    configured embedder; write the weights (by default into the package, where the screen
    loads them)."""
    embedder = make_embedder(settings)
    classifier = train_classifier(
        load_posts(forums_file),
        load_pairs(STATEMENTS),
        embedder.embed,
        embedder.name,
        embedder.dim,
        background=load_background(background_file) if background_file else (),
        words=words,
    )
    target = output or WEIGHTS
    classifier.save(target)
    return target
