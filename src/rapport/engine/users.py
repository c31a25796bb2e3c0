"""`engine.users`: people, their profiles, delete-my-data and what their history says."""

from __future__ import annotations

from rapport.core.models import Deleted, Page, User
from rapport.engine.records import IdentifiedArea
from rapport.services.insights import Insights, InsightsConfig, build_insights


class Users(IdentifiedArea[User]):
    kind = "users"
    model = User

    def get(self, user_id: str, *, tenant: str | None = None) -> User:
        return self._s.store.get_user(self._s.tenant(tenant), user_id)

    def list(self, *, tenant: str | None = None, limit: int = 50, offset: int = 0) -> Page[User]:
        return self._s.store.list_users(self._s.tenant(tenant), limit=limit, offset=offset)

    def delete(self, user_id: str, *, tenant: str | None = None) -> Deleted:
        """Delete a user with their events, vectors and conversations (delete-my-data)."""
        tenant = self._s.tenant(tenant)
        removed = self._s.store.delete_user(tenant, user_id)
        # Counted only when there were any, so the shape stays as before for other users.
        if conversations := self._s.conversations.delete_for_user(tenant, user_id):
            removed["conversations"] = conversations
        return Deleted(deleted=removed)

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
