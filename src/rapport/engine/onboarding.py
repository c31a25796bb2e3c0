"""`engine.onboarding`: the onboarding interview (passions, skill levels, time per week,
way of learning) that writes the user's profile and returns their first matches."""

from __future__ import annotations

from rapport.engine.services import Services
from rapport.services.assistant.onboarding.extract import Understood
from rapport.services.assistant.onboarding.interview import OnboardingState


class OnboardingArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def start(self, user_id: str, *, tenant: str | None = None) -> OnboardingState:
        """Start an interview for `user_id` (created when unknown): the first question."""
        return self._s.onboarding.start(self._s.tenant(tenant), user_id)

    def answer(self, session_id: str, text: str, *, tenant: str | None = None) -> OnboardingState:
        """Answer the current question: the next one, or (after the last) the saved
        profile, first recommendations with reasons and next steps. A crisis statement is
        not recorded: the state comes back unchanged with `safety` set (the crisis message
        and resources), and a human is alerted."""
        tenant = self._s.tenant(tenant)
        current = self._s.onboarding.get(tenant, session_id)
        check = self._s.crisis_guard.check(
            tenant, text, source="onboarding", user_id=current.user_id
        )
        if check.blocked:
            return current.model_copy(update={"safety": check})
        return self._s.onboarding.answer(tenant, session_id, text)

    def get(self, session_id: str, *, tenant: str | None = None) -> OnboardingState:
        """Where an interview stands, to resume it: its current question, or its result."""
        return self._s.onboarding.get(self._s.tenant(tenant), session_id)

    def extract(self, answers: list[str], *, tenant: str | None = None) -> Understood:
        """What the rules read from answers given in topic order (passions, skills, time,
        learning style), without an LLM and without saving anything."""
        return self._s.onboarding.extract(self._s.tenant(tenant), list(answers))
