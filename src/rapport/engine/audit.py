"""`engine.audit`: the log of AI actions (answers, assistant actions, nudges, escalations)."""

from __future__ import annotations

from rapport.core.models import Page
from rapport.core.store.audit import AuditEntry
from rapport.engine.services import Services


class AuditArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def list(
        self,
        *,
        action: str | None = None,
        user_id: str | None = None,
        tenant: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[AuditEntry]:
        """AI actions, newest first; optionally of one action, or about one user (their id
        is hashed the way the log stores it)."""
        return self._s.audit.list(
            self._s.tenant(tenant), action=action, user_id=user_id, limit=limit, offset=offset
        )
