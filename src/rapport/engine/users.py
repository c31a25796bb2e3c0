"""`engine.users`: people, their profiles, delete-my-data and what their history says."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rapport.core.models import Deleted, Page, User
from rapport.engine.items import check_same_id
from rapport.engine.services import Services
from rapport.services.ingest import ImportReport, body_records, file_records
from rapport.services.insights import Insights, InsightsConfig, build_insights

Progress = Callable[[int], None]


class Users:
    def __init__(self, services: Services) -> None:
        self._s = services

    def add(
        self,
        records: Iterable[dict[str, Any] | User],
        *,
        tenant: str | None = None,
        skip_invalid: bool = False,
    ) -> ImportReport:
        """Create or replace users."""
        return self._s.ingestor.ingest(
            self._s.tenant(tenant), "users", body_records(records), skip_invalid=skip_invalid
        )

    def import_file(
        self,
        path: Path | str,
        *,
        tenant: str | None = None,
        skip_invalid: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import a JSONL or CSV file of users."""
        return self._s.ingestor.ingest(
            self._s.tenant(tenant),
            "users",
            file_records(Path(path)),
            skip_invalid=skip_invalid,
            progress=progress,
        )

    def get(self, user_id: str, *, tenant: str | None = None) -> User:
        return self._s.store.get_user(self._s.tenant(tenant), user_id)

    def list(self, *, tenant: str | None = None, limit: int = 50, offset: int = 0) -> Page[User]:
        return self._s.store.list_users(self._s.tenant(tenant), limit=limit, offset=offset)

    def replace(
        self, user_id: str, user: User | dict[str, Any], *, tenant: str | None = None
    ) -> User:
        """Replace an existing user (NotFound when there is none)."""
        tenant = self._s.tenant(tenant)
        record = user if isinstance(user, User) else User.model_validate(user)
        check_same_id(user_id, record.id)
        self._s.store.get_user(tenant, user_id)
        self.add([record], tenant=tenant)
        return self._s.store.get_user(tenant, user_id)

    def delete(self, user_id: str, *, tenant: str | None = None) -> Deleted:
        """Delete a user with their events and vectors (delete-my-data)."""
        return Deleted(deleted=self._s.store.delete_user(self._s.tenant(tenant), user_id))

    def insights(
        self, user_id: str, *, tenant: str | None = None, config: InsightsConfig | None = None
    ) -> Insights:
        """What a user's history says about their tastes, and whether it drifted."""
        tenant = self._s.tenant(tenant)
        store = self._s.store
        user = store.get_user(tenant, user_id)
        events = store.list_events(tenant, user_id=user_id)
        items = {i.id: i for i in store.get_items(tenant, [e.item_id for e in events if e.item_id])}
        signals = self._s.recommender_config.signals
        return build_insights(user, events, items, signals, config)
