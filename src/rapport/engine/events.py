"""`engine.events`: interactions, idempotent by event id."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rapport.core.models import Event
from rapport.engine.services import Services
from rapport.services.ingest import ImportReport, body_records, file_records

Progress = Callable[[int], None]


class Events:
    def __init__(self, services: Services) -> None:
        self._s = services

    def add(
        self,
        records: Iterable[dict[str, Any] | Event],
        *,
        tenant: str | None = None,
        skip_invalid: bool = False,
    ) -> ImportReport:
        """Record interactions. Event ids already stored are skipped, so retries are safe."""
        return self._s.ingestor.ingest(
            self._s.tenant(tenant), "events", body_records(records), skip_invalid=skip_invalid
        )

    def import_file(
        self,
        path: Path | str,
        *,
        tenant: str | None = None,
        skip_invalid: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import a JSONL or CSV file of events."""
        return self._s.ingestor.ingest(
            self._s.tenant(tenant),
            "events",
            file_records(Path(path)),
            skip_invalid=skip_invalid,
            progress=progress,
        )

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
