"""`engine.moderation`: text checks and the review queue of flagged items."""

from __future__ import annotations

from rapport.core.models import Page
from rapport.core.store.moderation import ModerationEntry, Status
from rapport.engine.services import Services
from rapport.services.safety.injection import InjectionVerdict
from rapport.services.safety.moderation import ModerationResult


class ModerationArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def check(self, text: str) -> ModerationResult:
        """Scores for violence, adult content, hate, illegal goods and spam."""
        return self._s.moderation.check(text)

    def injection(self, text: str) -> InjectionVerdict:
        """Whether a user's message or any untrusted text tries to instruct the assistant."""
        return self._s.injection_detector.check(text)

    def list(
        self,
        *,
        status: Status | None = "pending",
        tenant: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[ModerationEntry]:
        """The review queue, oldest first (`status=None` for every decision)."""
        return self._s.moderation.list(self._s.tenant(tenant), status, limit, offset)

    def approve(self, entry_id: str, *, tenant: str | None = None) -> ModerationEntry:
        """Approve a flagged text: its item becomes active."""
        return self._s.moderation.approve(self._s.tenant(tenant), entry_id)

    def reject(self, entry_id: str, *, tenant: str | None = None) -> ModerationEntry:
        """Reject a flagged text: its item stays inactive."""
        return self._s.moderation.reject(self._s.tenant(tenant), entry_id)
