"""Training the crisis classifier on forum posts labelled by forum, plus short first-person
statements and their negated rewrites; thresholds are chosen on out-of-fold scores.

Deterministic: folds come from a seeded permutation, the fit has no random start.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rapport.services.safety.crisis import rules
from rapport.services.safety.crisis.classifier import CrisisClassifier, Fusion, fuse
from rapport.services.safety.crisis.logistic import fit_logistic
from rapport.services.safety.crisis.screen import DEFAULT_THRESHOLDS, EXPLICIT, risk_score
from rapport.services.safety.crisis.words import fit_words

FORUM_CLASSES = {
    "suicidewatch": 1,
    "EDAnonymous": 2,
    "addiction": 3,
    "alcoholism": 3,
    **dict.fromkeys(
        (
            "depression",
            "bpd",
            "bipolarreddit",
            "schizophrenia",
            "ptsd",
            "anxiety",
            "mentalhealth",
            "lonely",
            "ForeverAlone",
            "healthanxiety",
            "socialanxiety",
        ),
        4,
    ),
}
"""Forum -> class index (see `classifier.CLASSES`); every other forum is class 0 (none)."""
CRISIS_FORUM = "suicidewatch"
BACKGROUND = "background"
"""Forum name of the varied non-crisis texts (web passages on every topic) given as extra
negatives: they always train and are never scored, so no fold choice sees them."""

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Post:
    id: str
    text: str
    forum: str


@dataclass(frozen=True)
class Pair:
    """A first-person crisis statement and a rewrite that is not one (negated, reported,
    quoted or past)."""

    id: str
    kind: str
    statement: str
    rewrite: str
    held_out: bool


def load_posts(path: Path) -> list[Post]:
    """`{"id", "text", "subreddit"}` lines."""
    with path.open() as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [Post(str(r["id"]), str(r["text"]), str(r["subreddit"])) for r in rows]


def load_pairs(path: Path) -> list[Pair]:
    """`{"id", "kind", "statement", "rewrite", "split"}` lines."""
    with path.open() as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [
        Pair(r["id"], r["kind"], r["statement"], r["rewrite"], r["split"] == "held_out")
        for r in rows
    ]


def load_background(path: Path) -> list[str]:
    """Texts of a JSONL file with a `text` field per line (a BEIR `corpus.jsonl` such as
    msmarco-5k), in file order."""
    with path.open() as handle:
        return [str(json.loads(line)["text"]) for line in handle if line.strip()]


def folds_by_post(forums: Sequence[str], folds: int, seed: int = 0) -> np.ndarray:
    """A fold number per post, stratified by forum."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(forums), dtype=np.int64)
    names = np.array(forums)
    for forum in sorted(set(forums)):
        index = np.flatnonzero(names == forum)
        out[index[rng.permutation(len(index))]] = np.arange(len(index)) % folds
    return out


def folds_by_forum(forums: Sequence[str], folds: int, seed: int = 0) -> np.ndarray:
    """A fold number per post: every forum but the crisis forum falls whole into one fold
    (so a fold's scores are those of forums never trained on), the crisis forum's posts
    are spread over the folds."""
    by_post = folds_by_post(forums, folds, seed)
    others = sorted(set(forums) - {CRISIS_FORUM})
    order = np.random.default_rng(seed).permutation(len(others))
    forum_fold = {others[j]: i % folds for i, j in enumerate(order)}
    return np.array(
        [by_post[i] if f == CRISIS_FORUM else forum_fold[f] for i, f in enumerate(forums)]
    )


def kept_texts(texts: Sequence[str]) -> tuple[list[str], list[bool]]:
    """What the rules keep of each text, and whether it holds an explicit statement."""
    readings = [rules.read(text) for text in texts]
    return [r.kept for r in readings], [r.explicit for r in readings]


def embed_kept(embed: Embed, kept: Sequence[str], dim: int) -> np.ndarray:
    """Vectors of the kept texts (zeros for empty ones, which are never scored)."""
    out = np.zeros((len(kept), dim), dtype=np.float32)
    todo = [i for i, text in enumerate(kept) if text.strip()]
    if todo:
        out[todo] = embed([kept[i] for i in todo])
    return out


@dataclass
class TrainingSet:
    vectors: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    explicit: np.ndarray
    empty: np.ndarray
    forum: list[str]
    """Forum of each row; `statement` / `rewrite` for the pairs."""
    kept: list[str] = field(default_factory=list)
    """What the rules kept of each row's text (the word view reads it)."""


def training_set(
    posts: Sequence[Post],
    pairs: Sequence[Pair],
    embed: Embed,
    dim: int,
    pair_weight: float,
    background: Sequence[str] = (),
    background_share: float = 0.0,
) -> TrainingSet:
    """Forum posts labelled by forum, the training pairs (statements as crisis, rewrites as
    none) and `background` texts as none. Forum posts are weighted so their classes count
    alike; the background together weighs `background_share` times the none-class forum
    posts, so it widens what "none" covers without drowning the forums."""
    texts = [p.text for p in posts]
    labels = [FORUM_CLASSES.get(p.forum, 0) for p in posts]
    forum = [p.forum for p in posts]
    for pair in pairs:
        if not pair.held_out:
            texts += [pair.statement, pair.rewrite]
            labels += [1, 0]
            forum += ["statement", "rewrite"]
    texts += list(background)
    labels += [0] * len(background)
    forum += [BACKGROUND] * len(background)
    kept, explicit = kept_texts(texts)
    y = np.array(labels)
    is_pair = np.isin(forum, ["statement", "rewrite"])
    is_post = np.arange(len(y)) < len(posts)
    weights = np.zeros(len(y))
    weights[: len(posts)] = forum_balanced(labels[: len(posts)], forum[: len(posts)])
    weights[is_pair] = pair_weight
    if background:
        none_weight = float(weights[is_post & (y == 0)].sum())
        weights[len(texts) - len(background) :] = background_share * none_weight / len(background)
    return TrainingSet(
        embed_kept(embed, kept, dim),
        y,
        weights,
        np.array(explicit),
        np.array([not k.strip() for k in kept]),
        forum,
        kept,
    )


def forum_balanced(labels: Sequence[int], forums: Sequence[str]) -> np.ndarray:
    """Row weights under which every class weighs the same in total and, within a class,
    every forum does: a forum with many posts does not decide alone what its class looks
    like (on crisis-dev, 130 posts a forum, this equals plain class balancing)."""
    y = np.asarray(labels)
    names = np.asarray(forums)
    pairs = list(zip(y.tolist(), names.tolist(), strict=True))
    per_forum = Counter(pairs)
    forums_in_class = Counter(label for label, _ in per_forum)
    return np.array(
        [len(y) / (5 * forums_in_class[label] * per_forum[label, name]) for label, name in pairs],
        dtype=np.float64,
    )


def risk_scores(
    classifier_proba: np.ndarray, explicit: np.ndarray, empty: np.ndarray, distress: float = 0.5
) -> np.ndarray:
    """The screen's risk score: zero for empty kept text,
    raised to `EXPLICIT` by explicit statements."""
    risk = np.where(empty, 0.0, risk_score(classifier_proba, distress))
    return np.where(explicit, np.maximum(risk, EXPLICIT), risk)


def out_of_fold(data: TrainingSet, fold: np.ndarray, folds: int, l2: float) -> np.ndarray:
    """Class probabilities of the rows with a fold number, each from a model fitted on the
    other folds (rows with fold -1, the pairs, always train)."""
    rows = np.flatnonzero(fold >= 0)
    oof = np.zeros((len(rows), 5))
    for k in range(folds):
        train = fold != k
        model = fit_logistic(
            data.vectors[train], data.labels[train], 5, l2=l2, sample_weight=data.weights[train]
        )
        test = fold[rows] == k
        oof[test] = model.proba(data.vectors[rows[test]])
    return oof


def out_of_fold_words(data: TrainingSet, fold: np.ndarray, folds: int, l2: float) -> np.ndarray:
    """`out_of_fold` for the word view: vocabulary, idf and weights come from the training
    folds only, so words seen only in a held-out forum are unknown to the model that scores
    it."""
    rows = np.flatnonzero(fold >= 0)
    oof = np.zeros((len(rows), 5))
    for k in range(folds):
        train = np.flatnonzero(fold != k)
        model = fit_words(
            [data.kept[i] for i in train],
            data.labels[train],
            5,
            l2=l2,
            sample_weight=data.weights[train],
        )
        test = rows[fold[rows] == k]
        oof[fold[rows] == k] = model.proba([data.kept[i] for i in test])
    return oof


@dataclass(frozen=True)
class Choice:
    l2: float
    distress: float
    threshold: float
    """Risk at which `recall` of the crisis forum's out-of-fold posts are flagged."""
    flagged: float
    """Share of out-of-fold posts of class-none forums flagged at that threshold."""
    words_l2: float | None = None
    """Regularisation of the word view, when it is fused in."""


def choose(
    oof: np.ndarray,
    data: TrainingSet,
    posts: Sequence[Post],
    l2: float,
    distress_grid: Sequence[float],
    recall: float,
    none_rate: float | None = None,
    words_l2: float | None = None,
) -> list[Choice]:
    """For each distress weight: the threshold reaching `recall` on the crisis forum and the
    share of none-class forum posts it flags. With `none_rate`, the threshold is raised where
    needed so that at most that share of the none-class posts is flagged (`flagged` still
    tells the share at the recall point, which ranks the settings)."""
    n = len(posts)
    crisis_rows = np.array([p.forum == CRISIS_FORUM for p in posts])
    none_rows = data.labels[:n] == 0
    out = []
    for distress in distress_grid:
        risk = risk_scores(oof, data.explicit[:n], data.empty[:n], distress)
        threshold = float(np.quantile(risk[crisis_rows], 1.0 - recall))
        flagged = float((risk[none_rows] >= threshold).mean())
        if none_rate is not None:
            threshold = max(threshold, float(np.quantile(risk[none_rows], 1.0 - none_rate)))
        out.append(Choice(l2, distress, threshold, flagged, words_l2))
    return out


def train_classifier(
    posts: Sequence[Post],
    pairs: Sequence[Pair],
    embed: Embed,
    embedder_name: str,
    dim: int,
    *,
    l2_grid: Sequence[float] = (3.0, 10.0, 30.0),
    distress_grid: Sequence[float] = (0.0, 0.25, 0.5, 0.75),
    pair_weight: float = 3.0,
    recall: float = 0.97,
    folds: int = 4,
    background: Sequence[str] = (),
    background_share: float = 0.5,
    none_rate: float | None = None,
    words: Fusion | None = None,
    words_l2_grid: Sequence[float] = (1.0, 3.0, 10.0),
) -> CrisisClassifier:
    """Fit on everything given. The regularisation, the weight of other distress in the risk
    and the crisis threshold are chosen on out-of-fold scores with whole forums held out
    (`folds_by_forum`): the threshold flags `recall` of the crisis forum's posts, and the
    setting that flags the fewest posts of forums never trained on wins (first on ties).
    `background` texts (varied non-crisis passages) train as none in every fold. With
    `words`, a word view is fitted in the same folds and fused by that rule (`fuse`); its
    regularisation is chosen together with the rest."""
    data = training_set(posts, pairs, embed, dim, pair_weight, background, background_share)
    fold = np.concatenate(
        [
            folds_by_forum([p.forum for p in posts], folds),
            np.full(len(data.labels) - len(posts), -1),
        ]
    )
    word_oof = {w: out_of_fold_words(data, fold, folds, w) for w in words_l2_grid} if words else {}
    choices: list[Choice] = []
    for l2 in l2_grid:
        oof = out_of_fold(data, fold, folds, l2)
        if words is None:
            choices += choose(oof, data, posts, l2, distress_grid, recall, none_rate)
        for w, other in word_oof.items():
            fused = fuse(oof, other, words or "mean")
            choices += choose(fused, data, posts, l2, distress_grid, recall, none_rate, w)
    best = min(choices, key=lambda c: c.flagged)
    model = fit_logistic(data.vectors, data.labels, 5, l2=best.l2, sample_weight=data.weights)
    word_model = None
    if words is not None and best.words_l2 is not None:
        word_model = fit_words(
            data.kept, data.labels, 5, l2=best.words_l2, sample_weight=data.weights
        )
    thresholds = {
        **DEFAULT_THRESHOLDS,
        "crisis": round(min(best.threshold, 0.5), 4),
        "distress": best.distress,
    }
    info = {
        "posts": len(posts),
        "pairs": sum(not p.held_out for p in pairs),
        "l2": best.l2,
        "pair_weight": pair_weight,
        "recall_target": recall,
        "folds": folds,
        "folds_by": "forum",
        "none_forums_flagged_out_of_fold": round(best.flagged, 4),
        "background": len(background),
        "background_share": background_share if background else 0.0,
    }
    if word_model is not None:
        info |= {"words_l2": best.words_l2, "words_terms": len(word_model.vectorizer.idf_)}
    return CrisisClassifier(model, embedder_name, thresholds, info, word_model, words or "mean")
