"""`engine.users`: people, their profiles, delete-my-data and what their history says."""

from __future__ import annotations

from rapport.core.models import Deleted, Page, User
from rapport.core.requests import page
from rapport.core.store.personal_data import UserExport
from rapport.engine.records import IdentifiedArea
from rapport.services.insights import Insights, InsightsConfig, build_insights


class Users(IdentifiedArea[User]):
    kind = "users"
    model = User

    def get(self, user_id: str, *, tenant: str | None = None) -> User:
        return self._s.store.get_user(self._s.tenant(tenant), user_id)

    def list(self, *, tenant: str | None = None, limit: int = 50, offset: int = 0) -> Page[User]:
        checked = page(limit, offset)
        return self._s.store.list_users(
            self._s.tenant(tenant), limit=checked.limit, offset=checked.offset
        )

    def delete(self, user_id: str, *, tenant: str | None = None) -> Deleted:
        """Erase a user and everything stored about them (delete-my-data): events, vectors,
        interviews, conversations, generated content; escalations lose the user id and
        text. The serving model is marked as having learned from them until it is retrained
        (the retrain job does so on its next pass)."""
        tenant = self._s.tenant(tenant)
        removed = self._s.personal_data.erase(tenant, user_id)
        self._s.models.mark_erasure(tenant)
        return Deleted(deleted=removed)

    def export(self, user_id: str, *, tenant: str | None = None) -> UserExport:
        """Everything stored about a user, in one object."""
        return self._s.personal_data.export(self._s.tenant(tenant), user_id)

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
