"""Text moderation without downloaded weights: MiniLM similarity to written examples of each
category against ordinary marketplace and event texts, plus a short lexicon of terms that
are unambiguous in a listing or a post."""

from __future__ import annotations

import json
import re
from functools import cached_property
from importlib import resources
from typing import Protocol

import numpy as np
from pydantic import Field
from unidecode import unidecode

from rapport.core.components import ComponentConfig
from rapport.core.models import Schema

CATEGORIES = ("violence", "adult", "hate", "illegal_goods", "spam")

# Terms that settle a category on their own (word starts; checked on an ASCII lowercase
# copy, so lookalike letters do not hide them).
_LEXICON = {
    "violence": r"kill (?:you|him|her|them)|murder|stab|beat (?:him|her|you|them) up|"
    r"break your|burn down|shoot (?:him|her|you|them|anyone)|deserves? to be shot|"
    r"make you (?:bleed|regret|pay)|i(?:'ll| will) (?:find|hurt) you",
    "adult": r"escort|porn|xxx|nudes?\b|onlyfans|cam ?girls?|sugar daddy|hook ?up|"
    r"happy ending|explicit (?:sex|content)|hardcore",
    "hate": r"subhuman|vermin|parasites|go back to your (?:own )?country|"
    r"(?:are|is) (?:animals|monkeys|freaks)|no (?:blacks|jews|muslims|gays)",
    "illegal_goods": r"cocaine|heroin|mdma|ketamine|lsd|meth\b|oxycodone|"
    r"no (?:paperwork|background check|prescription)|fake (?:passports?|ids?|documents)|"
    r"forged|counterfeit|replicas?\b|stolen (?:logins?|credit|cards?|accounts?)|"
    r"cloned (?:credit )?cards",
    "spam": r"click (?:here|this link)|win big|get rich|guaranteed returns|"
    r"earn \S+ (?:dollars|euros)? ?(?:a|per) week|followers for|free gift cards|"
    r"claim (?:your|now)|limited stock|!!!",
}
_RULES = {
    name: re.compile(rf"\b(?:{pattern})", re.IGNORECASE) for name, pattern in _LEXICON.items()
}


_EXAMPLE_VECTORS: dict[str, dict[str, np.ndarray]] = {}


class _Embedder(Protocol):
    def embed(self, texts: list[str]) -> np.ndarray: ...


class ModerationConfig(ComponentConfig):
    """The `[moderation]` settings section."""

    enabled: bool = False
    """Screen imported items; flagged ones are stored inactive and queued for review."""
    tenants: list[str] | None = None
    """Tenants screened when enabled; unset means every tenant."""
    threshold: float = 0.5
    """A category at or above this score flags the text."""
    margin: float = 0.12
    """Embedding signal: how much closer (cosine, mean of the best two) a text must be to
    a category's examples than to ordinary texts for a score of 0.5."""

    def screens(self, tenant: str) -> bool:
        return self.enabled and (self.tenants is None or tenant in self.tenants)


class ModerationResult(Schema):
    """Scores per category and whether the text needs review."""

    flagged: bool
    """True when any category reaches the threshold."""
    categories: list[str] = Field(default_factory=list)
    """The categories that reached it."""
    labels: dict[str, float] = Field(default_factory=dict)
    """Score 0-1 of every category."""


class TextModerator:
    """Scores texts for violence, adult content, hate, illegal goods and spam."""

    def __init__(self, embedder: _Embedder, config: ModerationConfig | None = None) -> None:
        self.embedder = embedder
        self.config = config or ModerationConfig()

    @cached_property
    def _examples(self) -> dict[str, np.ndarray]:
        path = resources.files("rapport.services.safety").joinpath(
            "data/moderation_prototypes.json"
        )
        key = str(getattr(self.embedder, "name", id(self.embedder)))
        if key not in _EXAMPLE_VECTORS:  # shared by every moderator on the same model
            data: dict[str, list[str]] = json.loads(path.read_text("utf-8"))
            _EXAMPLE_VECTORS[key] = {
                name: np.asarray(self.embedder.embed(texts)) for name, texts in data.items()
            }
        return _EXAMPLE_VECTORS[key]

    def check(self, text: str) -> ModerationResult:
        return self.check_many([text])[0]

    def check_many(self, texts: list[str]) -> list[ModerationResult]:
        """One embedding call for all texts."""
        if not texts:
            return []
        examples = self._examples
        vectors = np.asarray(self.embedder.embed(texts))

        def closeness(name: str) -> np.ndarray:
            similarity = np.sort(vectors @ examples[name].T, axis=1)[:, -2:]
            return similarity.mean(axis=1)

        benign = closeness("benign")
        results = []
        leans = {name: closeness(name) - benign for name in CATEGORIES}
        for i, text in enumerate(texts):
            plain = unidecode(text).lower()
            labels = {}
            for name in CATEGORIES:
                # 0.5 at `margin`, rising with the lean towards the category.
                embedded = 1 / (1 + np.exp(-(leans[name][i] - self.config.margin) * 25))
                ruled = 0.9 if _RULES[name].search(plain) else 0.0
                labels[name] = round(float(max(embedded, ruled)), 4)
            categories = [n for n in CATEGORIES if labels[n] >= self.config.threshold]
            results.append(
                ModerationResult(flagged=bool(categories), categories=categories, labels=labels)
            )
        return results
