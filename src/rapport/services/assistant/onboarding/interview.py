"""The onboarding interview: four questions (passions, skill levels, time per week, way of
learning), a profile written to the user, and their first matches with next steps."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError

from rapport.core.errors import Conflict, FieldError, InvalidInput, NotFound
from rapport.core.llm import LLMGateway
from rapport.core.llm.consent import LlmAllowed, opted_in
from rapport.core.models import Profile, Schema, User
from rapport.core.requests import RecommendRequest
from rapport.core.store.onboarding import OnboardingSession, OnboardingStore, Turn
from rapport.core.store.repository import Store
from rapport.services.assistant.onboarding.extract import RuleExtractor, Understood
from rapport.services.assistant.onboarding.labels import Embed, Labels, clean_label
from rapport.services.assistant.onboarding.questions import (
    TOPICS,
    generated_question,
    template_question,
)
from rapport.services.assistant.onboarding.structured import llm_profile
from rapport.services.recommend.frame import FrameCache
from rapport.services.recommend.recommender import Recommendation, Recommender
from rapport.services.safety.crisis.guard import SafetyCheck

FIRST_MATCHES = 5
NEXT_STEPS = 3
BROAD_SHARE = 0.3  # labels on more than this share of a catalogue are too broad to be passions
MAX_ANSWER = 4000
MAX_LABELS = 5000  # the most used labels of a catalogue are matched
VECTOR_CACHE = 50_000  # texts whose vectors are kept (labels, prototypes, phrases)


class NextStep(Schema):
    """A category worth exploring next."""

    category: str
    """The catalogue category."""
    reason: str
    """Why it is suggested."""
    item_ids: list[str]
    """First matches in that category, best first."""


class OnboardingState(Schema):
    """Where an interview stands: the question to answer, or the profile, first matches and
    next steps once it is done."""

    session_id: str
    """The interview; answer and resume with it."""
    user_id: str
    """Who is being onboarded."""
    step: int
    """The question to answer, from 1 (total_steps + 1 once done)."""
    total_steps: int
    """How many questions the interview asks."""
    done: bool
    """Whether every question was answered."""
    topic: str | None = None
    """What the current question is about: passions, skills, time, learning_style."""
    question: str | None = None
    """The question to answer (None once done)."""
    understood: Understood
    """What the answers so far say (the extracted profile once done)."""
    mode: Literal["rules", "llm"] = "rules"
    """How the last question or the profile was made: templates and rules, or the LLM."""
    profile: Profile | None = None
    """The user's profile as saved (once done)."""
    recommendations: list[Recommendation] = Field(default_factory=list)
    """First matches with reasons (once done)."""
    next_steps: list[NextStep] = Field(default_factory=list)
    """Categories to explore next (once done)."""
    safety: SafetyCheck | None = None
    """Set when the answer was a crisis statement: show `safety.reply` (the tenant's crisis
    message and resources) instead of the question. The answer was not recorded and a
    human was alerted; the same question stands."""


@dataclass
class Onboarding:
    """Runs interviews; sessions are stored, so any process can resume them."""

    store: Store
    sessions: OnboardingStore
    frames: FrameCache
    recommender: Recommender
    gateway: LLMGateway
    embed: Embed | None = None
    llm_allowed: LlmAllowed = opted_in
    _extractors: dict[str, tuple[Any, RuleExtractor]] = field(default_factory=dict)
    _vectors: dict[str, np.ndarray] = field(default_factory=dict)

    # -- public ----------------------------------------------------------------------------

    def start(self, tenant: str, user_id: str) -> OnboardingState:
        """A new interview for `user_id` (the user is created when unknown)."""
        user = self._user(tenant, user_id)
        session = OnboardingSession(user_id=user.id)
        session.turns.append(
            Turn(topic=TOPICS[0], question=template_question(TOPICS[0], Understood()))
        )
        self.sessions.create(tenant, session)
        return self._state(session, "rules")

    def get(self, tenant: str, session_id: str) -> OnboardingState:
        """Where the interview stands (to resume it): the current question, or the result."""
        session = self.sessions.get(tenant, session_id)
        if session.status == "done":
            return self._finished(tenant, session, str(session.profile.get("_mode", "rules")))
        return self._state(session, str(session.profile.get("_mode", "rules")))

    def answer(self, tenant: str, session_id: str, text: str) -> OnboardingState:
        """Record the answer to the current question; the next question, or the result."""
        text = (text or "").strip()
        if not text or len(text) > MAX_ANSWER:
            raise InvalidInput(
                [
                    FieldError(
                        record="answer", field="text", message=f"give 1 to {MAX_ANSWER} characters"
                    )
                ]
            )
        session = self.sessions.get(tenant, session_id)
        if session.status == "done":
            raise Conflict(f"onboarding session '{session_id}' is already finished")
        user = self.store.get_user(tenant, session.user_id)
        use_llm = self.gateway.available and self.llm_allowed(tenant, user)
        session.turns[-1].answer = text
        session.step += 1
        extractor = self.extractor(tenant)
        labels = extractor.labels
        understood = self._rules(extractor, session.turns[-1], _understood(session.profile))
        if session.step < len(TOPICS):
            topic = TOPICS[session.step]
            transcript = [t.model_dump() for t in session.turns]
            asked = generated_question(self.gateway, topic, transcript) if use_llm else None
            question = asked or template_question(topic, understood)
            session.turns.append(Turn(topic=topic, question=question))
            mode = "llm" if asked else "rules"
            session.profile = {**understood.model_dump(mode="json"), "_mode": mode}
            self.sessions.save(tenant, session)
            return self._state(session, mode)
        transcript = [t.model_dump() for t in session.turns]
        from_llm = llm_profile(self.gateway, transcript, labels) if use_llm else None
        mode = "llm" if from_llm is not None else "rules"
        final = _merged(from_llm, understood) if from_llm is not None else understood
        self._write_profile(tenant, user, final)
        session.status = "done"
        session.profile = {**final.model_dump(mode="json"), "_mode": mode}
        self.sessions.save(tenant, session)
        return self._finished(tenant, session, mode)

    def extract(self, tenant: str, answers: list[str]) -> Understood:
        """What the rules read from answers given in topic order, without an LLM and
        without saving anything (a dry run of the interview's extraction)."""
        if not 1 <= len(answers) <= len(TOPICS):
            raise InvalidInput(
                [
                    FieldError(
                        record="request",
                        field="answers",
                        message=f"give 1 to {len(TOPICS)} answers, in topic order",
                    )
                ]
            )
        extractor = self.extractor(tenant)
        found = Understood()
        for topic, text in zip(TOPICS, answers, strict=False):
            found = self._rules(extractor, Turn(topic=topic, question="", answer=text), found)
        return found

    # -- pieces ----------------------------------------------------------------------------

    def extractor(self, tenant: str) -> RuleExtractor:
        """The rules over the tenant's labels, kept until its catalogue changes (the labels'
        and prototypes' embeddings are computed once)."""
        frame = self.frames.get(tenant)
        version = (id(frame), frame.generation, len(frame))
        cached = self._extractors.get(tenant)
        if cached is None or cached[0] != version:
            embed = self._embed_cached if self.embed is not None else None
            cached = (version, RuleExtractor(self.labels(tenant), embed))
            self._extractors[tenant] = cached
        return cached[1]

    def labels(self, tenant: str) -> Labels:
        """The tenant's item categories and tags, without the ones so broad they say
        nothing (on more than 30 % of a catalogue of 10 items or more)."""
        frame = self.frames.get(tenant)
        index = frame.label_index
        live = max(len(frame), 1)
        counts: Counter[str] = Counter()
        narrower: dict[str, set[str]] = {}
        for key, rows in index.items():
            kind, _, value = key.partition(":")
            if len(frame) >= 10 and len(rows) > BROAD_SHARE * live:
                continue
            counts[value] += len(rows)
            if kind == "category":
                tags = narrower.setdefault(clean_label(value), set())
                for row in rows:
                    tags.update(clean_label(t) for t in frame.tags[row])
        top = [label for label, _ in counts.most_common(MAX_LABELS)]
        return Labels(top, self._embed_cached if self.embed is not None else None, narrower)

    def _embed_cached(self, texts: list[str]) -> np.ndarray:
        """The embedder, remembering vectors by text: a catalogue change rebuilds the labels,
        and only labels never seen before are embedded again."""
        assert self.embed is not None
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            if len(self._vectors) + len(missing) > VECTOR_CACHE:
                self._vectors.clear()
            self._vectors.update(zip(missing, self.embed(missing), strict=True))
        return np.vstack([self._vectors[t] for t in texts])

    @staticmethod
    def _rules(extractor: RuleExtractor, turn: Turn, before: Understood) -> Understood:
        """`before` updated with what the answer to `turn` says (each answer is read once)."""
        text = turn.answer or ""
        found = before.model_copy(deep=True)
        if turn.topic == "passions":
            found.passions = extractor.passions(text)
            found.goals = extractor.goals(text)
        elif turn.topic == "skills":
            found.skills = extractor.skills(text, found.passions)
            found.goals = list(dict.fromkeys([*found.goals, *extractor.goals(text)]))
        elif turn.topic == "time":
            found.hours_per_week = extractor.hours(text)
        else:
            found.learning_style = extractor.style(text)
        return found

    def _user(self, tenant: str, user_id: str) -> User:
        try:
            return self.store.get_user(tenant, user_id)
        except NotFound:
            pass
        try:
            user = User(id=user_id)
        except ValidationError as exc:
            raise InvalidInput(
                [FieldError(record="request", field="user_id", message=str(exc.errors()[0]["msg"]))]
            ) from exc
        self.store.upsert_users(tenant, [user])
        return user

    def _write_profile(self, tenant: str, user: User, found: Understood) -> None:
        """The interview's fields into the user's profile; passions also join the
        interests (what the recommender reads); other keys are kept."""
        old = user.profile
        skills = {s.name: s for s in old.skills}
        skills.update({s.name: s for s in found.skills})
        data = old.model_dump()
        data.update(
            passions=found.passions,
            interests=list(dict.fromkeys([*found.passions, *old.interests])),
            skills=[s.model_dump() for s in skills.values()],
            goals=list(dict.fromkeys([*found.goals, *old.goals])),
            hours_per_week=found.hours_per_week
            if found.hours_per_week is not None
            else old.hours_per_week,
            learning_style=found.learning_style or old.learning_style,
        )
        profile = Profile.model_validate(data)
        self.store.upsert_users(tenant, [user.model_copy(update={"profile": profile})])

    def _state(self, session: OnboardingSession, mode: str) -> OnboardingState:
        current = session.turns[-1]
        return OnboardingState(
            session_id=session.id,
            user_id=session.user_id,
            step=session.step + 1,
            total_steps=len(TOPICS),
            done=False,
            topic=current.topic,
            question=current.question,
            understood=_understood(session.profile),
            mode="llm" if mode == "llm" else "rules",
        )

    def _finished(self, tenant: str, session: OnboardingSession, mode: str) -> OnboardingState:
        user = self.store.get_user(tenant, session.user_id)
        found = self.recommender.recommend(tenant, user.id, RecommendRequest(k=FIRST_MATCHES)).items
        understood = _understood(session.profile)
        return OnboardingState(
            session_id=session.id,
            user_id=session.user_id,
            step=len(TOPICS) + 1,
            total_steps=len(TOPICS),
            done=True,
            understood=understood,
            mode="llm" if mode == "llm" else "rules",
            profile=user.profile,
            recommendations=found,
            next_steps=next_steps(found, understood.passions),
        )


def next_steps(found: list[Recommendation], passions: list[str]) -> list[NextStep]:
    """The categories of the first matches, weighted by rank; categories holding a passion
    (as the category itself or as a tag of its matched items) come first."""
    weight: dict[str, float] = {}
    members: dict[str, list[str]] = {}
    named: dict[str, list[str]] = {}  # category -> passions found in it
    wanted = {clean_label(p): p for p in passions}
    for rank, recommendation in enumerate(found):
        item = recommendation.item
        labels = {clean_label(label) for label in [*item.categories, *item.tags]}
        for category in item.categories:
            weight[category] = weight.get(category, 0.0) + 1.0 / (rank + 1)
            members.setdefault(category, []).append(recommendation.item_id)
            for key, passion in wanted.items():
                if key in labels and passion not in named.setdefault(category, []):
                    named[category].append(passion)
    ordered = sorted(weight, key=lambda c: (not named.get(c), -weight[c], c))
    steps = []
    for category in ordered[:NEXT_STEPS]:
        count = len(members[category])
        if named.get(category):
            reason = f"matches your passion for {_listed(named[category])}"
        else:
            verb = "is" if count == 1 else "are"
            reason = f"{count} of your first {len(found)} matches {verb} in {category}"
        steps.append(NextStep(category=category, reason=reason, item_ids=members[category]))
    return steps


def _listed(values: list[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def _understood(stored: dict[str, Any]) -> Understood:
    return Understood.model_validate({k: v for k, v in stored.items() if not k.startswith("_")})


def _merged(model: Understood, rules: Understood) -> Understood:
    """The model's profile, with what it left empty taken from the rules."""
    return Understood(
        passions=model.passions or rules.passions,
        skills=model.skills or rules.skills,
        goals=model.goals or rules.goals,
        hours_per_week=model.hours_per_week
        if model.hours_per_week is not None
        else rules.hours_per_week,
        learning_style=model.learning_style or rules.learning_style,
    )
