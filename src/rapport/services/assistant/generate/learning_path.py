"""Learning paths: the catalogue items that match a passion, ordered beginner to expert, with
study time from the user's hours per week.

Items are found by embedding the passion and searching the item vectors. A step's level
comes from an attribute (`difficulty`, `level`, ... as words or 1-5 numbers) when the item
has one, from level words in its text otherwise, and, when nothing says, from its place
among the matches: shorter, cheaper items first (a common proxy for introductory
material). Hours come from duration attributes (`duration_hours`, `hours`, `duration_weeks`
times 5, `duration_minutes` / 60) or a default per level."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from rapport.core.llm import LLMGateway
from rapport.core.models import Item, User
from rapport.services.assistant.generate.llm import ask
from rapport.services.assistant.generate.schemas import Level, PathStep

LEVELS: tuple[Level, ...] = ("beginner", "intermediate", "advanced", "expert")
LEVEL_KEYS = ("difficulty", "level", "skill_level", "difficulty_level", "experience_level")
WORDS: dict[Level, tuple[str, ...]] = {
    "beginner": ("beginner", "beginners", "introduction", "intro", "introductory", "basics",
                 "fundamentals", "foundations", "first steps", "getting started", "101", "novice",
                 "elementary", "starter", "all levels"),
    "intermediate": ("intermediate", "next steps", "practical", "hands-on projects", "improver"),
    "advanced": ("advanced", "in depth", "in-depth", "deep dive", "masterclass", "professional",
                 "mastery"),
    "expert": ("expert", "experts", "research-level", "cutting-edge"),
}  # fmt: skip
SYNONYMS: dict[str, Level] = {
    "easy": "beginner", "novice": "beginner", "basic": "beginner", "introductory": "beginner",
    "beginner": "beginner", "entry": "beginner", "medium": "intermediate",
    "intermediate": "intermediate", "moderate": "intermediate", "hard": "advanced",
    "advanced": "advanced", "difficult": "advanced", "expert": "expert", "master": "expert",
}  # fmt: skip
DEFAULT_HOURS: dict[Level, float] = {
    "beginner": 8, "intermediate": 14, "advanced": 20, "expert": 30,
}  # fmt: skip
DEFAULT_HOURS_PER_WEEK = 5.0
UNSUITABLE_KINDS = frozenset({"post", "user", "review", "comment"})


class _LLMPath(BaseModel):
    summary: str = Field(min_length=1, max_length=1200)
    reasons: list[str] = Field(default_factory=list)


def level_from_attributes(attributes: dict[str, Any]) -> Level | None:
    for key in LEVEL_KEYS:
        value = attributes.get(key)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            # 1-5 (or 1-4) scales: 1 beginner ... 4+ expert.
            return LEVELS[min(max(round(value) - 1, 0), 3)]
        word = str(value).strip().lower()
        if word.isdigit():
            return LEVELS[min(max(int(word) - 1, 0), 3)]
        for token in re.split(r"[\s/_-]+", word):
            if token in SYNONYMS:
                return SYNONYMS[token]
    return None


def level_from_text(text: str) -> Level | None:
    lowered = text.lower()
    found = [
        level
        for level, words in WORDS.items()
        if any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", lowered) for w in words)
    ]
    return found[0] if len(found) == 1 else None  # "beginner to advanced" says nothing


def hours_of(attributes: dict[str, Any]) -> float | None:
    def number(key: str) -> float | None:
        value = attributes.get(key)
        if isinstance(value, bool):
            return None
        try:
            return float(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    for key, factor in (
        ("duration_hours", 1.0), ("hours", 1.0), ("estimated_hours", 1.0),
        ("duration_minutes", 1 / 60), ("duration_weeks", DEFAULT_HOURS_PER_WEEK),
    ):  # fmt: skip
        value = number(key)
        if value is not None and value > 0:
            return value * factor
    return None


def order_steps(matches: list[tuple[Item, float]], max_steps: int) -> list[tuple[Item, Level, str]]:
    """Matches with their levels, in learning order, at most `max_steps` and balanced over
    levels (the best-matching items of each level are kept)."""
    leveled: list[tuple[Item, float, Level | None, str]] = []
    for item, score in matches:
        level = level_from_attributes(item.attributes)
        source = "attribute"
        if level is None:
            level, source = level_from_text(f"{item.title}. {item.text}"), "text"
        leveled.append((item, score, level, source))
    unknown = [i for i, entry in enumerate(leveled) if entry[2] is None]
    # Proxy: shorter and cheaper first, split into thirds beginner/intermediate/advanced.
    unknown.sort(
        key=lambda i: (
            hours_of(leveled[i][0].attributes) or 0,
            leveled[i][0].price or 0,
            -leveled[i][1],
        )
    )
    for rank, index in enumerate(unknown):
        item, score = leveled[index][0], leveled[index][1]
        leveled[index] = (item, score, LEVELS[min(rank * 3 // len(unknown), 2)], "order")
    per_level = max(1, -(-max_steps // max(1, len({e[2] for e in leveled}))))
    kept: list[tuple[Item, float, Level, str]] = []
    for level in LEVELS:
        group = sorted((e for e in leveled if e[2] == level), key=lambda e: -e[1])
        kept.extend((item, score, level, source) for item, score, _, source in group[:per_level])
    kept = sorted(kept, key=lambda e: -e[1])[:max_steps]
    kept.sort(key=lambda e: (LEVELS.index(e[2]), -e[1]))
    return [(item, level, source) for item, _, level, source in kept]


def build_steps(ordered: list[tuple[Item, Level, str]], hours_per_week: float) -> list[PathStep]:
    steps = []
    for position, (item, level, source) in enumerate(ordered, start=1):
        hours = hours_of(item.attributes) or DEFAULT_HOURS[level]
        steps.append(
            PathStep(
                position=position,
                item_id=item.id,
                title=item.title or item.id,
                level=level,
                level_source=source,
                hours=round(hours, 1),
                weeks=round(hours / hours_per_week, 1),
            )
        )
    return steps


def describe(
    gateway: LLMGateway,
    user: User,
    passion: str,
    steps: list[PathStep],
    items: dict[str, Item],
    hours_per_week: float,
    *,
    allow_llm: bool,
) -> tuple[str, list[str], str]:
    """Summary, one reason per step, and the model (empty for the template)."""
    hours = sum(s.hours for s in steps)
    summary = (
        f"{len(steps)} steps from {steps[0].level} to {steps[-1].level} for {passion}: about "
        f"{hours:g} hours, roughly {hours / hours_per_week:.0f} weeks at {hours_per_week:g} "
        f"hours a week."
        if steps
        else f"No catalogue items match {passion} yet."
    )
    reasons = [f"{s.level.capitalize()} step: {first_clause(items[s.item_id].text)}" for s in steps]
    if not (allow_llm and steps):
        return summary, reasons, ""
    reply, model = ask(
        gateway,
        "Write a short, encouraging summary of this learning path and one sentence per step "
        "(same order) saying why it comes at that point. Use only the facts given.",
        {
            "passion": passion,
            "goals": user.profile.goals[:3],
            "steps": [
                {
                    "title": s.title,
                    "level": s.level,
                    "weeks": s.weeks,
                    "about": items[s.item_id].text[:300],
                }
                for s in steps
            ],
        },
        _LLMPath,
    )
    if reply is None:
        return summary, reasons, ""
    written = [r.strip() for r in reply.reasons]
    if len(written) == len(steps) and all(written):
        reasons = written
    return reply.summary.strip(), reasons, model


def first_clause(text: str, limit: int = 160) -> str:
    sentence = re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0] if text.strip() else ""
    return sentence[:limit] or "matches what you want to learn."
