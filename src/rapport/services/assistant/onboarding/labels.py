"""Matching what people say against a tenant's own labels (item categories and tags):
exact words, word stems ("photos" finds "photo"), typos ("phtography") and, for a phrase
that names none of them, the label nearest in meaning."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from rapidfuzz.distance import Levenshtein

from rapport.services.assistant.onboarding.text import negated_before, stem, words

Embed = Callable[[list[str]], np.ndarray]
"""Texts to unit-length vectors (the engine's embedder)."""

NEAREST_MIN = 0.62  # cosine above which a phrase is taken to mean a label
REDUNDANT_MIN = 0.5  # cosine above which a phrase only restates a label already found
_AGENT = re.compile(r"(?:er|ers|ist|ists|or|ors|ian|ians)$")


@lru_cache(maxsize=1)
def _dictionary() -> frozenset[str] | None:
    """Known English words: a known word is never "corrected" into a label
    ("printing" is not a typo of "painting")."""
    try:
        from spellchecker import SpellChecker
    except ImportError:  # pragma: no cover - installed with rapport
        return None
    return frozenset(SpellChecker().word_frequency.dictionary.keys())


def is_known_word(word: str) -> bool:
    known = _dictionary()
    return known is not None and word in known


def _typo_of(word: str, target: str) -> bool:
    """`word` is a misspelling of `target`: same first letter, one edit for short words,
    two for long ones, and `word` is not itself a known word."""
    if len(target) < 5 or word[0] != target[0] or is_known_word(word):
        return False
    limit = 1 if len(target) < 8 else 2
    return Levenshtein.distance(word, target, score_cutoff=limit) <= limit


def _agent_base(word: str) -> str:
    """The activity stem behind a doer ("cyclist" -> "cycl", "runner" -> "run")."""
    base = _AGENT.sub("", word)
    if base == word or len(base) < 3:
        return ""
    if len(base) > 3 and base[-1] == base[-2]:
        base = base[:-1]  # runner -> run
    return stem(base)


def clean_label(label: str) -> str:
    return " ".join(words(label.replace("-", " ").replace("_", " ")))


@dataclass
class Mention:
    label: str
    start: int
    """Character offset of the mention in the searched text."""
    end: int
    """Character offset just after it."""
    negated: bool


@dataclass
class Labels:
    """A tenant's labels, each as its words and their stems."""

    labels: list[str]
    embed: Embed | None = None
    narrower: dict[str, set[str]] = field(default_factory=dict)
    """Per broad label (a category), the labels found on its items (their tags)."""
    _forms: list[tuple[str, list[str], list[str]]] = field(init=False, default_factory=list)
    _vectors: np.ndarray | None = field(init=False, default=None)
    _by_length: dict[
        int,
        tuple[dict[tuple[str, ...], str], dict[tuple[str, ...], str], list[tuple[str, list[str]]]],
    ] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for label in self.labels:
            clean = clean_label(label)
            if len(clean) < 2 or clean in seen:
                continue
            seen.add(clean)
            tokens = clean.split()
            self._forms.append((clean, tokens, [stem(t) for t in tokens]))
        self.labels = [form[0] for form in self._forms]
        for clean, tokens, label_stems in self._forms:
            exact, stemmed, forms = self._by_length.setdefault(len(tokens), ({}, {}, []))
            exact.setdefault(tuple(tokens), clean)
            stemmed.setdefault(tuple(label_stems), clean)
            forms.append((clean, tokens))

    def __len__(self) -> int:
        return len(self._forms)

    def mentions(self, text: str) -> list[Mention]:
        """Labels named in `text` (exactly, by stem or with a typo), in order of appearance;
        a longer label wins over one of its words ("machine learning" over "learning")."""
        spans = [(m.start(), m.group(0)) for m in re.finditer(r"[a-z0-9+#]+", text.lower())]
        tokens = [t for _, t in spans]
        token_stems = [stem(t) for t in tokens]
        typo_prone = [len(t) >= 5 and not is_known_word(t) for t in tokens]
        agent_stems = [_agent_base(t) for t in tokens]
        found: list[tuple[int, int, str]] = []  # (first token, token count, label)
        for n, (exact, stemmed, forms) in self._by_length.items():
            for i in range(len(tokens) - n + 1):
                window = tuple(tokens[i : i + n])
                label = (
                    exact.get(window)
                    or stemmed.get(tuple(token_stems[i : i + n]))
                    or (stemmed.get(tuple(agent_stems[i : i + n])) if n == 1 else None)
                )
                if label is None and any(typo_prone[i : i + n]):
                    label = next(
                        (
                            clean
                            for clean, label_tokens in forms
                            if all(
                                a == b or _typo_of(a, b)
                                for a, b in zip(window, label_tokens, strict=True)
                            )
                        ),
                        None,
                    )
                if label is not None:
                    found.append((i, n, label))
        found.sort(key=lambda f: (-f[1], f[0]))
        taken: set[int] = set()
        chosen: list[tuple[int, int, str]] = []
        for i, n, clean in found:
            if taken.isdisjoint(range(i, i + n)):
                taken.update(range(i, i + n))
                chosen.append((i, n, clean))
        chosen.sort()
        return [
            Mention(
                clean,
                spans[i][0],
                spans[i + n - 1][0] + len(spans[i + n - 1][1]),
                negated_before(text, spans[i][0]),
            )
            for i, n, clean in chosen
        ]

    def phrases(self, text: str) -> list[str]:
        """Labels named and not negated, neighbours joined ("baking bread", "watercolour
        painting": one passion named with two labels)."""
        joined: list[str] = []
        last_end = -2
        for mention in self.mentions(text):
            if mention.negated:
                last_end = -2
                continue
            gap = text[last_end : mention.start] if last_end >= 0 else "x"
            if joined and re.fullmatch(r"\s+", gap):
                joined[-1] = f"{joined[-1]} {mention.label}"
            else:
                joined.append(mention.label)
            last_end = mention.end
        return joined

    def drop_broader(self, found: list[str]) -> list[str]:
        """Without a broad label when a narrower one of it was found ("languages" goes when
        "spanish" is there)."""
        chosen = set(found)
        return [
            label for label in found if not (self.narrower.get(label, set()) & (chosen - {label}))
        ]

    def similar_to_any(
        self, phrases: list[str], labels: list[str], minimum: float = REDUNDANT_MIN
    ) -> list[bool]:
        """Whether each phrase is close in meaning to one of `labels` (so it adds nothing)."""
        if not phrases or not labels or self.embed is None:
            return [False] * len(phrases)
        sims = self.embed(phrases) @ self.embed(labels).T
        return [bool(row.max() >= minimum) for row in sims]

    def nearest(self, phrases: Iterable[str], minimum: float = NEAREST_MIN) -> list[str | None]:
        """The label nearest in meaning to each phrase, or None below `minimum` cosine."""
        phrases = list(phrases)
        if not phrases or self.embed is None or not self._forms:
            return [None] * len(phrases)
        if self._vectors is None:
            self._vectors = self.embed(self.labels)
        sims = self.embed(phrases) @ self._vectors.T
        best = sims.argmax(axis=1)
        return [
            self.labels[int(b)] if float(sims[row, b]) >= minimum else None
            for row, b in enumerate(best)
        ]
