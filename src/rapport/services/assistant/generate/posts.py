"""Social posts about an achievement that always fit the platform: the model's draft when it
fits (one shorter retry when it does not, then a trim at a sentence or word boundary), the
template otherwise. Hashtags are normalised to 1-5 `#CamelCase` words at the end."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from rapport.core.llm import LLMGateway
from rapport.core.models import User
from rapport.services.assistant.generate.llm import ask
from rapport.services.assistant.generate.schemas import PLATFORM_LIMITS, Platform

MAX_HASHTAGS = 5
HASHTAGS_PER_PLATFORM = {"x": 2, "linkedin": 3, "instagram": 5}
KEEP_AFTER_TRIM = 0.5  # a trimmed draft must keep this share of its body, else template
INLINE_TAG = re.compile(r"#(\w+)", re.UNICODE)
PAST_TENSE = {"won", "got", "earned", "built", "made", "ran", "passed", "became", "took"}
STYLE = {
    "x": "one or two punchy sentences",
    "linkedin": "two or three short professional paragraphs, warm and specific",
    "instagram": "a friendly caption with a few emoji",
}


class _LLMPost(BaseModel):
    text: str = Field(min_length=1)
    hashtags: list[str] = Field(default_factory=list)


def hashtag(label: str) -> str:
    """`#CamelCase` of a label ("machine learning" -> "#MachineLearning"); "" if nothing is left."""
    words = re.findall(r"[^\W_]+", label.lstrip("#"), re.UNICODE)
    joined = "".join(w if w[1:] != w[1:].lower() else w[:1].upper() + w[1:] for w in words)
    return f"#{joined[:40]}" if joined else ""


def clean_hashtags(labels: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for label in labels:
        tag = hashtag(label)
        if tag and tag.lower() not in seen:
            seen[tag.lower()] = tag
    return list(seen.values())[:MAX_HASHTAGS]


def compose(body: str, hashtags: list[str]) -> str:
    return f"{body.strip()}\n\n{' '.join(hashtags)}"


def trim(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a sentence end, else a word end + "…"."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    sentence = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "), cut.rfind("\n"))
    if sentence >= limit // 2:
        return cut[: sentence + 1].rstrip()
    word = cut[: limit - 1].rsplit(None, 1)[0] if " " in cut else cut[: limit - 1]
    return word.rstrip(" ,;:-") + "…"


def fit(body: str, hashtags: list[str], limit: int) -> tuple[str, list[str]]:
    """Body and hashtags whose composed text fits `limit` (fewer hashtags first, then trim)."""
    body = INLINE_TAG.sub(r"\1", body).strip()  # every hashtag lives in the final line
    tags = list(hashtags)
    while len(tags) > 1 and len(compose(body, tags)) > limit:
        tags.pop()
    room = limit - len(compose("", tags))
    return trim(body, room), tags


def name_of(user: User) -> str:
    extra = user.profile.model_extra or {}
    for key in ("name", "full_name", "display_name"):
        if isinstance(extra.get(key), str) and extra[key].strip():
            return str(extra[key]).strip()
    return user.id


def template_body(user: User, platform: Platform, achievement: str) -> str:
    first = achievement.split(maxsplit=1)[0].lower() if achievement.split() else ""
    lead = (
        f"Just {achievement.rstrip('.!')}!"
        if first.endswith("ed") or first in PAST_TENSE
        else f"New milestone: {achievement.rstrip('.!')}!"
    )
    interests = ", ".join(user.profile.interests[:3])
    goal = user.profile.goals[0] if user.profile.goals else ""
    if platform == "x":
        return f"{lead} 🎉 Next goal: {goal}." if goal else f"{lead} 🎉 On to the next one."
    if platform == "instagram":
        parts = [f"✨ {lead} ✨", "Small steps, every week, and they add up. 💪"]
        if interests:
            parts.append(f"Fuelled by my love for {interests}.")
        return "\n\n".join(parts)
    parts = [f"I'm happy to share a milestone: {achievement.rstrip('.!')}."]
    if interests:
        parts.append(f"It builds on what I care about most: {interests}.")
    if goal:
        parts.append(f"My next goal: {goal}.")
    parts.append("Thanks to everyone who shared their time and advice along the way.")
    return "\n\n".join(parts)


def write_post(
    gateway: LLMGateway,
    user: User,
    platform: Platform,
    achievement: str,
    topic_tags: list[str],
    *,
    allow_llm: bool = True,
) -> tuple[str, list[str], str]:
    """(body, hashtags, model) that fit the platform; model is empty for the template."""
    limit = PLATFORM_LIMITS[platform]
    count = HASHTAGS_PER_PLATFORM[platform]
    fallback_tags = clean_hashtags([*topic_tags, *user.profile.interests, "learning"])[:count]
    if allow_llm and gateway.available:
        facts = {
            "achievement": achievement,
            "interests": user.profile.interests[:5],
            "goals": user.profile.goals[:2],
            "platform": platform,
            "max_characters": limit,
        }
        for attempt in range(2):
            budget = (limit - 60) if attempt == 0 else int(limit * 0.6)
            reply, model = ask(
                gateway,
                f"Write a {platform} post in the first person about the achievement: "
                f"{STYLE[platform]}. Keep `text` under {budget} characters, without "
                f"hashtags; give 1 to {MAX_HASHTAGS} relevant hashtags separately.",
                facts,
                _LLMPost,
                temperature=0.7,
                max_tokens=1200,
            )
            if reply is None:
                break
            tags = clean_hashtags(reply.hashtags) or fallback_tags
            body = INLINE_TAG.sub(r"\1", reply.text).strip()
            if len(compose(body, tags[:1])) <= limit:
                fitted_body, fitted_tags = fit(body, tags, limit)
                return fitted_body, fitted_tags, model
            if attempt == 1:
                fitted_body, fitted_tags = fit(body, tags, limit)
                if len(fitted_body) >= KEEP_AFTER_TRIM * len(body):
                    return fitted_body, fitted_tags, model
    body, tags = fit(template_body(user, platform, achievement), fallback_tags, limit)
    return body, tags, ""
