"""The words of a nudge: a template per trigger, rewritten by the language model in the
user's terms when one is configured and the user has not opted out of AI. A generated text
that is empty, too long, drops the facts it must keep or reads as a crisis is replaced by
the template."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rapport.core.errors import RapportError
from rapport.core.llm import LLMGateway, Message
from rapport.core.llm.consent import LlmAllowed, opted_in
from rapport.core.models import User
from rapport.services.engage.config import EngageConfig
from rapport.services.engage.triggers import Due
from rapport.services.safety.crisis.screen import CrisisScreen

log = logging.getLogger(__name__)

SUBJECTS = {
    "inactivity": "We miss you",
    "progress_stagnation": "One small step",
    "goal_deviation": "Your week so far",
    "motivation_drop": "Something you might enjoy",
    "milestone": "Coming up soon",
    "reprofile": "Still into the same things?",
    "near_now": "Near you right now",
}

TEMPLATES = {
    "inactivity": "It has been {idle} since your last visit. {pickup}",
    "progress_stagnation": "No progress logged for {idle}. {step}",
    "goal_deviation": "You planned {goal_days} active days this week and have had "
    "{active_days} so far. A short session today puts you back on track.",
    "motivation_drop": "This week has been quieter than the last. What is one thing about "
    "{interest} you would enjoy doing today?",
    "milestone": "Reminder: {title} {what} {when}.",
    "reprofile": "{why}. Two minutes to update your profile keeps your suggestions right.",
    "near_now": "{title} is on right now, {distance}. Want to drop by?",
}

FALLBACKS = {
    "why": "It has been a while since you told us what you are into",
    "pickup": "Ready to pick up where you left off?",
    "step": "One small step today gets things moving again.",
    "interest": "what you love",
}
"""Words used when a fact is unknown (a user without goals, a history without titles)."""

KEEP = ("title",)
"""Facts a generated message must still contain."""

SYSTEM = (
    "You write one short, friendly notification for a learning and activities platform. "
    "Rewrite the draft for this person: use their interests, goals and preferred "
    "communication style, keep every fact (titles, times, numbers) exactly, no invented "
    "facts, no greeting line, no emojis, at most {limit} characters. Reply with the "
    "message only."
)


@dataclass(frozen=True)
class NudgeText:
    subject: str
    body: str
    personalised: bool


def template(due: Due) -> str:
    facts = {**FALLBACKS, **{k: v for k, v in due.facts.items() if v}}
    text = TEMPLATES[due.trigger].format_map(_Blank(facts))
    text = " ".join(text.split()).replace(" ?", "?").replace(" .", ".")
    return text[:1].upper() + text[1:]


class MessageWriter:
    """Writes nudges; `screen` and `persona` are looked up only when a message is generated
    (a run without a language model never loads the crisis model)."""

    def __init__(
        self,
        gateway: LLMGateway | None,
        screen: Callable[[], CrisisScreen] | None = None,
        persona: Callable[[str], dict[str, Any] | None] | None = None,
        llm_allowed: LlmAllowed = opted_in,
    ) -> None:
        self.gateway = gateway
        self.llm_allowed = llm_allowed
        self.screen = screen
        self.persona = persona

    def write(self, tenant: str, user: User, due: Due, config: EngageConfig) -> NudgeText:
        draft = template(due)
        subject = SUBJECTS[due.trigger]
        if not self._may_generate(tenant, user, config):
            return NudgeText(subject, draft, personalised=False)
        generated = self._generate(tenant, user, due, draft, config)
        if generated is None:
            return NudgeText(subject, draft, personalised=False)
        return NudgeText(subject, generated, personalised=True)

    def _may_generate(self, tenant: str, user: User, config: EngageConfig) -> bool:
        return bool(
            config.personalise
            and self.llm_allowed(tenant, user)
            and self.gateway is not None
            and self.gateway.available
        )

    def _generate(
        self, tenant: str, user: User, due: Due, draft: str, config: EngageConfig
    ) -> str | None:
        assert self.gateway is not None
        profile = user.profile
        about: dict[str, Any] = {
            "trigger": due.trigger,
            "draft": draft,
            "facts": due.facts,
            "interests": profile.interests[:5],
            "goals": profile.goals[:3],
            "communication_style": profile.communication_style,
        }
        stored = (self.persona(tenant) if self.persona else None) or {}
        voice = {k: stored[k] for k in ("name", "tone", "language") if k in stored}
        if voice:
            about["voice"] = voice
        messages: list[Message] = [
            {"role": "system", "content": SYSTEM.format(limit=config.max_message_chars)},
            {"role": "user", "content": json.dumps(about, ensure_ascii=False)},
        ]
        try:
            reply = self.gateway.chat(messages, temperature=0.0, max_tokens=200)
        except RapportError as exc:  # the template is always there to fall back to
            log.warning("nudge personalisation failed: %s", exc)
            return None
        text = " ".join(reply.text.strip().strip('"').split())
        if not text or len(text) > config.max_message_chars:
            return None
        if any(due.facts.get(k) and due.facts[k] not in text for k in KEEP):
            return None  # a reminder that lost the title is worse than the template
        if self.screen is not None:
            verdict = self.screen().screen(text)
            if verdict.crisis or verdict.severity == "high":
                return None
        return text


class _Blank(dict[str, str]):
    """Unknown placeholders become empty rather than raising."""

    def __missing__(self, key: str) -> str:
        return ""
