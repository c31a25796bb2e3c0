"""The four topics of the interview and their questions: templates filled from what was
understood (no LLM), or written by the model from the conversation so far."""

from __future__ import annotations

from typing import Any

from rapport.core.errors import RapportError
from rapport.core.llm import LLMGateway
from rapport.services.assistant.onboarding.extract import Understood

TOPICS: tuple[str, ...] = ("passions", "skills", "time", "learning_style")
TOPIC_PURPOSE = {
    "passions": "what they are passionate about (interests, hobbies) and what they would "
    "like to achieve",
    "skills": "their current skill level in each of those passions (beginner, intermediate, "
    "advanced or expert)",
    "time": "how much time they can give per week",
    "learning_style": "how they prefer to learn (videos and diagrams, reading, building "
    "things hands-on, listening, or with other people)",
}
FIRST_QUESTION = (
    "Hi! Let's find what suits you. What are you passionate about: hobbies, subjects, "
    "things you'd love to get better at? And is there something you'd like to achieve?"
)


def _listed(values: list[str]) -> str:
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " and " + values[-1]


def template_question(topic: str, understood: Understood) -> str:
    """The question for `topic`, worded with what earlier answers said."""
    passions = understood.passions[:3]
    if topic == "passions":
        return FIRST_QUESTION
    if topic == "skills":
        if passions:
            return (
                f"You mentioned {_listed(passions)}. Where are you with "
                f"{'each' if len(passions) > 1 else 'it'} right now: just starting, some "
                "experience, advanced, or expert?"
            )
        return (
            "How would you describe your current level in what you enjoy: just starting, "
            "some experience, advanced, or expert?"
        )
    if topic == "time":
        target = f"to {_listed(passions)}" if passions else "to learning"
        return f"How much time could you give {target} in a typical week?"
    hours = understood.hours_per_week
    lead = f"With about {hours:g} hours a week, " if hours else "Last one: "
    return (
        f"{lead}how do you learn best? Videos and diagrams, reading, building things "
        "hands-on, listening (podcasts, audio), or with other people?"
    )


def generated_question(
    gateway: LLMGateway, topic: str, transcript: list[dict[str, Any]]
) -> str | None:
    """A question for `topic` written by the model from the conversation so far, or None
    when no model answers (the caller uses the template)."""
    if not gateway.available:
        return None
    messages: list[dict[str, Any]] = [
        {
            "role": "system",
            "content": (
                "You are a warm, concise onboarding interviewer for a learning and mentoring "
                "platform. Ask exactly ONE short question (at most two sentences) about "
                f"{TOPIC_PURPOSE[topic]}. Refer to what the person already said. Reply with "
                "the question only."
            ),
        }
    ]
    for turn in transcript:
        messages.append({"role": "assistant", "content": turn["question"]})
        if turn.get("answer"):
            messages.append({"role": "user", "content": turn["answer"]})
    try:
        text = gateway.chat(messages, temperature=0.3, max_tokens=120).text.strip()
    except RapportError:
        return None
    return text if 0 < len(text) <= 500 else None
