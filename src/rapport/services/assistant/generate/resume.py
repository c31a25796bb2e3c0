"""Résumés from what the engine knows: the profile (skills, interests, goals, achievements)
and the learning history (items the user completed or bought). Facts always come from the
data; the language model only writes the headline, the summary and the course descriptions."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from rapport.core.llm import LLMGateway
from rapport.core.models import Event, Item, User
from rapport.services.assistant.generate.llm import ask
from rapport.services.assistant.generate.posts import name_of
from rapport.services.assistant.generate.schemas import Resume, ResumeEntry

COMPLETION_EVENTS = frozenset(
    {"complete", "completed", "completion", "finish", "finished", "purchase", "purchased", "buy"}
)
MAX_ENTRIES = 20
SENTENCE = re.compile(r"(?<=[.!?])\s+")


class _Description(BaseModel):
    item_id: str
    description: str = Field(max_length=600)


class _LLMResume(BaseModel):
    headline: str = Field(min_length=1, max_length=160)
    summary: str = Field(min_length=1, max_length=1500)
    descriptions: list[_Description] = Field(default_factory=list)


def completed(events: list[Event]) -> dict[str, datetime]:
    """Item id -> latest completion or purchase time."""
    done: dict[str, datetime] = {}
    for event in events:
        if event.item_id and event.type in COMPLETION_EVENTS:
            done[event.item_id] = max(event.timestamp, done.get(event.item_id, event.timestamp))
    return done


def achievements_of(user: User) -> list[str]:
    """Profile `achievements` (strings or objects with a name/title) and `certifications`."""
    extra = user.profile.model_extra or {}
    found: list[str] = []
    for key in ("achievements", "certifications", "awards"):
        values = extra.get(key) or []
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, dict):
                value = value.get("name") or value.get("title") or ""
            if isinstance(value, str) and value.strip():
                found.append(value.strip())
    return list(dict.fromkeys(found))


def first_sentences(text: str, limit: int = 220) -> str:
    out = ""
    for sentence in SENTENCE.split(text.strip()):
        if out and len(out) + len(sentence) + 1 > limit:
            break
        out = f"{out} {sentence}".strip()
    return out[:limit]


def facts(user: User, entries: list[ResumeEntry]) -> Resume:
    """The résumé with template text around the user's facts."""
    profile = user.profile
    name = name_of(user)
    skills = sorted(
        profile.skills,
        key=lambda s: ["expert", "advanced", "intermediate", "beginner"].index(s.level),
    )
    extra = profile.model_extra or {}
    headline = str(extra.get("headline") or "").strip()
    if not headline:
        focus = [s.name for s in skills[:2]] or profile.interests[:2]
        headline = " · ".join(focus) + " learner" if focus else "Lifelong learner"
    parts = []
    if profile.interests:
        parts.append(f"{name} is passionate about {_join(profile.interests[:3])}.")
    if entries:
        titles = _join([e.title for e in entries[:3]])
        count = "one course" if len(entries) == 1 else f"{len(entries)} courses and programmes"
        parts.append(f"Has completed {count}, including {titles}.")
    if skills:
        parts.append(f"Skilled in {_join([f'{s.name} ({s.level})' for s in skills[:4]])}.")
    if profile.goals:
        parts.append(f"Working towards: {profile.goals[0]}.")
    return Resume(
        user_id=user.id,
        name=name,
        headline=headline,
        summary=" ".join(parts) or f"{name} is building new skills on the platform.",
        skills=skills,
        experience=entries,
        achievements=achievements_of(user),
        interests=profile.interests,
        goals=profile.goals,
    )


def _join(values: list[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + f" and {values[-1]}"


def build_resume(
    gateway: LLMGateway,
    user: User,
    events: list[Event],
    items: list[Item],
    *,
    language: str = "en",
    allow_llm: bool = True,
) -> Resume:
    done = completed(events)
    by_id = {item.id: item for item in items}
    entries = sorted(
        (
            ResumeEntry(
                item_id=item_id,
                title=by_id[item_id].title or item_id,
                completed_at=when,
                description=first_sentences(by_id[item_id].text),
            )
            for item_id, when in done.items()
            if item_id in by_id
        ),
        key=lambda e: (e.completed_at or datetime.min, e.item_id),
        reverse=True,
    )[:MAX_ENTRIES]
    resume = facts(user, entries)
    if not allow_llm:
        return resume
    known: dict[str, Any] = resume.model_dump(
        mode="json", include={"name", "skills", "achievements", "interests", "goals"}
    )
    known["courses"] = [
        {"item_id": e.item_id, "title": e.title, "about": by_id[e.item_id].text[:400]}
        for e in entries
    ]
    reply, model = ask(
        gateway,
        f"Write a professional résumé headline, a 3-4 sentence summary and one sentence per "
        f"course (by item_id) in language '{language}'. Use only the facts given; invent "
        f"no employers, dates or skills.",
        known,
        _LLMResume,
    )
    if reply is None:
        return resume
    written = {
        d.item_id: d.description.strip() for d in reply.descriptions if d.description.strip()
    }
    resume.headline, resume.summary = reply.headline.strip(), reply.summary.strip()
    for entry in resume.experience:
        entry.description = written.get(entry.item_id, entry.description)
    resume.mode, resume.model = "llm", model
    return resume
