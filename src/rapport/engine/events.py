"""`engine.events`: interactions, idempotent by event id."""

from __future__ import annotations

from rapport.core.models import Event
from rapport.engine.records import RecordArea


class Events(RecordArea):
    """Interactions. Event ids already stored are skipped by `add` and `import_file`, so
    retries are safe."""

    kind = "events"

    def list(
        self,
        *,
        user_id: str | None = None,
        tenant: str | None = None,
        limit: int | None = 100,
        newest_first: bool = True,
    ) -> list[Event]:
        """Events, newest first; with `user_id`, that user's (NotFound for unknown users)."""
        tenant = self._s.tenant(tenant)
        if user_id is not None:
            self._s.store.get_user(tenant, user_id)
        return self._s.store.list_events(
            tenant, user_id=user_id, limit=limit, newest_first=newest_first
        )
