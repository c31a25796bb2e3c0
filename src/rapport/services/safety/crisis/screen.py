"""`CrisisScreen`: the one crisis screen every text goes through (chat, onboarding, `/ask`,
event and item text).

Each text is read by the rules first (quotes, other people's words, negated or past crisis
statements are cut out; explicit first-person statements and plan cues are found), then
what is left is embedded and scored by the trained classifier. Without usable weights (an
embedder of another model) the rules alone decide.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rapport.core.vectors.embedder import Embedder
from rapport.services.safety.crisis import rules
from rapport.services.safety.crisis.classifier import CLASSES, WEIGHTS, CrisisClassifier
from rapport.services.safety.crisis.models import Category, Screening

EXPLICIT = 0.9
"""Score of an explicit first-person crisis statement the classifier scored lower."""
DEFAULT_THRESHOLDS = {"crisis": 0.5, "negated": 0.7, "high": 0.9, "topic": 0.8, "distress": 0.5}
"""`crisis`: suicide/self-harm score from which a text is a crisis (chosen in training);
`negated`: the same for a text whose writer negated a crisis statement in it ("I don't want
to die anymore"), where only strong evidence elsewhere should count; `high`: from which it
is high severity without explicit words; `topic`: probability of another category from
which it is named (severity low); `distress`: weight of the other kinds of distress in the
risk score (chosen in training, see `risk_score`)."""
BATCH = 64
SUPPORT = 1.0
"""A longer text flagged by the classifier alone also needs one passage of two sentences
whose own risk reaches `SUPPORT` times the crisis threshold (see `supported`)."""
SHORT_WORDS = 60
"""Texts up to this many words use the `negated` threshold when they negate a crisis."""


class CrisisScreen:
    """Screens texts for crises. Thread-safe: it holds no per-call state."""

    def __init__(self, embedder: Embedder, classifier: CrisisClassifier | None = None) -> None:
        self.embedder = embedder
        if classifier is None and WEIGHTS.exists():
            classifier = CrisisClassifier.load()
        self.classifier = classifier
        self._usable: bool | None = None

    @property
    def uses_classifier(self) -> bool:
        """Whether the classifier scores texts (the embedder matches its weights)."""
        if self._usable is None:
            self._usable = self.classifier is not None and self.classifier.fits(
                self.embedder.name, self.embedder.dim
            )
        return self._usable

    @property
    def thresholds(self) -> dict[str, float]:
        return {**DEFAULT_THRESHOLDS, **(self.classifier.thresholds if self.classifier else {})}

    def screen(self, text: str) -> Screening:
        return self.screen_many([text])[0]

    def screen_many(self, texts: Sequence[str]) -> list[Screening]:
        readings = [rules.read(text) for text in texts]
        probabilities = self.probabilities([r.kept for r in readings])
        thresholds = self.thresholds
        out = [decide(r, p, thresholds) for r, p in zip(readings, probabilities, strict=True)]
        for i in self._unsupported(readings, out):
            out[i] = decide(readings[i], probabilities[i], thresholds, supported=False)
        return out

    def _unsupported(self, readings: Sequence[rules.Reading], out: list[Screening]) -> list[int]:
        """Texts flagged on the classifier's score of the whole text (no explicit words) in
        which no passage of two consecutive sentences scores as a crisis on its own: the
        whole-text score came from a general tone of distress (debt, a hard job), not from
        a crisis stated somewhere. Only these candidates are embedded again."""
        todo: list[tuple[int, list[str]]] = []
        for i, (reading, screening) in enumerate(zip(readings, out, strict=True)):
            if screening.crisis and not reading.explicit and screening.severity == "medium":
                sentences = [s for s in rules.sentences(reading.kept) if s.strip()]
                if len(sentences) > 2:
                    todo.append(
                        (i, [" ".join(sentences[j : j + 2]) for j in range(len(sentences) - 1)])
                    )
        if not todo or self.classifier is None:
            return []
        passages = [p for _, ps in todo for p in ps]
        vectors = np.vstack(
            [self.embedder.embed(passages[s : s + BATCH]) for s in range(0, len(passages), BATCH)]
        )
        risk = risk_score(self.classifier.proba(vectors, passages), self.thresholds["distress"])
        needed = SUPPORT * self.thresholds["crisis"]
        unsupported, start = [], 0
        for i, ps in todo:
            if float(risk[start : start + len(ps)].max()) < needed:
                unsupported.append(i)
            start += len(ps)
        return unsupported

    def probabilities(self, kept: Sequence[str]) -> list[np.ndarray | None]:
        """Class probabilities of each rule-filtered text; None for empty texts or when the
        classifier is not usable."""
        out: list[np.ndarray | None] = [None] * len(kept)
        if not self.uses_classifier or self.classifier is None:
            return out
        todo = [i for i, text in enumerate(kept) if text.strip()]
        for start in range(0, len(todo), BATCH):
            part = todo[start : start + BATCH]
            texts = [kept[i] for i in part]
            proba = self.classifier.proba(self.embedder.embed(texts), texts)
            for i, row in zip(part, proba, strict=True):
                out[i] = row
        return out


def risk_score(proba: np.ndarray, distress: float = 0.5) -> np.ndarray:
    """Crisis risk from class probabilities (rows): suicide/self-harm plus `distress` times
    the other kinds of distress. On held-out forum posts this separates the suicide forum
    from unrelated forums better than the suicide probability alone (docs/safety.md); the
    weight is chosen in training on forums held out whole."""
    p = np.atleast_2d(proba)
    return np.minimum(1.0, p[:, 1] + distress * p[:, 2:].sum(axis=1))


def decide(
    reading: rules.Reading,
    proba: np.ndarray | None,
    thresholds: dict[str, float],
    supported: bool = True,
) -> Screening:
    """The verdict from what the rules found and the classifier's probabilities;
    `supported` false: no passage of the text scores as a crisis on its own, so the
    classifier's whole-text score does not make it one."""
    distress = thresholds.get("distress", DEFAULT_THRESHOLDS["distress"])
    risk = float(risk_score(proba, distress)[0]) if proba is not None else 0.0
    if reading.explicit:
        risk = max(risk, EXPLICIT)
    if reading.domestic_violence and not reading.explicit:
        # Violence against the writer comes first: the classifier has no forum for it.
        return Screening(
            crisis=True,
            category="domestic_violence",
            severity="high",
            score=round(max(risk, EXPLICIT), 4),
        )
    # In a short text the negated (or someone else's) statement is the message; in a long
    # post it is one clause among many, already cut out.
    short = len(reading.text.split()) <= SHORT_WORDS
    needed = thresholds["negated"] if reading.negated and short and not reading.explicit else None
    if risk >= (needed or thresholds["crisis"]) and (supported or reading.explicit):
        category: Category = "suicide_self_harm"
        if proba is not None and not reading.explicit:
            category = CLASSES[int(np.argmax(proba[1:])) + 1]  # type: ignore[assignment]
        high = (
            reading.explicit
            or reading.plan
            or (category == "suicide_self_harm" and risk >= thresholds["high"])
            or rules.means_and_time(reading.kept)
        )
        return Screening(
            crisis=True,
            category=category,
            severity="high" if high else "medium",
            score=round(risk, 4),
        )
    acute: list[tuple[bool, Category]] = [
        (reading.substance_acute, "substance_abuse"),
        (reading.eating_acute, "eating_disorder"),
        (reading.mental_acute, "mental_health_crisis"),
    ]
    for found, category in acute:
        if found:
            return Screening(crisis=True, category=category, severity="medium", score=EXPLICIT)
    if proba is not None:
        best = int(np.argmax(proba[1:])) + 1
        if proba[best] >= thresholds["topic"]:
            topic: Category = CLASSES[best]  # type: ignore[assignment]
            return Screening(
                crisis=False, category=topic, severity="low", score=round(float(proba[best]), 4)
            )
    return Screening(crisis=False, score=round(risk, 4))
