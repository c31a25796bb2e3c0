"""`OnboardingStore`: onboarding interview sessions (table `onboarding_sessions`), so an
interview can be resumed from any process."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select, update

from rapport.core.errors import NotFound
from rapport.core.models import utcnow
from rapport.core.store.repository import Store
from rapport.core.store.schema import onboarding_sessions


class Turn(BaseModel):
    """One question of the interview and, once given, its answer."""

    topic: str
    question: str
    answer: str | None = None


class OnboardingSession(BaseModel):
    """A stored interview: its turns (the last one may await its answer), what was
    understood so far and whether it is finished."""

    id: str = Field(default_factory=lambda: "onb_" + uuid.uuid4().hex[:20])
    user_id: str
    step: int = 0
    """Answers given so far."""
    turns: list[Turn] = Field(default_factory=list)
    profile: dict[str, Any] = Field(default_factory=dict)
    """What was understood so far; the extracted profile once done."""
    status: Literal["open", "done"] = "open"
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class OnboardingStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def create(self, tenant: str, session: OnboardingSession) -> None:
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            conn.execute(onboarding_sessions.insert().values(**_row(tenant, session)))

    def save(self, tenant: str, session: OnboardingSession) -> None:
        """Write the session's step, turns, profile and status."""
        session.updated_at = utcnow()
        row = _row(tenant, session)
        with self.engine.begin() as conn:
            conn.execute(
                update(onboarding_sessions)
                .where(
                    onboarding_sessions.c.tenant_id == tenant,
                    onboarding_sessions.c.id == session.id,
                )
                .values(
                    step=row["step"],
                    answers=row["answers"],
                    profile=row["profile"],
                    status=row["status"],
                    updated_at=row["updated_at"],
                )
            )

    def get(self, tenant: str, session_id: str) -> OnboardingSession:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(onboarding_sessions).where(
                    onboarding_sessions.c.tenant_id == tenant,
                    onboarding_sessions.c.id == session_id,
                )
            ).first()
        if row is None:
            raise NotFound("onboarding session", session_id)
        return OnboardingSession(
            id=row.id,
            user_id=row.user_id,
            step=row.step,
            turns=[Turn.model_validate(t) for t in row.answers],
            profile=dict(row.profile),
            status=row.status,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _row(tenant: str, session: OnboardingSession) -> dict[str, Any]:
    return {
        "tenant_id": tenant,
        "id": session.id,
        "user_id": session.user_id,
        "step": session.step,
        "answers": [t.model_dump() for t in session.turns],
        "profile": session.profile,
        "status": session.status,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
    }
