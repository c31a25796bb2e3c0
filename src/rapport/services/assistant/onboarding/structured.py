"""The whole profile from the interview through the LLM gateway's structured output,
validated; None when no model gives a valid one (the caller keeps the rules' result)."""

from __future__ import annotations

import json
from typing import Any

from rapport.core.errors import RapportError
from rapport.core.llm import LLMGateway
from rapport.services.assistant.onboarding.extract import Understood
from rapport.services.assistant.onboarding.labels import Labels

INSTRUCTION = (
    "Extract the person's profile from this onboarding interview. passions: short labels of "
    "what they are passionate about, using the platform's labels when one fits; skills: "
    "each with a level among beginner, intermediate, advanced, expert; goals: what they want "
    "to reach, in their words; hours_per_week: a number; learning_style: one of visual, "
    "reading, hands_on, auditory, social. Use null or [] for what was not said."
)


def llm_profile(
    gateway: LLMGateway, transcript: list[dict[str, Any]], labels: Labels
) -> Understood | None:
    if not gateway.available:
        return None
    interview = "\n".join(f"Q: {t['question']}\nA: {t.get('answer') or ''}" for t in transcript)
    known = ", ".join(labels.labels[:200])
    messages = [
        {
            "role": "system",
            "content": INSTRUCTION + (f"\nPlatform labels: {known}" if known else ""),
        },
        {"role": "user", "content": interview},
    ]
    try:
        found = gateway.structured(messages, Understood, temperature=0.0, max_tokens=600)
    except RapportError:
        return None
    # The model's passions in the tenant's spelling when they name a label.
    passions: list[str] = []
    for passion in found.passions:
        named = labels.phrases(passion.lower())
        value = named[0] if len(named) == 1 and named[0] else passion.strip().lower()
        if value and value not in passions:
            passions.append(value)
    found.passions = passions
    return found


def dumps(understood: Understood) -> str:
    return json.dumps(understood.model_dump(mode="json"), sort_keys=True)
