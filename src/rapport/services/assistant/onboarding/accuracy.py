"""Field accuracy of extracted profiles against expected ones (scripted interviews).

Each interview has five fields, each right or wrong: `passions` (the same set; phrases
sharing a content word count as the same: "thai cooking" ~ "cooking"), `skills` (the same
names with the same levels), `goals` (as many goals, each close to one expected: token-set
similarity >= 70), `hours_per_week` (within 10 % or a quarter of an hour) and
`learning_style` (equal)."""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz

from rapport.services.assistant.onboarding.text import STOPWORDS, stems, words

FIELDS = ("passions", "skills", "goals", "hours_per_week", "learning_style")


def _key(phrase: str) -> set[str]:
    return {s for s, w in zip(stems(phrase), words(phrase), strict=True) if w not in STOPWORDS}


def _same_phrase(a: str, b: str) -> bool:
    ka, kb = _key(a), _key(b)
    return bool(ka and kb and (ka <= kb or kb <= ka))


def _same_sets(got: list[str], want: list[str]) -> bool:
    return all(any(_same_phrase(g, w) for g in got) for w in want) and all(
        any(_same_phrase(g, w) for w in want) for g in got
    )


def field_right(name: str, got: Any, want: Any) -> bool:
    if name == "passions":
        return _same_sets(list(got), list(want))
    if name == "skills":
        got_pairs = {(g["name"], g["level"]) for g in got}
        if len(got_pairs) != len(want):
            return False
        return all(
            any(_same_phrase(gn, w["name"]) and gl == w["level"] for gn, gl in got_pairs)
            for w in want
        )
    if name == "goals":
        return len(got) == len(want) and all(
            any(fuzz.token_set_ratio(g.lower(), w.lower()) >= 70 for g in got) for w in want
        )
    if name == "hours_per_week":
        if got is None or want is None:
            return got is None and want is None
        return abs(float(got) - float(want)) <= max(0.25, 0.1 * float(want))
    return bool(got == want)


def score(profile: dict[str, Any], expected: dict[str, Any]) -> dict[str, bool]:
    """Right or wrong, per field."""
    return {name: field_right(name, profile.get(name), expected.get(name)) for name in FIELDS}
