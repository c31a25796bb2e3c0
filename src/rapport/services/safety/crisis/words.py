"""The word view of the crisis classifier: tf-idf of words and word pairs, multinomial
logistic regression with the same classes and row weights as the sentence-vector view.

Meant to err differently from MiniLM, which places first-person distress about money, a
court case or pupils near crisis; measured in round 6 (docs/safety.md) it errs more, as
first-person and mood words outweigh topic words, so it is off by default. Fitted with
scikit-learn's `TfidfVectorizer`; shipped as its vocabulary, idf and coefficients in JSON,
from which the same vectorizer is rebuilt.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import softmax
from sklearn.feature_extraction.text import TfidfVectorizer

from rapport.services.safety.crisis.logistic import Logistic, fit_logistic

MAX_FEATURES = 20_000
"""Vocabulary cap: keeps the shipped file small (the most frequent terms are kept)."""
MIN_DF = 3
"""A term must occur in this many training texts: rarer ones are names and typos."""
NGRAMS = (1, 2)


def vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    """The one tf-idf setting for training and screening (sublinear tf: a word said ten
    times is not ten times the evidence)."""
    return TfidfVectorizer(
        ngram_range=NGRAMS,
        sublinear_tf=True,
        min_df=1 if vocabulary is not None else MIN_DF,
        max_features=None if vocabulary is not None else MAX_FEATURES,
        vocabulary=vocabulary,
        dtype=np.float64,
    )


@dataclass(frozen=True)
class WordModel:
    """Class probabilities from the words of a text."""

    vectorizer: TfidfVectorizer
    model: Logistic
    _analyze: Callable[[str], list[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_analyze", self.vectorizer.build_analyzer())

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """The vectorizer's own terms, weighted as its `transform` does (sublinear tf times
        idf, unit length), without its input checks: those cost milliseconds per call, far
        more than the sums, and a chat message is screened alone."""
        vocabulary: dict[str, int] = self.vectorizer.vocabulary_
        idf: np.ndarray = self.vectorizer.idf_
        logits = np.tile(self.model.bias, (len(texts), 1))
        for row, text in enumerate(texts):
            counts = Counter(t for t in self._analyze(text) if t in vocabulary)
            if not counts:
                continue
            index = np.array([vocabulary[t] for t in counts])
            values = (1.0 + np.log(np.array(list(counts.values()), dtype=np.float64))) * idf[index]
            logits[row] += self.model.weights[:, index] @ (values / np.linalg.norm(values))
        return np.asarray(softmax(logits, axis=1))

    def to_json(self) -> dict[str, Any]:
        vocabulary: dict[str, int] = self.vectorizer.vocabulary_
        terms = sorted(vocabulary, key=vocabulary.__getitem__)
        return {
            "terms": terms,
            "idf": [round(float(v), 5) for v in self.vectorizer.idf_],
            "bias": [round(float(b), 5) for b in self.model.bias],
            "weights": [[round(float(w), 4) for w in row] for row in self.model.weights],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WordModel:
        terms: list[str] = data["terms"]
        vec = vectorizer({term: i for i, term in enumerate(terms)})
        vec.idf_ = np.array(data["idf"], dtype=np.float64)
        vec.vocabulary_ = vec.vocabulary  # as `fit` would set it; `transform` then trusts it
        model = Logistic(np.array(data["weights"], dtype=np.float64), np.array(data["bias"]))
        return cls(vec, model)


def fit_words(
    texts: Sequence[str],
    labels: np.ndarray,
    classes: int,
    *,
    l2: float,
    sample_weight: np.ndarray,
) -> WordModel:
    """Vocabulary and idf from `texts` only (inside a fold: the training rows), then the
    weighted logistic regression on their tf-idf rows. Empty texts train nothing."""
    keep = np.array([bool(t.strip()) for t in texts])
    rows = [t for t, k in zip(texts, keep, strict=True) if k]
    vec = vectorizer()
    matrix = vec.fit_transform(rows)
    model = fit_logistic(matrix, labels[keep], classes, l2=l2, sample_weight=sample_weight[keep])
    return WordModel(vec, model)
